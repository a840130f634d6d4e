"""How close each default training runs to what this CPU can do (1 thread, one process).

For every learned method of config.yaml (the default config), at its dataset size and
batch, this measures side by side, in repeats that alternate (so a loaded machine slows
all three alike):

* **peak (matmul)**: a 2048 x 2048 fp32 matrix product (``torch.mm``), GFLOP/s;
* **own-layer peak**: every distinct convolution / matrix product the method's training
  step runs (forward and backward, recorded at the aten level with their exact shapes,
  strides and arguments: ``aten.convolution``, ``aten.convolution_backward``, ``mm``,
  ``addmm``, ``bmm``), each replayed alone on random tensors; sum of (calls x FLOPs) over
  sum of (calls x seconds): the rate this network's layer mix can reach here;
* **achieved**: FLOPs of one training step (``torch.utils.flop_counter.FlopCounterMode``,
  as benchmarks/paper_flops.py counts them: convolutions and matrix products, forward and
  backward) over the measured time of the real step: the method's ``TrainingSystem``
  built as ``LearnedMethod.fit`` builds it (config.yaml's block, engine's runtime, seed
  and sampler), ``train_step(sampler.batch(step), step)`` plus ``scaler.update()``, after
  warm-up steps, one schedule phase at a time (weighted by the phase's share of steps).

The images are random (the cost of a step does not depend on them) at the size and
channel count of the dataset the method trains on by default (faces: 32 px, RGB).
pconv's VGG16 loss uses the real weights when the workflow has made them
(resources/pretrained), else torchvision-layout random ones (same FLOPs).

    python benchmarks/efficiency.py                 # ~3-6 min on 1 loaded core
    python benchmarks/efficiency.py --profile       # + where the time goes, below 40%
    python benchmarks/efficiency.py --methods context_encoder --repeats 1 --steps 1  # smoke

Each figure is the median over ``--repeats`` (step times: over all timed steps).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import yaml
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inpaint.config import method_params  # noqa: E402
from inpaint.data.store import DatasetInfo, Split, load_info, save_dataset  # noqa: E402
from inpaint.methods import get_method, get_method_class  # noqa: E402
from inpaint.methods.learned import ENGINE_KEYS  # noqa: E402

TARGET = 0.40  # issue 18: every default training at >= 40% of its own-layer peak
MATMUL_N = 2048
RECORDED = {"convolution", "convolution_backward", "mm", "addmm", "bmm"}


# ---- the training system, built as LearnedMethod.fit builds it ----------------------------------
def random_dataset(root: Path, size: int, channels: int, n_train: int = 256) -> Path:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_train + 16, size, size, channels), np.uint8)
    info = DatasetInfo(name="efficiency", kind="folder", label="efficiency", size=size,
                       channels=channels)

    def split(prefix, part):
        return Split([f"{prefix}{i}" for i in range(len(part))], part, ["random"] * len(part))

    out = root / f"data{size}x{channels}"
    if not out.exists():
        save_dataset(out, info, {"train": split("a", images[:n_train]),
                                 "val": split("v", images[n_train:n_train + 8]),
                                 "test": split("t", images[n_train + 8:])})
    return out


@dataclass
class Trainer:
    """A method's training system and sampler, stepping from ``step``."""

    name: str
    system: object
    sampler: object
    steps: int
    batch_size: int

    def step(self, step: int) -> None:
        self.system.train_step(self.sampler.batch(step), step)
        self.system.runtime.scaler.update()

    def phases(self) -> dict[str, list[int]]:
        """Each schedule phase's steps (1-based), in order."""
        out: dict[str, list[int]] = {}
        for step in range(1, self.steps + 1):
            out.setdefault(self.system.phase(step), []).append(step)
        return out


