"""The paper configurations (config/paper/*.yaml) cannot silently rot.

Each one is checked three ways: its header says what it must (reproduces, numbers,
data, GPU time); its DAG builds in a Snakemake dry run with the data faked where the
config expects it; and its code path runs at toy scale on the CPU, in-process: the
same config with the image size, steps and widths overridden, on a tiny fake
dataset of the same kind (CelebA layout or an image folder), from dataset
preparation through masks, training, completion, metrics and tables.
"""

from __future__ import annotations

import copy
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from inpaint.config import load_config, method_params
from inpaint.methods import get_method, get_method_class

ROOT = Path(__file__).resolve().parents[2]
PAPER = ROOT / "config" / "paper"
CONFIGS = sorted(p.stem for p in PAPER.glob("*.yaml"))
EXPECTED = ["iizuka2017_celeba", "iizuka2017_places256", "liu2018_places256",
            "liu2018_places512", "pathak2016_paris128", "suvorov2022_celebahq256",
            "suvorov2022_places256", "yeh2017_celeba64"]
TOY_SIZE = 32
# per method: the keys overridden at toy scale (every other hyper-parameter is the paper's)
TOY = {
    "yeh_dcgan": {"steps": 2, "batch_size": 4, "base": 8, "search_steps": 2},
    "yeh_dcgan_raw": {"search_steps": 2},
    "context_encoder": {"steps": 2, "batch_size": 4, "base": 4, "bottleneck": 8, "d_base": 4},
    "context_encoder_l2": {"steps": 2, "batch_size": 4, "base": 4, "bottleneck": 8},
    "glcic": {"steps": 3, "batch_size": 4, "completion_steps": 1, "discriminator_steps": 1,
              "width": 4, "d_width": 4},
    "pconv": {"steps": 2, "finetune_steps": 1, "batch_size": 2, "depth": 3,
              "base_channels": 4, "mask_pool": 4},
    "pconv_plainconv": {"steps": 2, "finetune_steps": 1, "batch_size": 2, "depth": 3,
                        "base_channels": 4, "mask_pool": 4},
    "lama": {"steps": 2, "batch_size": 2, "ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 2},
}
ENGINE = {"checkpoint_every": 0, "sample_every": 0, "log_every": 1}


def test_every_reproduction_has_a_config():
    assert CONFIGS == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_header_says_what_it_reproduces(name):
    text = (PAPER / f"{name}.yaml").read_text()
    header = text[:text.index("\nseed:")]
    for part in ("Reproduces:", "Paper's numbers to compare with", "Data you supply",
                 "Expected GPU time", "GPU-hours", "TFLOP/s", "Run: snakemake"):
        assert part in header, f"{name}.yaml header lacks {part!r}"
    load_config(PAPER / f"{name}.yaml")  # schema, method and mask checks


def fake_celeba(root: Path, n: int = 12) -> str:
    """torchvision's CelebA layout: img_align_celeba/*.jpg (178x218) and the partition file;
    returns the partition file's md5 (the config's md5 override)."""
    base = root / "celeba"
    (base / "img_align_celeba").mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i in range(n):
        image = rng.integers(0, 256, (218, 178, 3), np.uint8)
        Image.fromarray(image).save(base / "img_align_celeba" / f"{i:06d}.jpg")
        lines.append(f"{i:06d}.jpg {0 if i < n - 4 else 1 if i < n - 2 else 2}")
    partition = base / "list_eval_partition.txt"
    partition.write_text("\n".join(lines) + "\n")
    return hashlib.md5(partition.read_bytes()).hexdigest()


def fake_folder(path: Path, n: int = 20) -> None:
    path.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (30, 40, 3), np.uint8)).save(path / f"{i:03d}.png")


def fake_data(config: dict, workdir: Path) -> dict:
    """Create each dataset's files where the config expects them (relative to workdir);
    return the md5 overrides for CelebA partitions."""
    md5 = {}
    for name, block in config["datasets"].items():
        if block["kind"] == "celeba":
            md5[name] = fake_celeba(workdir / block["root"])
        elif block["kind"] == "folder":
            fake_folder(workdir / block["path"])
        else:
            raise AssertionError(f"no fake data for kind {block['kind']!r}")
    return md5


