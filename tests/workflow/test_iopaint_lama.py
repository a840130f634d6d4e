"""The IOPaint LaMa external method (workflow/scripts/iopaint_lama.py, rule iopaint_lama).

Against a fake `iopaint` that mimics `iopaint run` (IOPaint 1.6.0's layout: one
`{stem}.png` per image in --output, masks 255 = inpaint, every image read as RGB),
and once against the real IOPaint and big-lama checkpoint where both are present.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "workflow" / "scripts" / "iopaint_lama.py"
FILL = (200, 100, 50)  # what the fake writes into the area to inpaint
GREY_FILL = 117  # round(mean(FILL))

# `iopaint run` as IOPaint 1.6.0 does it (iopaint/batch_processing.py), with a constant
# for the network: hole = mask >= 127, known pixels altered (LaMa's raw output is the
# whole image), RGB out. It records what it was given in $FAKE_IOPAINT_RECORD.
FAKE_IOPAINT = """\
import json, os, sys
from pathlib import Path
import numpy as np
from PIL import Image

args = sys.argv[1:]
assert args[0] == "run", args
opts = dict(zip(args[1::2], args[2::2]))
record = {"argv": args, "lama_model_url": os.environ.get("LAMA_MODEL_URL"),
          "torch_home": os.environ.get("TORCH_HOME"), "hole_max": 0, "modes": [],
          "omp": os.environ.get("OMP_NUM_THREADS")}
model_dir = Path(opts["--model-dir"])
record["checkpoint"] = str(
    (model_dir / "torch" / "hub" / "checkpoints" / "big-lama.pt").resolve())
if os.environ.get("FAKE_IOPAINT_FAIL"):
    print("fake iopaint: failing on purpose", file=sys.stderr)
    sys.exit(255)
out = Path(opts["--output"])
out.mkdir(parents=True, exist_ok=True)
skip = os.environ.get("FAKE_IOPAINT_SKIP")
for path in sorted(Path(opts["--image"]).glob("*.png")):
    if path.stem == skip:
        continue
    image = Image.open(path)
    record["modes"].append(image.mode)
    rgb = np.asarray(image.convert("RGB")).astype(int)
    hole = np.asarray(Image.open(Path(opts["--mask"]) / path.name).convert("L")) >= 127
    record["hole_max"] = max(record["hole_max"], int(rgb[hole].max(initial=0)))
    result = (rgb + 7) % 256
    result[hole] = FILL_VALUE
    Image.fromarray(result.astype(np.uint8)).save(out / f"{path.stem}.png")
Path(os.environ["FAKE_IOPAINT_RECORD"]).write_text(json.dumps(record))
""".replace("FILL_VALUE", str(list(FILL)))


@pytest.fixture
def fake_iopaint(tmp_path, monkeypatch):
    """A fake `iopaint` first on PATH; returns the file its record is written to."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "iopaint"
    exe.write_text(f"#!{sys.executable}\n{FAKE_IOPAINT}")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "user-torch-home"))
    record = tmp_path / "record.json"
    monkeypatch.setenv("FAKE_IOPAINT_RECORD", str(record))
    return record


def make_inputs(tmp_path: Path, channels: int, n: int = 3, size: int = 16):
    """Test images and masks (255 known, a centre square hole) as the workflow stores them."""
    rng = np.random.default_rng(channels)
    images, masks = tmp_path / "test", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    known = np.full((size, size), 255, np.uint8)
    known[4:12, 4:12] = 0
    shape = (size, size) if channels == 1 else (size, size, 3)
    data = {}
    for i in range(n):
        image_id = f"img.{i:02d}"
        image = rng.integers(1, 256, shape, dtype=np.uint8)  # never 0: zeroed holes show
        Image.fromarray(image).save(images / f"{image_id}.png")
        Image.fromarray(known).save(masks / f"{image_id}.png")
        (masks / "manifest.csv").write_text("image_id\n")
        data[image_id] = image
    return images, masks, data, known == 255


