"""Inpainting methods: interface, registry and the built-in methods.

Importing this package registers every built-in method (explicit imports,
no filesystem scanning): one line per method package below. Heavy libraries
(torch) are imported inside the methods. A learned method is a package
``inpaint/methods/<name>/`` (``network``, ``system``, the method class in
``__init__``) built on ``inpaint.methods.learned.LearnedMethod``; see
docs/adding-a-method.md.
"""

from inpaint.methods import (
    classical,  # noqa: F401  (biharmonic, telea, navier_stokes, shiftmap, fsr)
    context_encoder,  # noqa: F401  (context_encoder, context_encoder_l2)
    glcic,  # noqa: F401  (registers glcic, glcic_raw)
    lama,  # noqa: F401  (registers lama)
    pconv,  # noqa: F401  (registers pconv, pconv_plainconv)
    yeh_dcgan,  # noqa: F401  (registers yeh_dcgan, yeh_dcgan_raw)
)
from inpaint.methods.base import (
    InpaintMethod,
    complete_batch,
    complete_batch_with_raw,
    composite,
)
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.registry import (
    classical_methods,
    get_method,
    get_method_class,
    learned_methods,
    list_methods,
    register_method,
)

__all__ = [
    "InpaintMethod",
    "LearnedMethod",
    "classical_methods",
    "complete_batch",
    "complete_batch_with_raw",
    "composite",
    "get_method",
    "get_method_class",
    "learned_methods",
    "list_methods",
    "register_method",
]
