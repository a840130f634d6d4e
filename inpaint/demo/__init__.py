"""``inpaint demo``: a local web page that completes one photo with every method.

Gradio is an optional dependency (``pip install -e '.[demo]'``); it is imported
only by :func:`serve`, so the rest of the package works without it.
"""

from __future__ import annotations

from inpaint.demo.serve import serve

__all__ = ["serve"]