def build_trainer(name: str, params: dict, data: Path, device: str = "cpu",
                  amp: str = "off") -> Trainer:
    """The method's system exactly as ``LearnedMethod.fit`` + ``inpaint.training.train``
    build it (same hyper-parameters, seed, runtime and sampler), without the engine's loop."""
    from inpaint.data.store import load_split
    from inpaint.training import TrainConfig
    from inpaint.training.device import make_runtime
    from inpaint.training.sampler import ImageSampler
    from inpaint.training.seeding import seed_everything

    method = get_method(name, **params)
    info = load_info(data)
    _, images = load_split(data, "train")
    with contextlib.redirect_stderr(io.StringIO()):
        method.check_data(info, data)
    block = {**{k: method.params[k] for k in ENGINE_KEYS}, **method.hparams(info),
             "flip": method.flip(info.kind)}
    config = TrainConfig.from_params(method.model_owner(), block, device=device, threads=1,
                                     amp=amp)
    rt = make_runtime(config.device, config.threads, config.amp, config.seed)
    seed_everything(config.seed, rt.cuda)
    system = method.make_system(rt, dict(config.hparams), info, config)
    if rt.memory_format != torch.contiguous_format:
        for module in system.modules.values():
            module.to(memory_format=rt.memory_format)
    sampler = ImageSampler(images, config.batch_size, seed=config.seed, flip=config.flip,
                           value_range=system.value_range, device=rt.device,
                           memory_format=rt.memory_format)
    return Trainer(name, system, sampler, config.steps, config.batch_size)


def default_methods(config: dict) -> list[str]:
    """The learned methods of ``config`` that train a model of their own."""
    return [m for m in config["methods"] if get_method_class(m).learned
            and not get_method_class(m).shares_model_with]


# ---- FLOPs and the layer mix of one step --------------------------------------------------------
def count_flops(fn) -> int:
    mode = FlopCounterMode(display=False)
    with mode, contextlib.redirect_stderr(io.StringIO()):
        fn()
    return int(mode.get_total_flops())


def _spec(x):
    if isinstance(x, torch.Tensor):
        return ("T", tuple(x.shape), tuple(x.stride()), x.dtype)
    if isinstance(x, list | tuple):
        return tuple(_spec(v) for v in x)
    return x


def _make(spec):
    if isinstance(spec, tuple) and spec[:1] == ("T",):
        _, shape, stride, dtype = spec
        return torch.empty_strided(shape, stride, dtype=dtype).normal_()
    if isinstance(spec, tuple):
        return [_make(v) for v in spec]
    return spec


class OpRecorder(TorchDispatchMode):
    """Counts each distinct (op, argument shapes/strides, other arguments) call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func._overloadpacket.__name__ in RECORDED:
            key = (func, tuple(_spec(a) for a in args), tuple(sorted(
                (k, _spec(v)) for k, v in kwargs.items())))
            self.calls[key] += 1
        return func(*args, **kwargs)


@dataclass
class LayerOp:
    func: object
    args: tuple
    kwargs: dict
    calls: int
    flops: int = 0

    def __call__(self):
        return self.func(*self.args, **self.kwargs)


@dataclass
class Layers:
    """The distinct FLOP-counted ops of one training step, replayable alone."""

    ops: list[LayerOp] = field(default_factory=list)

    @property
    def flops(self) -> int:
        return sum(op.calls * op.flops for op in self.ops)


def record_layers(fn) -> Layers:
    recorder = OpRecorder()
    with recorder:
        fn()
    layers = Layers()
    for (func, args, kwargs), calls in recorder.calls.items():
        op = LayerOp(func, tuple(_make(a) for a in args),
                     {k: _make(v) for k, v in kwargs}, calls)
        with torch.no_grad():
            op.flops = count_flops(op)
        if op.flops:
            layers.ops.append(op)
    return layers


# ---- timing -------------------------------------------------------------------------------------
def seconds_per_call(fn, min_time: float = 0.02) -> float:
    """Mean seconds of ``fn`` over enough calls to last ``min_time`` (one warm call first)."""
    fn()
    n, total = 0, 0.0
    start = time.perf_counter()
    while total < min_time or n < 2:
        fn()
        n += 1
        total = time.perf_counter() - start
    return total / n


def matmul_rate(n: int = MATMUL_N, calls: int = 2) -> float:
    """FLOP/s of an n x n fp32 ``torch.mm``, best of ``calls`` (after a warm call)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


