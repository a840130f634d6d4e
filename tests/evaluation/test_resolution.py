"""LaMa's resolution claim and the resolution table (inpaint.evaluation.resolution): methods
at scale x the size the learned ones were trained on, scored as `{dataset}.x{scale}`."""

import numpy as np
import pandas as pd
import pytest

from inpaint.errors import InpaintError
from inpaint.evaluation.claim_verdicts import FAIL, NOT_RUN, PASS
from inpaint.evaluation.claims import check_claims, claims_markdown
from inpaint.evaluation.metrics_csv import CSV_COLUMNS
from inpaint.evaluation.resolution import (
    resolution_claim,
    resolution_claims,
    resolution_rows,
    resolution_table,
    scaled_frames,
)

N = 10
NOISE = np.random.default_rng(1).normal(0, 0.05, N)
NOISE -= NOISE.mean()  # distinct per-image values, means exact


def frame(psnr, lpips=None):
    data = {"image_id": [f"i{k}" for k in range(N)], "hole_ratio": 0.3,
            "psnr_hole": psnr + NOISE, "ssim_hole": 0.5 + NOISE / 10}
    data["lpips"] = (np.full(N, lpips) + NOISE / 100) if lpips is not None else np.nan
    return pd.DataFrame(data)


def val(psnr):
    return pd.DataFrame({"maskset": "center", "image_id": [f"v{k}" for k in range(4)],
                         "hole_ratio": 0.3, "psnr_hole": float(psnr)})


def frames_with(lama_x2, lama_lpips=0.1):
    """faces at the training size and at 2x: lama, biharmonic (validation's best classical)
    and telea (better than biharmonic on the TEST split at 2x, never chosen)."""
    out = {}
    for maskset in ("center", "box"):
        out[("faces", maskset, "lama")] = frame(20, 0.1)
        out[("faces", maskset, "biharmonic")] = frame(19, 0.2)
        out[("faces", maskset, "telea")] = frame(18, 0.25)
        out[("faces.x2", maskset, "lama")] = frame(lama_x2, lama_lpips)
        out[("faces.x2", maskset, "biharmonic")] = frame(17, 0.3)
        out[("faces.x2", maskset, "telea")] = frame(30, 0.01)
    return out


VALIDATION = {"faces": {"biharmonic": val(19), "telea": val(18), "lama": val(25)}}


def test_scaled_frames_keyed_by_the_configured_dataset():
    frames = frames_with(18)
    scaled = scaled_frames(frames)
    assert list(scaled) == [2]
    assert ("faces", "center", "lama") in scaled[2]
    assert scaled[2][("faces", "center", "lama")] is frames[("faces.x2", "center", "lama")]


def test_claim_against_the_validation_choice_not_the_test_best():
    frames = frames_with(18)
    configured = {k: f for k, f in frames.items() if k[0] == "faces"}
    claim = resolution_claim(configured, scaled_frames(frames)[2], 2, VALIDATION)
    assert claim.verdict == PASS
    text = claim.results[0][2]
    # biharmonic: best on validation, though telea is better on the test split at 2x
    assert "lama vs biharmonic" in text
    assert "at 2x hole PSNR 18.00 vs 17.00 dB" in text
    assert "at the training size 20.00 vs 19.00 dB" in text
    # both tests: 2 mask sets x N images pooled, paired
    assert [len(t.diff) for t in claim.checks[0].tests] == [2 * N, 2 * N]


def test_claim_fails_when_either_metric_goes_the_other_way():
    frames = frames_with(16)  # lower hole PSNR than biharmonic at 2x
    configured = {k: f for k, f in frames.items() if k[0] == "faces"}
    assert resolution_claim(configured, scaled_frames(frames)[2], 2, VALIDATION).verdict == FAIL
    frames = frames_with(18, lama_lpips=0.5)  # higher (worse) LPIPS
    configured = {k: f for k, f in frames.items() if k[0] == "faces"}
    assert resolution_claim(configured, scaled_frames(frames)[2], 2, VALIDATION).verdict == FAIL


def test_claim_not_run_without_validation_or_a_learned_method():
    frames = frames_with(18)
    configured = {k: f for k, f in frames.items() if k[0] == "faces"}
    scaled = scaled_frames(frames)[2]
    assert resolution_claim(configured, scaled, 2, {}).verdict == NOT_RUN
    classical = {k: f for k, f in scaled.items() if k[2] != "lama"}
    assert resolution_claim(configured, classical, 2, VALIDATION).verdict == NOT_RUN
    assert resolution_claims(configured, VALIDATION) == []


def test_claims_page_adds_it_only_with_scaled_metrics():
    frames = frames_with(18)
    configured = {k: f for k, f in frames.items() if k[0] == "faces"}
    scaled = {k: f for k, f in frames.items() if k[0] != "faces"}
    without = check_claims(configured, validation=VALIDATION)
    with_it = check_claims(configured, validation=VALIDATION, scaled=scaled)
    assert len(with_it) == len(without) + 1
    page = claims_markdown(with_it)
    assert "## 6. PASS: A learned model completes images at 2x the size" in page
    assert "Suvorov et al. 2022" in page
    assert "Suvorov" not in claims_markdown(without)


def test_rows_and_table_files(tmp_path):
    frames = frames_with(18)
    table = resolution_rows(frames, {"faces": 32})
    assert len(table) == 6
    row = table.set_index(["maskset", "method"]).loc[("center", "lama")]
    assert row.kind == "learned"
    assert (row["size"], row.tested_size, row.scale, row.n) == (32, 64, 2, N)
    assert row.psnr_hole_train_size == pytest.approx(20)
    assert row.psnr_hole_scaled == pytest.approx(18)
    assert row.psnr_hole_change == pytest.approx(-2)
    assert row.lpips_scaled == pytest.approx(0.1)

    paths = []
    for (dataset, maskset, method), f in frames.items():
        path = tmp_path / "metrics" / dataset / maskset / f"{method}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        full = f.copy()
        for column in CSV_COLUMNS:
            if column not in full:
                full[column] = np.nan
        full.to_csv(path, index=False)
        paths.append(path)
    data = tmp_path / "data" / "faces"
    data.mkdir(parents=True)
    (data / "info.json").write_text('{"name": "faces", "kind": "faces", "label": "faces", '
                                    '"size": 32, "channels": 3}')
    out = tmp_path / "tables"
    out.mkdir()
    written = resolution_table(paths, [data], out)
    assert len(written) == 6
    assert pd.read_csv(out / "resolution.csv").shape[0] == 6
    markdown = (out / "resolution.md").read_text()
    assert "## faces at 2x, 32 -> 64 px" in markdown
    assert "| center | lama | learned | 20.00 | 18.00 | -2.00 |" in markdown
    assert (out / "resolution.html").is_file()
    with pytest.raises(InpaintError, match="no metrics of a scaled dataset"):
        resolution_table([p for p in paths if "x2" not in str(p)], [data], tmp_path / "t2")
