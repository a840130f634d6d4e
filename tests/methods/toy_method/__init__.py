"""toy_fill: the smallest learned method, the worked example of docs/adding-a-method.md.

A three-layer convolutional network sees the image with its holes zeroed plus the
mask and predicts every pixel; it trains with the L1 error on the holes of random
pixel masks. The layout is a built-in method's: ``network`` (the nn.Module),
``system`` (loss, optimiser, masks) and this file (the registered method class,
its hyper-parameters checked without torch). Copied to ``inpaint/methods/toy_fill/``
and imported in ``inpaint/methods/__init__.py`` it is a built-in method; its imports
are relative so the folder works in either place.
"""

from __future__ import annotations

from typing import Any, ClassVar

from inpaint.errors import InpaintError
from inpaint.methods.learned import LearnedMethod
from inpaint.methods.registry import register_method


@register_method("toy_fill")
class ToyFill(LearnedMethod):
    """A tiny learned hole filler (a template, not a baseline)."""

    # the hyper-parameters that shape the saved network: read back from model.json at
    # load time; a config that changes one is an error until the model is retrained
    architecture_keys: ClassVar[tuple[str, ...]] = ("width",)

    def __init__(self, steps: int = 200, batch_size: int = 16, checkpoint_every: int = 100,
                 sample_every: int = 100, log_every: int = 10, flip: bool = True,
                 width: int = 16, lr: float = 1e-3, hole_share: float = 0.5) -> None:
        where = f"methods.{self.name}"
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise InpaintError(f"{where}.width: expected an integer >= 1, got {width!r}")
        if not 0 < hole_share < 1:
            raise InpaintError(f"{where}.hole_share: expected a number in (0, 1), "
                               f"got {hole_share!r}")
        super().__init__(steps=steps, batch_size=batch_size, checkpoint_every=checkpoint_every,
                         sample_every=sample_every, log_every=log_every, flip=flip,
                         width=width, lr=float(lr), hole_share=float(hole_share))

    def make_system(self, runtime, hp: dict[str, Any], info, config):
        from .system import ToyFillSystem

        return ToyFillSystem(runtime, hp, info.channels, info.size)

    def build_networks(self, hp: dict[str, Any], size: int, channels: int) -> dict:
        from .network import ToyFillNet

        return {"net": ToyFillNet(channels, hp["width"])}

    def forward(self, x, known):
        return self.networks["net"](x, known)