def layer_rate(layers: Layers, min_time: float = 0.02) -> float:
    with torch.no_grad():
        seconds = sum(op.calls * seconds_per_call(op, min_time) for op in layers.ops)
    return layers.flops / seconds


@dataclass
class Phase:
    method: str
    phase: str
    steps: list[int]
    share: float
    flops: int = 0
    layers: Layers = field(default_factory=Layers)
    step_s: list[float] = field(default_factory=list)
    peak: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)
    next_step: int = 0

    def time_steps(self, trainer: Trainer, n: int) -> None:
        for _ in range(n):
            step = self.steps[self.next_step % len(self.steps)]
            self.next_step += 1
            start = time.perf_counter()
            trainer.step(step)
            self.step_s.append(time.perf_counter() - start)


def prepare(trainer: Trainer, warmup: int) -> list[Phase]:
    """Per phase: warm-up steps, the layer mix and the FLOPs of one step."""
    phases = []
    for name, steps in trainer.phases().items():
        phase = Phase(trainer.name, name, steps, len(steps) / trainer.steps)
        phase.time_steps(trainer, warmup)
        phase.step_s.clear()
        step = steps[phase.next_step % len(steps)]
        phase.layers = record_layers(lambda s=step: trainer.step(s))
        step = steps[(phase.next_step + 1) % len(steps)]
        phase.flops = count_flops(lambda s=step: trainer.step(s))
        phase.next_step += 2
        if abs(phase.layers.flops - phase.flops) > 0.01 * phase.flops:
            print(f"warning: {trainer.name} [{name}]: the recorded layer ops count "
                  f"{phase.layers.flops:.3g} FLOPs, the step {phase.flops:.3g}", file=sys.stderr)
        phases.append(phase)
    return phases


def measure(trainers: list[Trainer], phases: dict[str, list[Phase]], repeats: int,
            steps: int, min_time: float) -> None:
    """Alternate, per repeat and method: matmul peak, own-layer peak, timed steps."""
    for _ in range(repeats):
        for trainer in trainers:
            for phase in phases[trainer.name]:
                phase.peak.append(matmul_rate())
                phase.own.append(layer_rate(phase.layers, min_time))
                phase.time_steps(trainer, steps)


# ---- the table ----------------------------------------------------------------------------------
@dataclass
class Row:
    method: str
    flops: float       # per step
    step_s: float
    achieved: float    # FLOP/s
    peak: float
    own: float

    @property
    def ratio(self) -> float:
        return self.achieved / self.own


def rows(phases: list[Phase]) -> list[Row]:
    """A row per phase (when there are several) and the whole training's row."""
    out = []
    for p in phases:
        step_s = statistics.median(p.step_s)
        out.append(Row(f"{p.method} [{p.phase}, {p.share:.0%}]", p.flops, step_s,
                       p.flops / step_s, statistics.median(p.peak), statistics.median(p.own)))
    if len(phases) == 1:
        out[0].method = phases[0].method
        return out
    flops = sum(p.share * r.flops for p, r in zip(phases, out, strict=True))
    step_s = sum(p.share * r.step_s for p, r in zip(phases, out, strict=True))
    # the whole training's own-layer rate: its phases' FLOPs over their replay seconds
    own_s = sum(p.share * r.flops / r.own for p, r in zip(phases, out, strict=True))
    peak = statistics.median([r.peak for r in out])
    whole = Row(f"{phases[0].method} (training)", flops, step_s, flops / step_s, peak,
                flops / own_s)
    return [*out, whole]


