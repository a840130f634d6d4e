"""The method interface shared by classical and learned inpainting methods.

A method predicts hole pixels for a batch of images; the caller composites
(known pixels are never changed): x = M * y + (1 - M) * prediction.
Images are float32 in [0, 1], shape (N, H, W, C); ``known`` is bool (N, H, W),
True where the pixel is known (mask value 255).

What a method may see: ``complete_batch`` hands ``predict`` the corrupted image
M * y, every hole pixel 0 (a method that wants another fill, e.g. the dataset
mean, puts it there itself), never the ground truth of the hole.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np


class InpaintMethod(ABC):
    """Base class. Subclasses register with ``@register_method("key")``."""

    name: ClassVar[str] = ""
    learned: ClassVar[bool] = False
    # A variant that completes with another method's trained model (e.g. the
    # unblended output of yeh_dcgan) names that method here; the workflow then
    # trains once, in results/models/{dataset}/{shares_model_with}/.
    shares_model_with: ClassVar[str | None] = None
    # Whether ``predict_with_raw`` gives the ``{name}_raw`` variant's prediction from the
    # same pass (yeh_dcgan: one latent search, blended and not); the workflow then
    # completes both in one job when their config blocks are equal.
    completes_raw_variant: ClassVar[bool] = False
    # Learned methods: the hyper-parameters of the networks ``load`` builds. They are read
    # from the trained model's model.json; a config that changed one is an error.
    architecture_keys: ClassVar[tuple[str, ...]] = ()
    # Whether it completes images of other sizes than it was trained on (a classical
    # method: any size; a learned one: fully convolutional, e.g. lama). The config's
    # `resolution` block tests only such methods at `scale` x the training size.
    any_size: ClassVar[bool] = False

    @classmethod
    def model_owner(cls) -> str:
        return cls.shares_model_with or cls.name

    @classmethod
    def pretrained_inputs(cls, params: dict) -> list[str]:
        """Pretrained files that training with ``params`` reads (e.g. pconv's VGG16
        weights): the workflow's train rule takes them as inputs, so a rule makes them first."""
        return []

    def __init__(self, **params) -> None:
        self.params = params

    @abstractmethod
    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        """Return float32 predictions (N, H, W, C) in [0, 1] for every pixel.

        ``images`` is M * y: hole pixels are 0 when called through ``complete_batch``."""

    def predict_with_raw(self, images: np.ndarray, known: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
        """(this method's prediction, its ``{name}_raw`` variant's) from one pass."""
        raise NotImplementedError(f"method {self.name!r} does not complete a raw variant")

    # Learned methods override these three.
    def fit(self, data_dir: str | os.PathLike, model_dir: str | os.PathLike, **engine) -> None:
        raise NotImplementedError(f"method {self.name!r} has no training stage")

    def load(self, model_dir: str | os.PathLike, device: str = "auto") -> None:
        raise NotImplementedError(f"method {self.name!r} has no checkpoint to load")


def composite(images: np.ndarray, known: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """x = M * y + (1 - M) * prediction, all float (N, H, W, C), known bool (N, H, W)."""
    keep = known[..., None]
    return np.where(keep, images, np.clip(prediction, 0.0, 1.0)).astype(np.float32)


def to_float(images_u8: np.ndarray) -> np.ndarray:
    return images_u8.astype(np.float32) / 255.0


def to_uint8(images: np.ndarray) -> np.ndarray:
    return np.clip(np.round(images * 255.0), 0, 255).astype(np.uint8)


def masked(images: np.ndarray, known: np.ndarray) -> np.ndarray:
    """M * y: a copy of float ``images`` (N, H, W, C) with every hole pixel set to 0."""
    return np.where(known[..., None], images, np.float32(0.0)).astype(np.float32)


def complete_batch(method: InpaintMethod, images_u8: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Run ``method`` on M * y and composite: uint8 in, uint8 out, known pixels
    bit-identical. The method never sees the hole pixels of ``images_u8``."""
    images = to_float(images_u8)
    return _finish(method, images_u8, images, known, method.predict(masked(images, known), known))


def complete_batch_with_raw(method: InpaintMethod, images_u8: np.ndarray, known: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """``complete_batch`` for the method and its ``{name}_raw`` variant, from one pass."""
    images = to_float(images_u8)
    main, raw = method.predict_with_raw(masked(images, known), known)
    return (_finish(method, images_u8, images, known, main),
            _finish(method, images_u8, images, known, raw))


def _finish(method: InpaintMethod, images_u8: np.ndarray, images: np.ndarray,
            known: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Composite one prediction: ``images`` is ``to_float(images_u8)``, computed once."""
    if prediction.shape != images.shape:
        raise ValueError(
            f"method {method.name!r} returned shape {prediction.shape}, expected {images.shape}"
        )
    out = to_uint8(composite(images, known, prediction))
    out[known] = images_u8[known]
    return out
