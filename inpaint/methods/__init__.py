"""Inpainting methods: interface, registry and the built-in methods.

Importing this package registers every built-in method (explicit imports,
no filesystem scanning). Heavy libraries are imported inside the methods.
"""

from inpaint.methods import (
    classical,  # noqa: F401  (biharmonic, telea, navier_stokes, shiftmap, fsr)
    context_encoder,  # noqa: F401  (context_encoder, context_encoder_l2)
    glcic,  # noqa: F401  (registers glcic, glcic_raw)
    pconv,  # noqa: F401  (registers pconv, pconv_plainconv)
    yeh_dcgan,  # noqa: F401  (registers yeh_dcgan, yeh_dcgan_raw)
)
from inpaint.methods.base import (
    InpaintMethod,
    complete_batch,
    complete_batch_with_raw,
    composite,
)
from inpaint.methods.registry import get_method, get_method_class, list_methods, register_method

__all__ = [
    "InpaintMethod",
    "complete_batch",
    "complete_batch_with_raw",
    "composite",
    "get_method",
    "get_method_class",
    "list_methods",
    "register_method",
]
