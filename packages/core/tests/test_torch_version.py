"""``ember.__version__`` compares as a version, as ``torch.__version__`` (a TorchVersion)
does: against strings, tuples and ``packaging`` Versions, text that is no version as text."""

import pickle

import pytest
from packaging.version import Version

import ember
from ember.torch_version import TorchVersion


@pytest.mark.parametrize("other, expected", [
    ((0, 1), True), ((0, 1, 0), True), ((0, 2), False), ([0, 0, 9], True),
    ("0.1", True), ("0.1.0.0", True), ("0.10", False), ("1.10", False),
    (Version("0.1.0"), True), (Version("0.1.1"), False)])
def test_release_compares_as_a_version(other, expected):
    assert (ember.__version__ >= other) is expected


def test_same_rules_as_torch():
    pytest.importorskip("torch")
    from torch.torch_version import TorchVersion as TV

    cases = ["1.10", "1.9.5", (1, 10), (1, 10, 0), (2,), "1.10.0a0", "parrot", "1.10+cpu"]
    for text in ("1.10.0", "1.9.1+cpu", "2.0.0a0"):
        for other in cases:
            for op in ("__lt__", "__le__", "__eq__", "__ge__", "__gt__"):
                assert getattr(TorchVersion(text), op)(other) == \
                    getattr(TV(text), op)(other), (text, other, op)


def test_still_a_string():
    v = ember.__version__
    assert isinstance(v, str) and v == "0.1.0" and hash(v) == hash("0.1.0")
    assert pickle.loads(pickle.dumps(v)) == v
    assert v.split(".")[0] == "0"
    assert type(ember.version.__version__) is str  # torch.version.__version__ is plain
