"""The shape every learned method shares (docs/adding-a-method.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inpaint.errors import InpaintError
from inpaint.methods import LearnedMethod, get_method, get_method_class, learned_methods

PACKAGE = Path(__file__).resolve().parents[2] / "inpaint"
MAX_LINES = 400


def test_no_module_of_methods_or_training_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n
            for folder in ("methods", "training") for p in (PACKAGE / folder).rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long


def test_every_learned_method_is_a_package_with_network_and_system():
    for name in learned_methods():
        cls = get_method_class(name)
        assert issubclass(cls, LearnedMethod), name
        module = sys.modules[cls.__module__]
        folder = Path(module.__file__).parent
        assert Path(module.__file__).name == "__init__.py", name
        assert {"network.py", "system.py"} <= {p.name for p in folder.iterdir()}, name


def test_importing_a_method_package_does_not_import_torch():
    for name in ("context_encoder", "glcic", "pconv", "yeh_dcgan", "learned"):
        code = (f"import sys, inpaint.methods.{name}; "
                "assert 'torch' not in sys.modules, 'torch imported'")
        subprocess.run([sys.executable, "-c", code], check=True)


def test_every_learned_method_refuses_an_empty_train_split_with_one_message(
        tmp_path, smooth_images, tiny_dataset):
    images = smooth_images(4, 3)
    data = tiny_dataset(tmp_path / "data", {"train": images[:0], "val": images[:2],
                                            "test": images[2:]})
    for name in learned_methods():
        with pytest.raises(InpaintError) as error:
            get_method(name).fit(data, tmp_path / name, seed=0, device="cpu", threads=1)
        assert str(error.value) == f"{data}: the train split is empty; {name} needs training images"
        assert not (tmp_path / name).exists()
