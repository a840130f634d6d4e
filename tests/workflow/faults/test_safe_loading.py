"""No config value is evaluated and no checkpoint is unpickled: a crafted pickle runs no code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch

from inpaint.training import LAST_CHECKPOINT, load_checkpoint

from .helpers import (
    LEARNED,
    ROOT,
    assert_one_error_line,
    complete_with,
    copy_model,
    run_cli,
    two_steps,
)

UNSAFE = re.compile(
    r"(?<![.\w])(eval|exec|compile)\(|pickle\.loads?\(|yaml\.(unsafe_)?load\(|yaml\.Loader|"
    r"weights_only\s*=\s*False|allow_pickle\s*=\s*True|shell\s*=\s*True|os\.system\(|"
    r"torch\.load\((?!.*weights_only=True)")


def test_no_config_value_is_evaluated_and_nothing_is_unpickled():
    """No eval/exec, no unsafe YAML or pickle load, no shell=True anywhere in the package or
    the workflow; every torch.load passes weights_only=True on the same line."""
    files = [*(ROOT / "inpaint").rglob("*.py"), ROOT / "Snakefile",
             *(ROOT / "workflow").rglob("*.smk"), *(ROOT / "workflow").rglob("*.py")]
    assert len(files) > 30
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for path in files for n, line in enumerate(path.read_text().splitlines(), 1)
            if UNSAFE.search(line)]
    assert hits == []
    assert UNSAFE.search("x = eval(config['a'])")  # the pattern does catch what it must
    assert UNSAFE.search("torch.load(path, map_location='cpu')")
    assert not UNSAFE.search("net.eval()")


class _Payload:
    """Unpickling this creates ``marker`` (any code could run instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("method", LEARNED)
def test_crafted_pickle_checkpoint_runs_no_code(capsys, models, tmp_path, method):
    """A last.pt whose unpickling would create a file: completing and resuming training
    with it both fail naming it, and the file is never created."""
    model = copy_model(models, method, tmp_path / "model")
    marker = tmp_path / "pwned"
    evil = {**load_checkpoint(model / LAST_CHECKPOINT), "x": _Payload(marker)}
    torch.save(evil, model / LAST_CHECKPOINT)
    code, err = complete_with(capsys, models, method, model, tmp_path / "out")
    assert code == 2
    assert_one_error_line(err, model / LAST_CHECKPOINT, "weights_only")
    code, err = run_cli(capsys, "train", "--data", models / "data", "--method", method,
                        "--params", json.dumps(two_steps(method)), "--device", "cpu",
                        "--out", model)
    assert code == 2
    assert_one_error_line(err, model / LAST_CHECKPOINT, "weights_only")
    assert not marker.exists()
    assert not (tmp_path / "out").exists()
    # the payload is real: an unsafe load runs it
    torch.load(model / LAST_CHECKPOINT, weights_only=False)["x"].close()
    assert marker.exists()