@pytest.mark.slow  # one Snakemake start per config: ~3-5 s each
@pytest.mark.parametrize("name", EXPECTED)
def test_dry_run(name, tmp_path):
    """`snakemake -n --configfile config/paper/<name>.yaml` from a project-like folder (with
    the default config.yaml beside it): the paper's jobs only, none of the default's."""
    config = yaml.safe_load((PAPER / f"{name}.yaml").read_text())
    fake_data(config, tmp_path)
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text())
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(PAPER / f"{name}.yaml"),
           "--workflow-profile", str(ROOT / "workflow" / "profiles" / "default"),
           "--cores", "2", "-n", "--quiet", "rules"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout + result.stderr
    trained = {get_method_class(m).model_owner() for m in config["methods"]
               if get_method_class(m).learned}
    for rule in ("prepare_dataset", "make_masks", "train", "evaluate", "tables"):
        assert rule in out
    counts = dict(line.split() for line in out.splitlines()  # the job stats table
                  if len(line.split()) == 2 and line.split()[1].isdigit())
    n_data = len(config["datasets"])
    # and each dataset's test split at 2x where the config has a `resolution` block
    n_sets = n_data * (2 if "resolution" in config else 1)
    assert int(counts["prepare_dataset"]) == n_sets  # not the default's chars / faces
    assert int(counts["make_masks"]) == n_sets * len(config["masks"])
    assert int(counts["train"]) == n_data * len(trained)


def toy_config(name: str, workdir: Path) -> Path:
    """The paper config at toy scale, written to workdir/toy.yaml."""
    config = yaml.safe_load((PAPER / f"{name}.yaml").read_text())
    md5 = fake_data(config, workdir)
    toy = copy.deepcopy(config)
    toy["device"] = "cpu"
    for dname, block in toy["datasets"].items():
        block["size"] = TOY_SIZE
        if block["kind"] == "celeba":
            block["root"] = str(workdir / block["root"])
            block["md5"] = {"list_eval_partition.txt": md5[dname]}
        else:
            block["path"] = str(workdir / block["path"])
            block.pop("n_train", None)
    for method, block in toy["methods"].items():
        if block is None or not get_method_class(method).learned:
            continue
        block.pop("gpus", None)  # data-parallel runs: tests/training/test_distributed.py
        block.update(TOY.get(method, {}))
        if "steps" in block:
            block.update(ENGINE)
    toy["evaluation"] = {**toy.get("evaluation", {}), "lpips": False, "st_lpips": False,
                         "bootstrap": 100}
    path = workdir / "toy.yaml"
    path.write_text(yaml.safe_dump(toy))
    return path


