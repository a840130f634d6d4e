"""Table pages (inpaint.evaluation.tables): csv / md / tex writers and footnotes."""

from __future__ import annotations

import re

import pandas as pd

from inpaint.evaluation import summary as aggregation
from inpaint.evaluation import tables
from inpaint.evaluation.metrics_csv import read_metrics, write_metrics


def _tex_body_rows(tex):
    lines = [ln for ln in tex.splitlines() if not ln.startswith("%")]
    spec = re.search(r"\\begin\{tabular\}\{([^}]*)\}", tex).group(1)
    rows = [ln for ln in lines if ln.endswith(r"\\")]
    return spec, rows, lines


def test_write_tables(tmp_path, frames):
    summary = aggregation.summarize(frames, n_boot=100)
    by_ratio = aggregation.by_hole_ratio(frames)
    reason = "LPIPS needs torchvision's AlexNet ImageNet weights (/x/alexnet.pth), not present"
    written = tables.write_tables(tmp_path / "tables", summary, by_ratio, [reason])
    names = sorted(p.name for p in written)
    assert names == ["by_hole_ratio.csv", "by_hole_ratio.md", "summary.csv", "summary.md",
                     "summary.tex"]
    assert all(p.is_file() for p in written)
    assert not list((tmp_path / "tables").glob(".*"))  # no temporary files left

    back = pd.read_csv(tmp_path / "tables" / "summary.csv")
    assert list(back.columns) == list(summary.columns)
    assert back.lpips_mean.isna().sum() == 2   # empty cells for the rows without LPIPS

    md = (tmp_path / "tables" / "summary.md").read_text()
    table_lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(table_lines) == 2 + len(summary)
    assert len({ln.count("|") for ln in table_lines}) == 1
    assert re.search(r"\| \d+\.\d{2} \[\d+\.\d{2}, \d+\.\d{2}\] \|", md)
    assert "SSIM" in md
    assert "sigma 1.5" in md
    assert reason in md
    assert "my_method" in md

    tex = (tmp_path / "tables" / "summary.tex").read_text()
    spec, rows, lines = _tex_body_rows(tex)
    assert len(rows) == 1 + len(summary)
    for row in rows:
        assert row.count("&") == len(spec) - 1
    body = "\n".join(lines)
    assert "my\\_method" in body
    assert re.search(r"(?<!\\)_", body) is None
    assert body.count("{") == body.count("}")
    for cmd in ("\\toprule", "\\midrule", "\\bottomrule", "\\end{tabular}"):
        assert cmd in body

    ratio_md = (tmp_path / "tables" / "by_hole_ratio.md").read_text()
    assert "(0.01,0.1]" in ratio_md
    assert "PConv" in ratio_md


def test_generic_lpips_note_when_empty(frames):
    key = ("fonts", "center", "telea")
    summary = aggregation.summarize({key: frames[key]}, n_boot=10)
    assert tables.LPIPS_GENERIC_NOTE in tables.summary_markdown(summary)
    with_lpips = aggregation.summarize(
        {k: frames[k] for k in [("fonts", "center", "my_method")]}, n_boot=10)
    assert tables.LPIPS_GENERIC_NOTE not in tables.summary_markdown(with_lpips)


def test_metrics_csv_round_trip_keeps_the_summary(tmp_path, frames):
    for (d, m, method), frame in frames.items():
        write_metrics(tmp_path / d / m / f"{method}.csv", frame)
    loaded = {key: read_metrics(tmp_path / key[0] / key[1] / f"{key[2]}.csv") for key in frames}
    assert list(loaded) == list(frames)
    a = aggregation.summarize(frames, n_boot=20)
    b = aggregation.summarize(loaded, n_boot=20)
    pd.testing.assert_frame_equal(a, b)