def checkpoint_file(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "big-lama.pt"
    path.parent.mkdir()
    path.write_bytes(b"not a real checkpoint")
    return path


def run_script(images, masks, out, checkpoint, *extra, env=None):
    cmd = [sys.executable, str(SCRIPT), "--images", str(images), "--masks", str(masks),
           "--out", str(out), "--checkpoint", str(checkpoint), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize("channels", [1, 3])
def test_inverts_masks_hides_holes_and_restores_known_pixels(tmp_path, fake_iopaint, channels):
    images, masks, data, known = make_inputs(tmp_path, channels)
    checkpoint = checkpoint_file(tmp_path)
    out = tmp_path / "completions" / "iopaint_lama"
    result = run_script(images, masks, out, checkpoint, "--device", "cpu", "--threads", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{i}.png" for i in data)
    for image_id, image in data.items():
        done = np.asarray(Image.open(out / f"{image_id}.png"))
        assert done.shape == image.shape  # the dataset's channels and size
        assert np.array_equal(done[known], image[known])  # known pixels restored
        expected = GREY_FILL if channels == 1 else FILL
        assert (done[~known] == expected).all()  # the fake's fill, where our mask says hole
    record = json.loads(fake_iopaint.read_text())
    assert record["hole_max"] == 0  # IOPaint never sees the hole's pixels
    assert set(record["modes"]) == {"RGB"}
    argv = record["argv"]
    assert argv[argv.index("--model") + 1] == "lama"
    assert argv[argv.index("--device") + 1] == "cpu"
    assert record["checkpoint"] == str(checkpoint.resolve())  # linked in IOPaint's layout
    assert Path(record["lama_model_url"]).name == "big-lama.pt"  # so it never downloads
    assert record["torch_home"] is None  # the hub folder is the one under --model-dir
    assert record["omp"] == "2"
    assert "md5" in result.stdout
    assert [p.name for p in out.parent.iterdir()] == ["iopaint_lama"]  # no temporary left


def test_replaces_an_old_output_folder_whole(tmp_path, fake_iopaint):
    images, masks, data, _ = make_inputs(tmp_path, 3)
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.png").write_bytes(b"old")
    result = run_script(images, masks, out, checkpoint_file(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in out.iterdir()) == sorted(data)


def missing_message(tmp_path, monkeypatch, have_iopaint: bool, have_checkpoint: bool):
    images, masks, _, _ = make_inputs(tmp_path, 1)
    checkpoint = checkpoint_file(tmp_path) if have_checkpoint else tmp_path / "none" / "big.pt"
    if not have_iopaint:
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    out = tmp_path / "out"
    result = run_script(images, masks, out, checkpoint, "--iopaint", "iopaint")
    assert result.returncode == 2
    assert not out.exists()
    assert list(tmp_path.glob(".out.*")) == []
    assert result.stderr.count("error:") == 1
    return result.stderr


def test_a_missing_iopaint_command_is_named(tmp_path, monkeypatch):
    message = missing_message(tmp_path, monkeypatch, have_iopaint=False, have_checkpoint=True)
    assert "the IOPaint command 'iopaint' was not found" in message
    assert "pip install iopaint" in message
    assert "big-lama checkpoint" not in message


def test_a_missing_checkpoint_is_named(tmp_path, monkeypatch, fake_iopaint):
    message = missing_message(tmp_path, monkeypatch, have_iopaint=True, have_checkpoint=False)
    assert "big-lama checkpoint" in message
    assert str(tmp_path / "none" / "big.pt") in message
    assert "IOPaint command" not in message


def test_both_missing_are_named_in_one_message(tmp_path, monkeypatch):
    message = missing_message(tmp_path, monkeypatch, have_iopaint=False, have_checkpoint=False)
    assert "IOPaint command" in message
    assert "big-lama checkpoint" in message


@pytest.mark.parametrize(("variable", "says"), [
    ("FAKE_IOPAINT_FAIL", "failed (exit status 255)"),
    ("FAKE_IOPAINT_SKIP", "IOPaint wrote no result img.01.png"),
])
def test_a_failed_iopaint_run_leaves_the_old_output_alone(tmp_path, monkeypatch, fake_iopaint,
                                                          variable, says):
    images, masks, _, _ = make_inputs(tmp_path, 3)
    monkeypatch.setenv(variable, "img.01")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.png").write_bytes(b"old")
    result = run_script(images, masks, out, checkpoint_file(tmp_path))
    assert result.returncode == 2
    assert says in result.stderr
    assert [p.name for p in out.iterdir()] == ["old.png"]
    assert list(tmp_path.glob(".out.*")) == []


def test_a_missing_mask_is_named(tmp_path, fake_iopaint):
    images, masks, _, _ = make_inputs(tmp_path, 1)
    (masks / "img.02.png").unlink()
    result = run_script(images, masks, tmp_path / "out", checkpoint_file(tmp_path))
    assert result.returncode == 2
    assert "img.02.png: no mask for test image" in result.stderr
    assert not (tmp_path / "out").exists()


# ---- the rule ----------------------------------------------------------------------------

def dry_run(workdir: Path, config: dict, *targets: str):
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
           "-n", "--quiet", "rules", "--cores", "1", *targets]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, check=False)


def tiny_config(**block):
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config["evaluation"]["lpips"] = False
    config["methods"]["iopaint_lama"] = {"external": True, **block}
    return config


def test_the_rule_completes_every_maskset_when_configured(tmp_path):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "big-lama.pt").write_bytes(b"x")
    config = tiny_config(checkpoint_file="ckpt/big-lama.pt", command="/opt/iop/bin/iopaint")
    result = dry_run(tmp_path, config)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    jobs = {line.split()[0]: int(line.split()[1]) for line in result.stdout.splitlines()
            if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert jobs["iopaint_lama"] == len(config["masks"]) * len(config["datasets"])


@pytest.mark.slow
def test_the_rule_runs_the_script_on_a_prepared_dataset(tmp_path, fake_iopaint):
    """The rule's command line, through Snakemake, on the tiny config's chars (grey)."""
    checkpoint = checkpoint_file(tmp_path)
    exe = shutil.which("iopaint")
    workdir = tmp_path / "work dir"  # a space: the rule quotes what it passes on
    workdir.mkdir()
    config = tiny_config(checkpoint_file=str(checkpoint), command=exe, device="cpu")
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    target = "results/completions/chars/center/iopaint_lama"
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
           "--cores", "1", target]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = workdir / "results"
    ids = sorted(p.stem for p in (results / "data/chars/test").glob("*.png"))
    assert sorted(p.stem for p in (workdir / target).glob("*.png")) == ids
    real = np.asarray(Image.open(results / "data/chars/test" / f"{ids[0]}.png"))
    done = np.asarray(Image.open(workdir / target / f"{ids[0]}.png"))
    known = np.asarray(Image.open(results / "masks/chars/center" / f"{ids[0]}.png")) == 255
    assert done.shape == real.shape
    assert np.array_equal(done[known], real[known])
    assert (done[~known] == GREY_FILL).all()
    log = (results / "logs/complete/chars/center/iopaint_lama.log").read_text()
    assert f"iopaint_lama: {exe}, device cpu" in log
    assert (results / "benchmarks/complete/chars/center/iopaint_lama.tsv").is_file()


def test_the_rule_wants_the_checkpoint_before_any_job(tmp_path):
    result = dry_run(tmp_path, tiny_config())
    assert result.returncode != 0
    assert "resources/iopaint/big-lama.pt" in result.stdout + result.stderr


def test_a_bad_device_is_refused_when_the_workflow_is_read(tmp_path):
    result = dry_run(tmp_path, tiny_config(device="gpu"))
    assert result.returncode != 0
    assert "methods.iopaint_lama.device: expected auto, cpu or cuda, got 'gpu'" in (
        result.stdout + result.stderr)


# ---- the real thing ----------------------------------------------------------------------

def real_iopaint() -> tuple[str | None, Path | None, list[str]]:
    """IOPaint's command and the big-lama checkpoint, and what of the two is missing.

    The checkpoint: $INPAINT_BIG_LAMA, else the rule's default resources/iopaint/big-lama.pt,
    else where IOPaint itself downloads it (~/.cache/torch/hub/checkpoints/big-lama.pt)."""
    name = os.environ.get("INPAINT_IOPAINT", "iopaint")
    command = shutil.which(name)
    if "INPAINT_BIG_LAMA" in os.environ:
        places = [Path(os.environ["INPAINT_BIG_LAMA"])]
    else:
        places = [ROOT / "resources" / "iopaint" / "big-lama.pt",
                  Path.home() / ".cache" / "torch" / "hub" / "checkpoints" / "big-lama.pt"]
    checkpoint = next((p for p in places if p.is_file()), None)
    missing = []
    if command is None:
        missing.append(f"IOPaint's command {name!r} (pip install iopaint==1.6.0 in its own "
                       "environment; put it on PATH or set INPAINT_IOPAINT)")
    if checkpoint is None:
        missing.append(f"the big-lama checkpoint (not at {' nor '.join(map(str, places))}; "
                       "set INPAINT_BIG_LAMA to its file)")
    return command, checkpoint, missing


def test_the_real_big_lama_through_iopaint(tmp_path):
    command, checkpoint, missing = real_iopaint()
    if missing:
        pytest.skip("runs the official LaMa only where it is installed; missing: "
                    + " and ".join(missing))
    for channels in (1, 3):
        work = tmp_path / f"c{channels}"
        work.mkdir()
        images, masks, data, known = make_inputs(work, channels, n=1, size=64)
        out = work / "out"
        result = run_script(images, masks, out, checkpoint, "--iopaint", command,
                            "--device", "cpu")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        image_id, image = next(iter(data.items()))
        done = np.asarray(Image.open(out / f"{image_id}.png"))
        assert done.shape == image.shape
        assert np.array_equal(done[known], image[known])
        assert done[~known].std() > 0  # a real prediction, not a constant
