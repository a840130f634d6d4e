"""Classical baselines: biharmonic (scikit-image), Telea fast marching and
Navier-Stokes (OpenCV). No training; each image is solved on its own.

Defined edge cases: a mask with no hole returns the image unchanged; a mask
with no known pixel (all hole) has nothing to propagate, so the prediction is
mid-grey (0.5) everywhere.
"""

from __future__ import annotations

import numpy as np

from inpaint.methods.base import InpaintMethod
from inpaint.methods.registry import register_method


class _PerImageMethod(InpaintMethod):
    def predict(self, images: np.ndarray, known: np.ndarray) -> np.ndarray:
        out = np.empty_like(images, dtype=np.float32)
        for i, (image, keep) in enumerate(zip(images, known, strict=True)):
            if keep.all():
                out[i] = image
            elif not keep.any():
                out[i] = 0.5
            else:
                out[i] = self.predict_one(image, ~keep)
        return out

    def predict_one(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register_method("biharmonic")
class Biharmonic(_PerImageMethod):
    """skimage.restoration.inpaint_biharmonic, all channels, regions split."""

    def __init__(self, split_into_regions: bool = True) -> None:
        super().__init__(split_into_regions=split_into_regions)
        self.split_into_regions = split_into_regions

    def predict_one(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        from skimage.restoration import inpaint_biharmonic

        result = inpaint_biharmonic(
            image.astype(np.float64), hole, split_into_regions=self.split_into_regions,
            channel_axis=-1,
        )
        return np.clip(result, 0.0, 1.0).astype(np.float32)


class _OpenCVMethod(_PerImageMethod):
    flag_name = ""

    def __init__(self, radius: float = 3) -> None:
        super().__init__(radius=radius)
        self.radius = float(radius)

    def predict_one(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import cv2

        u8 = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
        u8[hole] = 0  # cv2.inpaint reads the hole's own pixels: give it none (issue 16)
        src = u8[:, :, 0] if u8.shape[2] == 1 else u8
        result = cv2.inpaint(src, hole.astype(np.uint8) * 255, self.radius,
                             getattr(cv2, self.flag_name))
        return result.reshape(image.shape).astype(np.float32) / 255.0


@register_method("telea")
class Telea(_OpenCVMethod):
    """OpenCV cv2.INPAINT_TELEA (fast marching, Telea 2004)."""

    flag_name = "INPAINT_TELEA"


@register_method("navier_stokes")
class NavierStokes(_OpenCVMethod):
    """OpenCV cv2.INPAINT_NS (Navier-Stokes, Bertalmio et al. 2001)."""

    flag_name = "INPAINT_NS"
