"""The restricted numpy unpickler: plain arrays in, any other global refused by name."""

import os
import pickle

import numpy as np
import pytest

from inpaint.errors import InpaintError
from inpaint.pretrained.numpy_pickles import read_numpy_pickle


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(("payload", "message"), [
    ({"AlexNet_0": {"x": Evil()}}, r"refusing to unpickle the global posix\.system"),
    ({"a": np.zeros(2), "b": __import__("collections").OrderedDict()},
     r"global collections\.OrderedDict"),
    ({"a": [np.zeros(2)]}, r"/a is a list, expected nested dicts of numpy arrays"),
    ({"a": np.array([1, "x"], dtype=object)}, r"array /a has dtype object"),
    ({"a": np.float32(1.0)}, r"global numpy\._core\.multiarray\.scalar|numpy.core.multiarray"),
])
def test_numpy_only_unpickler_refuses_anything_but_arrays(payload, message):
    data = pickle.dumps(payload, protocol=3)
    with pytest.raises(InpaintError, match=message) as info:
        read_numpy_pickle(data, "weights/x.ckpt")
    assert "weights/x.ckpt" in str(info.value)


def test_numpy_only_unpickler_reads_plain_arrays():
    payload = {"A": {"k": np.arange(24, dtype=np.float32).reshape(2, 3, 4)},
               "b": np.arange(3, dtype=np.int64)}
    for protocol in (3, 4, 5):
        back = read_numpy_pickle(pickle.dumps(payload, protocol=protocol), "x")
        np.testing.assert_array_equal(back["A"]["k"], payload["A"]["k"])
        assert back["A"]["k"].dtype == np.float32
    # protocol 2 needs _codecs.encode for bytes: not an array reconstruction, refused
    with pytest.raises(InpaintError, match=r"global _codecs\.encode"):
        read_numpy_pickle(pickle.dumps(payload, protocol=2), "x")
    with pytest.raises(InpaintError, match="x: not a readable numpy pickle"):
        read_numpy_pickle(pickle.dumps(payload)[:50], "x")
