"""Printing against PyTorch, found by a differential fuzzer (session 23): ``format`` of
parameters, subclasses, meta tensors, dtypes, devices, sizes, finfo/iinfo,
return types and generators, ``__repr__(tensor_contents=...)``, the
``_tensor_str`` module (``PRINT_OPTS``, ``get_printoptions``, ``printoptions``), the
``Generator`` repr, the message of a missing dunder, and a seeded fuzz of suffix wrapping
(``dtype=``/``grad_fn=``/``requires_grad=``/``size=``) under random widths and precisions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember


def outcome(fn: Any) -> Any:
    """``fn()`` as text, or the exception's type name and message, with PyTorch's module
    name written as Ember's."""
    try:
        return str(fn()).replace("torch", "ember")
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e).replace("torch", "ember")


@pytest.fixture
def reset(torch):
    yield
    for m in (ember, torch):
        m.set_printoptions(profile="default", sci_mode=None)
        m.set_default_dtype(m.float32)


FORMATS = [
    lambda m: format(m.tensor(1.25), ".1f"),
    lambda m: f"{m.tensor(1.5, requires_grad=True):.3f}",
    lambda m: format(m.nn.Parameter(m.tensor(1.5)), ".2f"),
    lambda m: format(m.nn.Parameter(m.tensor(1.5))),
    lambda m: f"{m.nn.Parameter(m.tensor(2.5), requires_grad=False)}",
    lambda m: format(m.nn.Parameter(m.tensor([1.5, 2.0])), ""),
    lambda m: format(m.empty((), device="meta"), ".2f"),
    lambda m: format(m.empty((), device="meta")),
    lambda m: format(m.tensor(7), "04d"),
    lambda m: format(m.tensor([1.0]), ".2f"),
]


@pytest.mark.parametrize("i", range(len(FORMATS)))
def test_format_only_plain_zero_dim_tensors_as_numbers(torch, i):
    pytest.importorskip("ember.nn")
    assert outcome(lambda: FORMATS[i](ember)) == outcome(lambda: FORMATS[i](torch))


def test_format_of_a_user_subclass(torch):
    class TM(torch.Tensor):
        pass

    class EM(ember.Tensor):
        pass

    t, e = torch.tensor(2.5).as_subclass(TM), ember.tensor(2.5).as_subclass(EM)
    for spec in ("", ".2f"):
        assert str(outcome(lambda s=spec: format(e, s))) == \
            str(outcome(lambda s=spec: format(t, s))).replace("TM", "EM")


C_TYPES = [lambda m: m.float32, lambda m: m.device("cpu"), lambda m: m.device("cuda", 1),
           lambda m: m.Size([2, 3]), lambda m: m.zeros(0, 2).shape, lambda m: m.finfo(),
           lambda m: m.iinfo(m.uint8), lambda m: m.max(m.ones(2, 2), 0),
           lambda m: m.sort(m.tensor([2, 1]))]


@pytest.mark.parametrize("spec", ["", ">20", ".2f"])
@pytest.mark.parametrize("i", range(len(C_TYPES)))
def test_format_of_dtypes_devices_sizes_and_infos(torch, i, spec):
    assert outcome(lambda: format(C_TYPES[i](ember), spec)) == \
        outcome(lambda: format(C_TYPES[i](torch), spec))


def test_missing_dunder_names_the_class(torch):
    assert outcome(lambda: ember.tensor(2.5).__round__()) == \
        outcome(lambda: torch.tensor(2.5).__round__())


CONTENTS = [
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True),
    lambda m: m.zeros(2, 0),
    lambda m: m.zeros(3, dtype=m.int8),
    lambda m: m.zeros(2, device="meta"),
    lambda m: m.ones(2, requires_grad=True) * 2,
]


@pytest.mark.parametrize("i", range(len(CONTENTS)))
def test_repr_with_tensor_contents(torch, i):
    assert outcome(lambda: CONTENTS[i](ember).__repr__(tensor_contents="XYZ")) == \
        outcome(lambda: CONTENTS[i](torch).__repr__(tensor_contents="XYZ"))


@pytest.mark.parametrize("opts", [{}, {"profile": "full"}, {"profile": "short"},
                                  {"precision": 2, "sci_mode": True},
                                  {"threshold": 5, "edgeitems": 1, "linewidth": 40}])
def test_tensor_str_print_options(torch, reset, opts):
    for m in (ember, torch):
        m.set_printoptions(**opts)
    assert outcome(lambda: ember._tensor_str.get_printoptions()) == \
        outcome(lambda: torch._tensor_str.get_printoptions())
    assert repr(ember._tensor_str.PRINT_OPTS) == repr(torch._tensor_str.PRINT_OPTS)


def test_printoptions_context_restores(torch, reset):
    def show(m):
        m.set_printoptions(precision=6)
        x = m.tensor([1.2345678, 1e-6])
        with m._tensor_str.printoptions(precision=2, sci_mode=False, linewidth=20):
            inside = repr(x) + repr(m._tensor_str.PRINT_OPTS.precision)
        return inside + repr(x) + str(m._tensor_str.get_printoptions())

    assert show(ember) == show(torch)


def test_generator_repr(torch):
    def head(m):
        return repr(m.Generator()).split(" at ")[0]

    assert head(ember) == head(torch).replace("torch", "ember")
    assert outcome(lambda: format(ember.Generator())).split(" at ")[0] == \
        outcome(lambda: format(torch.Generator())).split(" at ")[0]
    assert outcome(lambda: format(ember.Generator(), ">9")) == \
        outcome(lambda: format(torch.Generator(), ">9"))


DTYPES = ["float16", "float32", "float64", "bfloat16", "complex64", "complex128"]


def _case(rng: np.random.Generator) -> tuple:
    """A random tensor and how to print it: values, dtype, default dtype, options and how
    it is made (plain, requiring grad, a graph result, a parameter, a meta tensor)."""
    n = int(rng.integers(1, 30))
    shape = (n,) if rng.random() < 0.6 else (int(rng.integers(1, 4)), n)
    a = (rng.standard_normal(shape) * 10.0 ** int(rng.integers(-6, 7))).round(
        int(rng.integers(0, 6)))
    name = DTYPES[int(rng.integers(len(DTYPES)))]
    if name.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    opts = {"linewidth": int(rng.choice([80, 60, 100, 45])),
            "precision": int(rng.choice([4, 2, 6]))}
    return a, name, str(rng.choice(["float32", "float64"])), opts, int(rng.integers(6))


def _make(m: Any, a: np.ndarray, name: str, kind: int) -> Any:
    t = m.tensor(a)
    t = (t.float() if name == "bfloat16" else t).to(getattr(m, name))
    if kind == 1:
        return t.requires_grad_()
    if kind == 2:
        return t.requires_grad_() * 2
    if kind == 3:
        return m.nn.Parameter(t)
    if kind == 4:
        return m.empty(t.shape, dtype=t.dtype, device="meta")
    return t


def test_fuzz_suffix_wrapping(torch, reset):
    pytest.importorskip("ember.nn")
    rng = np.random.default_rng(2323)
    for _ in range(200):
        a, name, default, opts, kind = _case(rng)
        texts = []
        for m in (torch, ember):
            m.set_printoptions(profile="default", sci_mode=None)
            m.set_printoptions(**opts)
            m.set_default_dtype(getattr(m, default))
            t = _make(m, a, name, kind)
            texts.append(repr(t).replace("torch.", "ember.") + str(t).replace("torch.", "ember."))
        assert texts[1] == texts[0], (name, a.shape, opts, default, kind)
