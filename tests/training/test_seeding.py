"""The random streams of training: one table (inpaint.training.seeding.Stream), distinct numbers."""

from __future__ import annotations

import ast
from pathlib import Path

from inpaint.training import derive_seed
from inpaint.training.distributed import World, rank_seed
from inpaint.training.seeding import Stream

PACKAGE = Path(__file__).resolve().parents[2] / "inpaint"


def test_stream_numbers_are_distinct():
    numbers = [member.value for member in Stream.__members__.values()]  # aliases included
    assert len(numbers) == len(set(numbers)), Stream.__members__


def test_stream_numbers_are_the_ones_results_were_made_with():
    """Renumbering a stream changes every result drawn from it: these are fixed."""
    assert {m.name: m.value for m in Stream} == {
        "SAMPLER_PERMUTATION": 1, "SAMPLER_FLIP": 2, "GLCIC_MASKS": 5, "GLCIC_SAMPLE_MASKS": 6,
        "PCONV_MASKS": 7, "CONTEXT_ENCODER_MASKS": 11, "CONTEXT_ENCODER_SAMPLE_MASKS": 12,
        "RANK": 13}


def test_every_derived_stream_names_its_table_entry():
    """No ``derive_seed(seed, <literal>, ...)`` in inpaint/: a stream is a Stream member."""
    literals = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "derive_seed" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                literals.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not literals


def test_rank_seeds_no_longer_share_pconvs_mask_stream():
    """Rank r > 0 of a data-parallel run drew from stream 7, pconv's training masks: the
    seed of rank 1 equalled the mask seed of pconv's step 1. Rank 0 keeps the run's seed."""
    assert rank_seed(5, World(0, 2)) == 5
    assert rank_seed(5, World(1, 2)) == derive_seed(5, Stream.RANK, 1)
    assert rank_seed(5, World(1, 2)) != derive_seed(5, Stream.PCONV_MASKS, 1)
    ranks = {rank_seed(5, World(r, 8)) for r in range(1, 8)}
    masks = {derive_seed(5, s, step) for s in Stream if s != Stream.RANK for step in range(8)}
    assert len(ranks) == 7
    assert not ranks & masks
