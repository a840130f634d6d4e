"""Moved to :mod:`inpaint.masks.mixture`. This alias keeps ``inpaint.methods`` and
``inpaint.training.masks`` importing until they import from there; then delete it."""

from inpaint.masks.mixture import (  # noqa: F401
    DEFAULT_MIXTURE,
    check_mixture,
    describe_mixture,
    draw_mixture,
    mixture_masks,
)
