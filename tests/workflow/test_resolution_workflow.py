"""The `resolution` block through the workflow: the test split at 2x (`chars.x2`, the same
images), masks drawn at that size, lama completing it with the model trained at the
configured size, the resolution table and the claims page's resolution claim."""

import pandas as pd
import pytest
import yaml

from inpaint.data import load_info, load_split
from tests.workflow.test_workflow import TEST_CONFIG, snakemake

pytestmark = pytest.mark.slow


def test_scaled_dataset_completed_scored_tabled_and_claimed(tmp_path):
    config = yaml.safe_load(yaml.safe_dump(TEST_CONFIG))
    config["datasets"]["chars"].update(size=16, n_train=32, n_val=4, n_test=4)
    config["methods"]["lama"] = {"steps": 2, "batch_size": 4, "ngf": 4, "n_blocks": 1,
                                 "ndf": 4, "d_layers": 2, "checkpoint_every": 2,
                                 "sample_every": 2}
    config["resolution"] = {"scale": 2, "methods": ["lama", "biharmonic", "telea"]}
    result = snakemake(tmp_path, config, "--printshellcmds")
    out = result.stdout + result.stderr
    # one model: lama trains once, on chars, and completes chars.x2 with it
    assert out.count("inpaint train") == 1
    assert "--model results/models/chars/lama" in out
    results = tmp_path / "results"
    assert not (results / "models" / "chars.x2").exists()
    info = load_info(results / "data" / "chars.x2")
    assert (info.size, info.counts["train"], info.counts["test"]) == (32, 0, 4)
    assert load_split(results / "data" / "chars.x2", "test")[0] == load_split(
        results / "data" / "chars", "test")[0]
    manifest = pd.read_csv(results / "masks" / "chars.x2" / "center" / "manifest.csv")
    assert len(manifest) == 4
    for method in ("lama", "biharmonic", "telea"):
        metrics = pd.read_csv(results / "metrics" / "chars.x2" / "pixels" / f"{method}.csv")
        assert len(metrics) == 4
        assert metrics.lpips.notna().all()
    tables = results / "tables"
    table = pd.read_csv(tables / "resolution.csv")
    assert len(table) == 2 * 3  # mask sets x methods
    assert set(table.tested_size) == {32}
    assert table.psnr_hole_scaled.notna().all()
    assert table.psnr_hole_train_size.notna().all()
    # the scaled dataset is only in the resolution table and the claim, not the summary
    assert "chars.x2" not in (tables / "summary.csv").read_text()
    claims = (tables / "claims.md").read_text()
    assert "A learned model completes images at 2x the size it was trained on" in claims
    assert "lama vs " in claims
