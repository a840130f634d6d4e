"""Per-image scores (inpaint.evaluation.scoring): parity with skimage, files, CSVs."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint.errors import InpaintError
from inpaint.evaluation import metrics_csv, pixel_metrics, scoring
from inpaint.io import save_png

from .cases import SSIM_KW, pair, write_case


@pytest.mark.parametrize(
    "shape",
    [(4, 16, 16, 3), (3, 64, 64, 3), (3, 37, 23, 1), (2, 11, 13, 1), (2, 20, 45, 3),
     (1, 140, 16, 1)],  # the last one takes the scipy filter path (side > 128)
)
def test_parity_with_skimage(shape):
    rng = np.random.default_rng(sum(shape))
    real, comp = pair(rng, shape)
    known = rng.random(shape[:3]) > rng.uniform(0.1, 0.9)
    known[0, 0, 0] = False  # at least one hole pixel
    frame = scoring.score_images(real, comp, known)
    assert list(frame.columns) == list(metrics_csv.METRIC_COLUMNS)
    for i in range(shape[0]):
        x, y = real[i] / 255.0, comp[i] / 255.0
        hole = ~known[i]
        ssim, smap = structural_similarity(x, y, full=True, **SSIM_KW)
        assert frame.psnr[i] == pytest.approx(peak_signal_noise_ratio(x, y, data_range=1), abs=1e-6)
        assert frame.ssim[i] == pytest.approx(ssim, abs=1e-6)
        assert frame.ssim_hole[i] == pytest.approx(smap[hole].mean(), abs=1e-6)
        assert frame.psnr_hole[i] == pytest.approx(
            peak_signal_noise_ratio(x[hole], y[hole], data_range=1), abs=1e-6
        )
        assert frame.l1[i] == pytest.approx(100 * np.abs(x - y).mean(), abs=1e-9)
        assert frame.l2_hole[i] == pytest.approx(100 * ((x - y)[hole] ** 2).mean(), abs=1e-9)
    assert frame.lpips.isna().all()


def test_score_files_and_write_metrics_roundtrip(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-home"))
    rng = np.random.default_rng(5)
    ids, real, comp, known = write_case(tmp_path, rng, channels=1, rgb_completions=True)
    comp[1] = real[1]
    save_png(tmp_path / "comp" / "img1.png", comp[1])
    frame = scoring.score_files(
        tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, use_lpips=False
    )
    assert list(frame.columns) == [*metrics_csv.CSV_COLUMNS, metrics_csv.BORDER_COLUMN]
    assert frame.image_id.tolist() == ids
    np.testing.assert_allclose(frame.hole_ratio, 1 - known.mean(axis=(1, 2)))
    expected = scoring.score_images(real, comp, known)
    np.testing.assert_allclose(frame.ssim, expected.ssim)
    assert frame.psnr[1] == np.inf

    frame["st_lpips"] = 0.5
    path = tmp_path / "metrics" / "m.csv"
    metrics_csv.write_metrics(path, frame)
    header = path.read_text().splitlines()[0]
    assert header == ",".join([*metrics_csv.CSV_COLUMNS, "st_lpips", metrics_csv.BORDER_COLUMN])
    back = metrics_csv.read_metrics(path)
    assert back.psnr[1] == np.inf
    assert back.lpips.isna().all()
    np.testing.assert_allclose(back.ssim, frame.ssim)


def test_score_files_names_bad_file(tmp_path):
    rng = np.random.default_rng(6)
    ids, *_ = write_case(tmp_path, rng)
    save_png(tmp_path / "comp" / "img2.png", np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(InpaintError, match=r"img2\.png"):
        scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)
    (tmp_path / "mask" / "img0.png").unlink()
    with pytest.raises(InpaintError, match=r"img0\.png"):
        scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids, False)


# ---------------------------------------------------------------- LPIPS


def test_score_files_scores_the_border_column(tmp_path):
    rng = np.random.default_rng(6)
    ids, real, comp, known = write_case(tmp_path, rng, channels=3)
    frame = scoring.score_files(tmp_path / "real", tmp_path / "comp", tmp_path / "mask", ids,
                                use_lpips=False)
    np.testing.assert_array_equal(frame[metrics_csv.BORDER_COLUMN],
                                  pixel_metrics.border_l1(real, comp, known))
