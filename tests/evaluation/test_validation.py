import numpy as np

from inpaint.data.store import DatasetInfo, Split, save_dataset
from inpaint.evaluation.validation import validation_scores
from inpaint.methods import get_method


def test_scores_on_the_validation_split_only(tmp_path):
    rng = np.random.default_rng(0)

    def split(prefix, n, value=None):
        images = (rng.random((n, 16, 16, 1)) * 255).astype(np.uint8)
        if value is not None:
            images[:] = value
        return Split([f"{prefix}{i}" for i in range(n)], images, ["x"] * n)

    info = DatasetInfo(name="toy", kind="folder", label="toy", size=16, channels=1)
    # constant validation images: any propagation method is (nearly) exact there
    save_dataset(tmp_path, info, {"train": split("a", 4), "val": split("v", 6, value=77),
                                  "test": split("t", 3)})
    scores = validation_scores(get_method("telea"), tmp_path, seed=0)
    assert list(scores.maskset) == ["center", "box", "irregular", "pixels"]
    assert (scores.n == 6).all()
    assert (scores.psnr_hole > 40).all()  # random train/test images would give ~10 dB
