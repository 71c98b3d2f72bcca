"""Sorting, searching, set and counting ops against PyTorch (session 24): each program runs
once with ``T = torch`` and once with ``T = ember`` on the same inputs, and every result is
compared (values, dtypes, shapes, strides, named-tuple types, exception types and messages).
The cases are the differences a differential fuzzer found; a small seeded fuzz test keeps
watch over searchsorted, bucketize, histograms, bincount, isin and nonzero."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _run(mod: Any, code: str) -> Any:
    """Run ``code`` with ``T`` bound to ``mod``; its ``out`` is the result."""
    scope = {"T": mod, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, scope)  # noqa: S102 (the test's own programs)
    return scope["out"]


def _same(e: Any, t: Any, where: str = "out") -> None:
    """Ember's result ``e`` is PyTorch's ``t``: tensors (values, dtype, shape, strides),
    tuples with their type names, plain values (``torch`` spelled ``ember`` in strings)."""
    if type(t).__module__ == "torch" and type(t).__name__ == "Tensor":
        assert isinstance(e, ember.Tensor), where
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], where
        assert_close(e.detach(), t.detach(), msg=where, equal_nan=True)
        assert e.is_contiguous() == t.is_contiguous(), where
        assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__, where
    elif isinstance(t, (tuple, list)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t), where
        for i, (a, b) in enumerate(zip(e, t)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(t, str):
        assert e == t.replace("torch", "ember"), where
    else:
        assert e == t, where


def _check(torch: Any, code: str) -> None:
    _same(_run(ember, code), _run(torch, code))


def _check_error(torch: Any, code: str, message: bool = True) -> None:
    """Both raise the same exception type (and, with ``message``, the same text)."""
    with pytest.raises(Exception) as te:
        _run(torch, code)
    with pytest.raises(Exception) as ee:
        _run(ember, code)
    assert type(ee.value).__name__ == type(te.value).__name__, str(ee.value)
    if message:
        assert str(ee.value) == str(te.value).replace("torch", "ember") or \
            str(ee.value) == str(te.value)


# ------------------------------------------------------------------ fixed programs
FIXED = {
    # half-precision histograms work wherever PyTorch needs no min/max of the data
    "histogram_half_with_range": "x=T.tensor([0.5,1.5,0.2,1.9,-3.]).half(); "
                                 "out=[T.histogram(x,3,range=(0.,2.)), "
                                 "T.histogram(x.bfloat16(),4,range=(-1.,2.),density=True), "
                                 "x.histogram(2,range=(0.,2.)), T.histogram(x[:0],3)]",
    "histogram_half_with_edges": "x=T.tensor([0.5,1.5,0.2,1.9,-3.]).half(); "
                                 "e=T.tensor([-1.,0.,1.,2.]); "
                                 "out=[T.histogram(x,e.half()), T.histogram(x.bfloat16(),"
                                 "e.bfloat16(),density=True), T.histogramdd(x[:,None],[2],"
                                 "range=[0.,2.]), T.histogramdd(x[:,None].bfloat16(),"
                                 "[e.bfloat16()])]",
    # PyTorch adds half-precision weights into half-precision bins one at a time
    "histogram_half_weights_accumulate_in_half":
        "g=np.random.default_rng(5); x=T.tensor(g.standard_normal(120)).half(); "
        "w=T.tensor(g.random(120)*3).half(); out=[T.histogram(x,3,range=(-1.,1.),weight=w), "
        "T.histogram(x.bfloat16(),T.tensor([-2.,0.,0.5,2.]).bfloat16(),weight=w.bfloat16())]",
    # a NaN among bfloat16 values leaves the other values' bins as PyTorch's
    "bfloat16_nan_search": "s=T.tensor([-0.66,-0.63,0.05,0.19,0.93,2.]).bfloat16(); "
                           "v=T.tensor([0.63,float('nan'),-0.618,1.82,float('inf')]).bfloat16(); "
                           "out=[T.searchsorted(s,v), T.searchsorted(s,v,right=True), "
                           "T.bucketize(v,s), T.histogram(v,s,density=True), "
                           "T.searchsorted(s[None].expand(2,6),v[None,:4].expand(2,4))]",
    "isin_out": "x=T.tensor([[1,2,3],[4,5,6]]); o=T.empty(0,dtype=T.bool); "
                "r=T.isin(x,T.tensor([2,6]),out=o); out=[r is o, o, T.isin(x,3,invert=True,"
                "out=T.zeros(6,dtype=T.bool)[::2]), T.isin(2.,x.float(),out=T.empty(0,"
                "dtype=T.bool))]",
    "argsort_overloads_that_exist": "x=T.tensor([[3,1,2],[1,1,0]]); out=[T.argsort(x,0,True), "
                                    "x.argsort(0), T.argsort(x,stable=True,dim=0), "
                                    "x.argsort(dim=1,descending=True,stable=False), "
                                    "T.argsort(x,descending=True), x.argsort(stable=True)]",
    "cummax_out_exact_dtype": "x=T.tensor([[3.,1,4],[1,5,9]]); o=(T.empty(0),T.empty(0,"
                              "dtype=T.long)); r=T.cummax(x,1,out=o); out=[r[0] is o[0], o, "
                              "type(r).__name__, T.cummin(x.long(),0,out=(T.empty(0,dtype="
                              "T.long),T.empty(0,dtype=T.long)))]",
    # the zero unique keeps is the first in PyTorch's sort of the input: either sign
    "unique_signed_zero": "a=[1.,float('nan'),1.,-0.,-0.,1.,1.,0.,-0.,0.,-0.,float('nan'),"
                          "1.,-0.,1.,1.,0.]; x=T.tensor(a*3); z=lambda u: T.signbit(u[~u.isnan()]); "
                          "out=[z(T.unique(x.to(d))) for d in (T.float16,T.float32,T.float64,"
                          "T.bfloat16)] + "
                          "[T.signbit(T.unique(x[:5])), T.signbit(x.unique(sorted=False,"
                          "return_counts=True)[0]), T.unique(x,return_inverse=True)[1]]",
    # the full median's value is the one std::nth_element leaves: either sign of zero
    "median_all_signed_zero": "xs=[T.tensor([1.,0.,1.,-0.,0.]), T.tensor([-0.,0.,0.,-0.,1.,"
                              "1.,0.,1.]), T.tensor([0.,-0.,float('nan'),2.]), T.tensor([[0.,"
                              "-0.],[-0.,0.]]).half()]; out=[T.signbit(T.stack([x.median(), "
                              "x.nanmedian()])) for x in xs]",
    # a Python number is a wrapped scalar: cast (wrapping) to the boundaries' dtype
    "searchsorted_scalar_wraps_to_boundaries_dtype":
        "u=T.tensor([0,2,4],dtype=T.uint8); i=T.tensor([0,2,4],dtype=T.int8); "
        "out=[T.searchsorted(u,-1), T.searchsorted(u,300), T.searchsorted(u,2**40), "
        "T.bucketize(-1,u), T.searchsorted(i,2.5), T.searchsorted(i,True,right=True), "
        "T.searchsorted(T.tensor([0.,2,4]).half(),2.5,out_int32=True)]",
    "searchsorted_out": "s=T.tensor([0.,2,4]); v=T.tensor([[1,3],[5,-1]]); "
                        "o=T.empty(0,dtype=T.int32); r=T.searchsorted(s,v,out_int32=True,out=o);"
                        " out=[r is o, o, T.bucketize(v,s,right=True,out=T.empty(0,"
                        "dtype=T.long)), T.searchsorted(s,v.t(),out=T.zeros(2,2,dtype=T.long))]",
    # a tie (x >= running max) moves both the index and the value: -0 then 0 gives 0
    "cummax_signed_zero_ties": "x=T.tensor([[-0.,1.],[0.,-1.],[-0.,1.],[float('nan'),0.],"
                               "[0.,-0.]]); out=[T.signbit(r.values) for r in (T.cummax(x.to(d),"
                               "0) for d in (T.float16,T.float32))] + [T.signbit(T.cummax(x.nan_to_num(2.)"
                               ".bfloat16(),0).values), T.signbit(T.cummin(x.half(),0).values),"
                               " T.cummin(x,0), "
                               "T.cummax(x.t(),1)]",
    # a half-precision density divides by the total summed in float32 and rounded
    "histogram_bfloat16_density_weights":
        "g=np.random.default_rng(52); x=T.tensor(g.standard_normal(60)).bfloat16(); "
        "w=T.tensor(g.random(60)).bfloat16(); e=T.tensor([-1.9453,-1.0781,-0.0087,0.3789]); "
        "out=[T.histogram(x,e.bfloat16(),weight=w,density=True), T.histogram(x.half(),"
        "e.half(),weight=w.half(),density=True), T.histogram(x,3,range=(-1.,1.),density=True)]",
    "unique_dim_only_selected_dim_empty": "x=T.zeros(0,3); out=[T.unique(x,dim=0,"
                                          "return_counts=True), T.unique_consecutive(x,dim=0,"
                                          "return_inverse=True)]",
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs(torch, name):
    _check(torch, FIXED[name])


ERRORS = {
    # PyTorch's min/max of half-precision data has no CPU kernel
    "histogram_half_no_range": "out=T.histogram(T.tensor([0.5,1.5]).half(),3)",
    "histogram_bfloat16_weight_no_range": "x=T.tensor([0.5,1.5]).bfloat16(); "
                                          "out=T.histogram(x,3,weight=x)",
    "histogram_half_weight_dtype": "x=T.tensor([0.5,1.5]).half(); "
                                   "out=T.histogram(x,3,range=(0.,1.),weight=x.float())",
    "histogram_half_edges_dtype": "out=T.histogram(T.tensor([0.5,1.5]).double(),"
                                  "T.tensor([0.,1.]).half())",
    # ``stable=`` picks the overload whose dim and descending are keyword-only
    "argsort_positional_dim_with_stable": "out=T.argsort(T.tensor([3,1]),-1,stable=True)",
    "argsort_method_positional_dim_with_stable": "out=T.tensor([3,1]).argsort(0,stable=True)",
    "argsort_stable_none": "out=T.argsort(T.tensor([3,1]),stable=None)",
    "argsort_out_without_stable": "out=T.argsort(T.tensor([3,1]),dim=0,out=T.empty(0,"
                                  "dtype=T.long))",
    "argsort_four_positional": "out=T.argsort(T.tensor([3,1]),0,False,True)",
    "argsort_method_out": "out=T.tensor([3,1]).argsort(stable=True,out=T.empty(0,"
                          "dtype=T.long))",
    "isin_out_wrong_dtype": "out=T.isin(T.tensor([1,2]),T.tensor([2]),out=T.empty(0))",
    "cummax_out_wrong_values_dtype": "out=T.cummax(T.tensor([1.,2]),0,out=(T.empty(0,"
                                     "dtype=T.float64),T.empty(0,dtype=T.long)))",
    "cummin_out_wrong_indices_dtype": "out=T.cummin(T.tensor([1,2]),0,out=(T.empty(0,"
                                      "dtype=T.long),T.empty(0,dtype=T.int32)))",
    "searchsorted_out_int64_for_int32": "out=T.searchsorted(T.tensor([0.,2]),T.tensor([1.]),"
                                        "out_int32=True,out=T.empty(0,dtype=T.long))",
    "searchsorted_out_int32_for_int64": "out=T.searchsorted(T.tensor([0.,2]),T.tensor([1.]),"
                                        "out=T.empty(0,dtype=T.int32))",
    "bucketize_out_float": "out=T.bucketize(T.tensor([1.]),T.tensor([0.,2]),out=T.empty(0))",
    # with a range or edges, PyTorch casts the range to the input's dtype, then its
    # histogram kernel refuses the integer dtype by name
    "histogram_int_with_range": "out=T.histogram(T.tensor([1,2,3]),3,range=(0.,2.))",
    "histogram_uint8_with_edges": "out=T.histogram(T.tensor([1,2],dtype=T.uint8),"
                                  "T.tensor([0,1],dtype=T.uint8))",
    "histogram_uint8_negative_range": "out=T.tensor([1,2],dtype=T.uint8).histogram(3,"
                                      "range=(-1.,2.))",
    "histogram_int8_range_overflow": "out=T.histogram(T.tensor([1,2],dtype=T.int8),3,"
                                     "range=(-1.,200.))",
    "histogram_int64_range_overflow": "out=T.histogram(T.tensor([1,2]),3,range=(0.,1e30))",
    "histogram_bool_with_range": "out=T.histogram(T.tensor([True]),3,range=(0.,1.))",
    "histogram_complex_with_range": "out=T.histogram(T.tensor([1j]),3,range=(0.,1.))",
    "histogram_uint8_nan_range": "out=T.histogram(T.tensor([1],dtype=T.uint8),3,"
                                 "range=(0.,float('nan')))",
    "histogram_int_no_range": "out=T.histogram(T.tensor([1,2,3]),3)",
    "unique_dim_two_empty_dims": "out=T.unique(T.zeros(0,0),dim=1)",
    "unique_consecutive_dim_two_empty_dims": "out=T.unique_consecutive(T.zeros(0,0),dim=0)",
    "unique_dim_unselected_empty_dims": "out=T.unique(T.zeros(0,2,0),dim=1)",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match(torch, name):
    code = ERRORS[name]
    _check_error(torch, code, message="argsort" not in name)
    if "argsort" in name:  # the parser's text varies by call form; the op's name is kept
        with pytest.raises(TypeError, match="argsort"):
            _run(ember, code)


# ------------------------------------------------------------------ seeded fuzz
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
           "float64"]
_FLOATS = ["float16", "bfloat16", "float32", "float64"]


def _data(rng: np.random.Generator, shape: tuple, specials: bool) -> str:
    """Small integers (ties), or normals with NaN, infinities and signed zeros mixed in."""
    seed = int(rng.integers(1 << 30))
    if not specials:
        return f"np.random.default_rng({seed}).integers(-3,6,{shape}).astype(float)"
    return (f"np.where(np.random.default_rng({seed}).random({shape})<0.25,"
            f"np.random.default_rng({seed + 1}).choice([np.nan,np.inf,-np.inf,-0.,0.],{shape}),"
            f"np.random.default_rng({seed + 2}).standard_normal({shape}))")


def _fuzz_case(rng: np.random.Generator) -> str:
    """One random call of a searching, counting, histogram or set op as a program."""
    nd = int(rng.integers(0, 4))
    shape = tuple(int(rng.choice([0, 1, 2, 3, 5])) if rng.random() < 0.15 else
                  int(rng.integers(1, 6)) for _ in range(nd))
    dt = _DTYPES[rng.integers(len(_DTYPES))]
    fdt = _FLOATS[rng.integers(len(_FLOATS))]
    specials = bool(rng.random() < 0.5) and dt in _FLOATS
    src = f"T.tensor({_data(rng, shape, specials)}).to(T.{dt})"
    if nd and rng.random() < 0.3:
        src = f"T.repeat_interleave({src},2,dim=-1)[...,::2]"
    n = int(rng.integers(0, 6))
    edges = f"T.tensor(np.sort({_data(rng, (n,), False)})).to(T.{dt if dt != 'bool' else fdt})"
    fedges = f"T.tensor(np.sort({_data(rng, (n + 1,), False)}+np.arange({n + 1})*.1)).to(T.{fdt})"
    b = int(rng.integers(1, 6))
    rg = ["None", "(-1.,2.)", "(0.,4.)"][rng.integers(3)]
    calls = [f"T.searchsorted({edges},x,right={bool(rng.random() < .5)})",
             f"T.searchsorted({edges},x,side='right',out_int32=True)",
             f"T.bucketize(x,{edges},right={bool(rng.random() < .5)})",
             f"T.searchsorted({edges},{int(rng.integers(-2, 7))})",
             f"T.histogram(x.to(T.{fdt}),{b},range={rg},density={bool(rng.random() < .5)})",
             f"T.histogram(x.to(T.{fdt}),{fedges})",
             f"T.histogram(x.to(T.{fdt}),{b},range=(-2.,3.),weight=T.ones_like(x,dtype=T.{fdt})/3)",
             f"T.histc(x.to(T.{fdt if fdt in ('float32', 'float64') else 'float32'}),{b},-1,2)",
             f"T.bincount(x.to(T.int64).abs().flatten(),minlength={b})",
             f"T.bincount(x.to(T.int64).abs().flatten(),x.to(T.{fdt}).flatten())",
             f"T.isin(x,{edges},invert={bool(rng.random() < .5)})", "T.isin(x,2)",
             "T.nonzero(x)", "T.nonzero(x,as_tuple=True)", "T.argwhere(x)", "T.count_nonzero(x)",
             "T.unique(x,return_inverse=True,return_counts=True)",
             "T.unique(x,sorted=False)", "T.unique_consecutive(x,return_counts=True)"]
    return f"x={src}; out={calls[rng.integers(len(calls))]}"


def test_seeded_fuzz(torch):
    """A few hundred random calls: the same values, dtypes, shapes and named-tuple types, or
    the same exception type."""
    rng = np.random.default_rng(2424)
    for _ in range(300):
        code = _fuzz_case(rng)
        try:
            t = _run(torch, code)
        except Exception as te:  # noqa: BLE001 (any PyTorch error: ember raises the same type)
            with pytest.raises(Exception) as ee:
                _run(ember, code)
            assert type(ee.value).__name__ == type(te).__name__, code
            continue
        try:
            e = _run(ember, code)
        except Exception as ee:  # noqa: BLE001
            raise AssertionError(f"{code}: ember raised {ee!r}") from ee
        try:
            _same(e, t)
        except AssertionError as err:
            raise AssertionError(code) from err
