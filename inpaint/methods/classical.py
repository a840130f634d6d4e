"""Classical baselines: biharmonic (scikit-image), Telea fast marching and
Navier-Stokes (OpenCV), and the xphoto methods of OpenCV contrib: patch-based
shift-map and frequency-selective reconstruction (FSR). No training; each image
is solved on its own.

Defined edge cases: a mask with no hole returns the image unchanged; a mask
with no known pixel (all hole) has nothing to propagate, so the prediction is
mid-grey (0.5) everywhere.
"""

from __future__ import annotations

import numpy as np

from inpaint.methods.base import InpaintMethod, to_uint8
from inpaint.methods.registry import register_method


class _PerImageMethod(InpaintMethod):
    any_size = True

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

        u8 = to_uint8(image)
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


class _XPhotoMethod(_PerImageMethod):
    """OpenCV contrib ``cv2.xphoto.inpaint`` (opencv-contrib-python-headless).

    Mask convention of xphoto, checked by experiment (OpenCV 5.1.0): an 8-bit
    1-channel mask where NON-ZERO marks the KNOWN pixels and 0 the hole, the
    same as our mask PNGs (255 = known) and the opposite of ``cv2.inpaint``.
    The image goes in as 8-bit, and the known pixels of the prediction are
    pasted back from the input (xphoto may change them, see the subclasses).
    """

    def predict_one(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        import cv2

        u8 = to_uint8(image)
        src = u8[:, :, 0].copy() if u8.shape[2] == 1 else self.to_colour(u8)
        dst = np.zeros_like(src)
        cv2.xphoto.inpaint(src, np.where(hole, 0, 255).astype(np.uint8), dst,
                           self.algorithm())
        out = dst.reshape(image.shape) if u8.shape[2] == 1 else self.from_colour(dst)
        out = out.astype(np.float32) / 255.0
        return np.where(hole[:, :, None], out, image).astype(np.float32)

    def algorithm(self) -> int:
        raise NotImplementedError

    def to_colour(self, rgb: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def from_colour(self, converted: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register_method("shiftmap")
class ShiftMap(_XPhotoMethod):
    """Patch-based shift-map inpainting (He & Sun 2012), cv2.xphoto INPAINT_SHIFTMAP.

    Input: 8-bit, 1 to 4 channels; OpenCV's documentation asks for colour images in
    CIELab (intensity first), so RGB images go in as 8-bit Lab and come back to RGB;
    grey images go in as they are. Shift-map relabels every pixel (a photomontage
    of shifted copies), so it also rewrites known pixels (measured: up to 25% of
    them changed at 32 px); the prediction keeps the input's known pixels.
    Time grows fast with the size (0.02-0.05 s at 32 px, ~0.5 s at 64 px,
    ~12-24 s at 256 px colour on one core; BENCHMARKS.md).
    """

    def algorithm(self) -> int:
        import cv2

        return cv2.xphoto.INPAINT_SHIFTMAP

    def to_colour(self, rgb: np.ndarray) -> np.ndarray:
        import cv2

        return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)

    def from_colour(self, converted: np.ndarray) -> np.ndarray:
        import cv2

        return cv2.cvtColor(converted, cv2.COLOR_Lab2RGB)


FSR_QUALITIES = ("fast", "best")


@register_method("fsr")
class FrequencySelectiveReconstruction(_XPhotoMethod):
    """Frequency-selective reconstruction (Seiler et al. 2015; Genser et al. 2018),
    cv2.xphoto INPAINT_FSR_FAST (``quality: fast``, the default) or INPAINT_FSR_BEST.

    Input: 8-bit 1-channel grey or 3-channel BGR (a 4-channel image is refused by
    OpenCV), so RGB images are handed over as BGR. FSR keeps grey known pixels
    exactly and colour ones within 1/255 (its internal colour conversion); the
    prediction keeps the input's known pixels. FSR_BEST costs ~5-15x FSR_FAST.
    """

    def __init__(self, quality: str = "fast") -> None:
        if quality not in FSR_QUALITIES:
            raise ValueError(f"quality must be one of {FSR_QUALITIES}, got {quality!r}")
        super().__init__(quality=quality)
        self.quality = quality

    def algorithm(self) -> int:
        import cv2

        fast = self.quality == "fast"
        return cv2.xphoto.INPAINT_FSR_FAST if fast else cv2.xphoto.INPAINT_FSR_BEST

    def to_colour(self, rgb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(rgb[:, :, ::-1])

    def from_colour(self, converted: np.ndarray) -> np.ndarray:
        return converted[:, :, ::-1]