def table(all_rows: list[Row]) -> str:
    lines = ["| method | GFLOP/step | s/step | achieved GFLOP/s | peak (matmul) GFLOP/s | "
             "own-layer peak GFLOP/s | achieved / own-layer | achieved / matmul |",
             "|:--|--:|--:|--:|--:|--:|--:|--:|"]
    for r in all_rows:
        lines.append(f"| {r.method} | {r.flops / 1e9:.2f} | {r.step_s:.3f} | "
                     f"{r.achieved / 1e9:.1f} | {r.peak / 1e9:.1f} | {r.own / 1e9:.1f} | "
                     f"{r.ratio:.0%} | {r.achieved / r.peak:.0%} |")
    return "\n".join(lines)


# ---- where the time goes ------------------------------------------------------------------------
OURS = ("inpaint/", "torch/optim/", "numpy/random")


def profile_step(trainer: Trainer, step: int, top: int = 12) -> str:
    """One step under torch.profiler (top aten ops by self CPU time) and cProfile (the
    Python functions of ours and of torch.optim by cumulative time)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        trainer.step(step)
    ops = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top,
                                    max_name_column_width=40)
    prof_c = cProfile.Profile()
    prof_c.enable()
    start = time.perf_counter()
    trainer.step(step + 1)
    total = time.perf_counter() - start
    prof_c.disable()
    stats = pstats.Stats(prof_c)
    entries = []
    for (path, line, func), (_, _, _, cum, _) in stats.stats.items():
        if any(part in path for part in OURS):
            short = path.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
            entries.append((cum, f"{short}:{line}({func})"))
    entries.sort(reverse=True)
    lines = [f"step {step + 1}: {total:.3f} s under cProfile; cumulative seconds of ours "
             "(and torch.optim):"]
    lines += [f"  {cum:7.3f} s  {cum / total:5.1%}  {name}" for cum, name in entries[:top]]
    return ops + "\n" + "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} cores ({cpu}), torch {torch.__version__}, 1 thread, "
            f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load:.1f} at the start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--methods", nargs="*", help="default: every learned method")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="timed steps per phase and repeat")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=0.02,
                        help="seconds each replayed layer op is timed for")
    parser.add_argument("--profile", action="store_true",
                        help=f"profile one step of every method below {TARGET:.0%} of its "
                        "own-layer peak (--profile-below)")
    parser.add_argument("--profile-below", type=float, default=TARGET)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    config = yaml.safe_load(Path(args.config).read_text())
    names = args.methods or default_methods(config)
    # the dataset each method trains on by default: the first with 3 channels, else the first
    datasets = list(config["datasets"].values())
    data_cfg = next((d for d in datasets if d.get("channels", 3) == 3), datasets[0])
    size, channels = int(data_cfg["size"]), int(data_cfg.get("channels", 3))
    print(f"Machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = random_dataset(Path(tmp), size, channels)
        trainers, phases = [], {}
        for name in names:
            trainer = build_trainer(name, method_params(config, name), data)
            trainers.append(trainer)
            phases[name] = prepare(trainer, args.warmup)
            print(f"  {name}: {sum(len(p.layers.ops) for p in phases[name])} distinct "
                  f"layer ops, batch {trainer.batch_size}", flush=True)
        measure(trainers, phases, args.repeats, args.steps, args.min_time)
        all_rows = [r for name in names for r in rows(phases[name])]
        print(f"\n{size} px x {channels} channels, batch as configured; medians over "
              f"{args.repeats} interleaved repeats\n")
        print(table(all_rows), flush=True)
        if args.profile:
            for trainer in trainers:
                row = rows(phases[trainer.name])[-1]
                if row.ratio >= args.profile_below:
                    continue
                worst = min(phases[trainer.name],
                            key=lambda p: p.flops / statistics.median(p.step_s)
                            / statistics.median(p.own))
                print(f"\n### {trainer.name} ({row.ratio:.0%} of its own-layer peak): "
                      f"one {worst.phase} step profiled\n", flush=True)
                print(profile_step(trainer, worst.steps[0]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