@pytest.mark.parametrize("name", EXPECTED)
def test_toy_scale_code_path(name, tmp_path):
    """Prepare, mask, train, complete, score and tabulate with the paper config's own
    settings at 32 px and a few steps (in-process, what each workflow job runs)."""
    from inpaint.completion import complete_set
    from inpaint.data import prepare_dataset
    from inpaint.data.store import load_info, load_split
    from inpaint.evaluation.evaluate import evaluate_masksets
    from inpaint.evaluation.report import make_tables
    from inpaint.masks import generate_maskset, write_maskset

    config = load_config(toy_config(name, tmp_path))
    results = tmp_path / "results"
    metric_paths = []
    for dname, block in config["datasets"].items():
        data = results / "data" / dname
        prepare_dataset(dname, block, data, seed=config["seed"])
        info = load_info(data)
        ids, _ = load_split(data, "test")
        models = {}
        for method in config["methods"]:
            cls = get_method_class(method)
            if cls.learned and cls.model_owner() not in models:
                owner = cls.model_owner()
                params = method_params(config, owner) if owner in config["methods"] else {}
                out = results / "models" / dname / owner
                get_method(owner, **params).fit(data, out, seed=config["seed"], device="cpu",
                                                threads=1, progress=False)
                models[owner] = out
        for mname, mblock in config["masks"].items():
            mask_dir = results / "masks" / dname / mname
            masks = generate_maskset(ids, info.size, dname, mname, mblock, config["seed"])
            write_maskset(mask_dir, masks)
            if mblock["kind"] == "irregular":  # each bin's masks lie in the bin
                ratios = pd.read_csv(mask_dir / "manifest.csv").hole_ratio
                assert ratios.between(mblock["min_hole_ratio"], mblock["max_hole_ratio"]).all()
            folders, outs = [], []
            for method in config["methods"]:
                m = get_method(method, **method_params(config, method))
                if m.learned:
                    m.load(models[get_method_class(method).model_owner()], device="cpu")
                folder = results / "completions" / dname / mname / method
                complete_set(m, data, mask_dir, folder, batch_size=8)
                folders.append(folder)
                outs.append(results / "metrics" / dname / mname / f"{method}.csv")
            frames = evaluate_masksets(data, [mask_dir], folders, outs, use_lpips=False,
                                       use_st_lpips=False,
                                       pm1_hole=config["evaluation"]["pm1_hole"])
            for frame in frames:
                assert len(frame) == len(ids)
                assert ("l1_hole_pm1" in frame) == config["evaluation"]["pm1_hole"]
            metric_paths += outs
    make_tables(metric_paths, results / "tables", data_dirs=[results / "data" / d
                                                             for d in config["datasets"]],
                n_boot=100, seed=0, lpips_enabled=False)
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert len(summary) == len(config["datasets"]) * len(config["masks"]) * len(
        config["methods"])
    if config["evaluation"]["pm1_hole"]:
        row = summary.iloc[0]
        assert row["l1_hole_pm1_mean"] == pytest.approx(2 * row["l1_hole_mean"])
        assert row["l2_hole_pm1_mean"] == pytest.approx(4 * row["l2_hole_mean"])


def test_half_masks():
    """Yeh et al.'s half masks: one side of the image, the side drawn per image."""
    from inpaint.masks import check_params, generate_maskset

    ids = [f"i{k}" for k in range(40)]
    masks = generate_maskset(ids, 16, "d", "half", {"kind": "half"}, seed=0)
    sides = set()
    for known in masks.values():
        assert known.mean() == 0.5
        rows, cols = np.nonzero(~known)
        if (rows.max() - rows.min() + 1) == 16:  # a band of columns
            sides.add("left" if cols.min() == 0 else "right")
        else:
            sides.add("top" if rows.min() == 0 else "bottom")
    assert sides == {"left", "right", "top", "bottom"}
    again = generate_maskset(ids, 16, "d", "half", {"kind": "half"}, seed=0)
    assert all(np.array_equal(masks[i], again[i]) for i in ids)
    quarter = generate_maskset(ids[:1], 16, "d", "h", {"kind": "half", "fraction": 0.25}, 0)
    assert quarter["i0"].mean() == 0.75
    with pytest.raises(Exception, match=r"masks\.h\.fraction"):
        check_params("h", {"kind": "half", "fraction": 1.5})


def test_pm1_hole_metrics_are_the_context_encoder_convention():
    """l1_hole_pm1 / l2_hole_pm1: hole L1 / L2 on the [-1, 1] scale x 100."""
    from inpaint.evaluation.pixel_metrics import add_pm1_hole
    from inpaint.evaluation.scoring import score_images

    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (3, 16, 16, 3), np.uint8)
    done = rng.integers(0, 256, (3, 16, 16, 3), np.uint8)
    known = np.ones((3, 16, 16), bool)
    known[:, 4:12, 4:12] = False
    frame = add_pm1_hole(score_images(real, done, known))
    x, y = real / 127.5 - 1, done / 127.5 - 1  # [-1, 1]
    hole = ~known
    l1 = [100 * np.abs(x[i][hole[i]] - y[i][hole[i]]).mean() for i in range(3)]
    l2 = [100 * ((x[i][hole[i]] - y[i][hole[i]]) ** 2).mean() for i in range(3)]
    np.testing.assert_allclose(frame["l1_hole_pm1"], l1, rtol=1e-12)
    np.testing.assert_allclose(frame["l2_hole_pm1"], l2, rtol=1e-12)
