"""Reductions, scans, sorting and selection against PyTorch (session 23): each program runs
once with ``T = torch`` and once with ``T = ember`` on the same inputs, and every result is
compared (values, dtypes, shapes, strides, named-tuple types, exception types and messages,
warnings). The cases are the differences a differential fuzzer found; a small seeded fuzz
test keeps watch over the whole family."""

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
        assert_close(e.detach(), t.detach(), msg=where, equal_nan=True)
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], where
        assert e.is_contiguous() == t.is_contiguous(), where
        if t.numel() > 1:
            assert e.stride() == t.stride(), where
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
    if "invalid combination of arguments" in str(te.value):  # the parser's text varies by
        message = False  # call form; the op's name and the refusal are what users rely on
        assert str(ee.value).startswith(str(te.value).split("(", 1)[0])
    if message:
        assert str(ee.value) == str(te.value).replace("torch", "ember") or \
            str(ee.value) == str(te.value)


def _warnings(mod: Any, code: str) -> list[str]:
    """The warning categories ``code`` emits with ``T = mod``."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        exec(code, {"T": mod, "np": np})  # noqa: S102
    return sorted({type(m.message).__name__ for m in w})


# ------------------------------------------------------------------ fixed programs
FIXED = {
    # linalg.vector_norm of a 0-dim tensor takes dim 0 / -1 / [-1]
    "vector_norm_0dim_with_dim": "x=T.tensor(2.,requires_grad=True); "
                                 "y=T.linalg.vector_norm(x,ord=0.5,dim=[-1]); y.backward(); "
                                 "out=[y,x.grad,T.linalg.vector_norm(x,dim=0,keepdim=True),"
                                 "T.linalg.vector_norm(x.detach(),ord=float('inf'),dim=(0,))]",
    # dim=[] is "every dim" for vector_norm, as dim=None
    "vector_norm_empty_dim_list": "x=T.arange(6.).reshape(2,3); "
                                  "out=[T.linalg.vector_norm(x,0,dim=[],keepdim=True), "
                                  "T.linalg.vector_norm(x,2,dim=[]), "
                                  "T.linalg.vector_norm(x.half(),1,dim=[],keepdim=True)]",
    # topk of a 0-dim tensor gives its element even for k=0
    "topk_0dim_k0": "x=T.tensor(2); out=[x.topk(0), T.topk(x,0,largest=False,sorted=False), "
                    "T.tensor(1.5).topk(1)]",
    # a resized out= of a reduction over a transposed input is C-ordered
    "out_resized_is_c_ordered": "x=T.arange(60.).reshape(3,4,5).transpose(0,2); "
                                "o=[T.empty(0) for _ in range(6)]; T.amax(x,0,out=o[0]); "
                                "T.sum(x,0,out=o[1]); T.aminmax(x,dim=0,out=(o[2],o[3])); "
                                "T.std(x,0,out=o[4]); T.logsumexp(x,0,out=o[5]); out=o",
    "out_of_right_shape_keeps_strides": "x=T.arange(60.).reshape(3,4,5).transpose(0,2); "
                                        "o=T.zeros(3,4).t(); r=T.sum(x,0,out=o); "
                                        "out=[r is o, o, o.stride()]",
    # unique_consecutive with dim: laid out with ``dim`` outermost, as unique's
    "unique_consecutive_dim_layout": "x=T.tensor([[[1,2,2],[1,2,2]],[[1,2,2],[1,2,2]]],"
                                     "dtype=T.int8); out=[T.unique_consecutive(x,dim=d) "
                                     "for d in (0,2,-1)] + [T.unique_consecutive(x.float().mT,"
                                     "return_counts=True,return_inverse=True,dim=1)]",
    # the legal std/var overloads still work
    "moment_overloads_that_exist": "x=T.tensor([[1.,2,4],[3,3,9]]); "
                                   "out=[x.std(None,True,True), x.var(dim=None,unbiased=False,"
                                   "keepdim=True), x.var(keepdim=True), x.var(True), "
                                   "x.var(unbiased=False), x.var(0,False,True), "
                                   "T.var(x,0,keepdim=True,correction=0), T.std_mean(x,keepdim=True),"
                                   " T.var_mean(x,1,True), T.std(x,(1,),True,out=T.empty(0))]",
    "nuclear_norm_dims": "x=T.arange(30.).reshape(5,3,2); out=[T.norm(x,p='nuc',dim=[0,2]), "
                         "x.norm('nuc',(-1,0),True)]",
    "argsort_out_with_stable": "x=T.tensor([[3.,1,2]]); o=T.empty(0,dtype=T.long); "
                               "r=T.argsort(x,stable=True,out=o); out=[r is o, o, "
                               "T.argsort(x,stable=False,out=T.empty(0,dtype=T.long)), "
                               "x.argsort(), x.argsort(1,True)]",
    "out_with_a_dim_still_works": "x=T.tensor([[3.,1,2]]); out=[T.sum(x,1,out=T.empty(0)), "
                                  "T.prod(x,0,out=T.empty(0)), T.median(x,1,out=(T.empty(0),"
                                  "T.empty(0,dtype=T.long))), T.nanmedian(x,1,out=(T.empty(0),"
                                  "T.empty(0,dtype=T.long))), T.sum(x,None,out=T.empty(0))]",
    # complex gradients are conjugated as PyTorch's (grad * conj(d out / d x))
    "logsumexp_complex_grad": "x=T.tensor([[1+1j,2-1j],[0.5j,1]],dtype=T.complex128,"
                              "requires_grad=True); y=T.logsumexp(x,1); "
                              "z=T.logsumexp(x,(0,1),keepdim=True); "
                              "(y.abs().sum()+z.real.sum()).backward(); out=[y,z,x.grad]",
    "logcumsumexp_complex_grad": "x=T.tensor([[1+1j,2-1j,0.3],[0.5j,1,-2j]],"
                                 "dtype=T.complex128,requires_grad=True); "
                                 "y=T.logcumsumexp(x,1); w=T.tensor([[0.,1,2],[3,0,-1]],"
                                 "dtype=T.float64); (y.abs().sum()+(y.real*w).sum()"
                                 "+T.logcumsumexp(x,0).imag.sum()).backward(); out=[y,x.grad]",
    # the mean of var_mean/std_mean is PyTorch's double-precision one (no float32 overflow)
    "var_mean_float32_large": "x=T.tensor([3e38, 3e38, 1.]); h=T.tensor([6e4,6e4,1.]).half();"
                              " out=[T.var_mean(x,0), T.std_mean(x), T.var_mean(h,0)]",
    "nanmean_float_dtype": "x=T.tensor([1.,2,float('nan')]); out=[T.nanmean(x,dtype=T.float64),"
                           " x.bfloat16().nanmean(dtype=T.float32), x.half().nanmean(0)]",
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs(torch, name):
    _check(torch, FIXED[name])


ERRORS = {
    # std/var: ``unbiased`` with ``keepdim`` but no ``dim`` matches no overload
    "std_unbiased_keepdim": "x=T.ones(3); out=x.std(unbiased=True,keepdim=False)",
    "std_bool_keepdim": "x=T.ones(3); out=x.std(True,keepdim=False)",
    "var_bool_bool": "x=T.ones(2,3); out=x.var(True,True)",
    "var_int_unbiased_keepdim": "x=T.ones(3,dtype=T.int16); out=x.var(unbiased=True,"
                                "keepdim=True)",
    "var_mean_unbiased_keepdim": "x=T.ones(3); out=T.var_mean(x,unbiased=False,keepdim=True)",
    "std_mean_bool_keepdim": "x=T.ones(3); out=T.std_mean(x,True,keepdim=True)",
    "std_bool_out": "x=T.ones(2,3); out=T.std(x,True,out=T.empty(0))",
    "std_unbiased_out": "x=T.ones(5); out=T.std(x,unbiased=False,out=T.empty(0))",
    # norm(p='fro') over more than two dims is matrix_norm's refusal
    "fro_three_dims": "x=T.ones(4,4,3); out=T.norm(x,dim=[-2,2,-3],keepdim=True)",
    "fro_three_dims_explicit": "x=T.ones(4,4,3); out=T.norm(x,p='fro',dim=(2,-2,-3))",
    # out= needs a dim
    "sum_out_no_dim": "x=T.ones(2,3); out=T.sum(x,out=T.empty(0))",
    "prod_out_no_dim": "x=T.ones(2,3); out=T.prod(x,out=T.empty(0))",
    "sum_dtype_out_no_dim": "x=T.ones(2,3); out=T.sum(x,dtype=T.float64,"
                            "out=T.empty(0,dtype=T.float64))",
    "median_out_no_dim": "x=T.ones(2,3); out=T.median(x,out=(T.empty(0),T.empty(0,"
                         "dtype=T.long)))",
    "nanmedian_out_no_dim": "x=T.ones(2,3); out=T.nanmedian(x,out=T.empty(0))",
    "argsort_out_without_stable": "x=T.ones(2,3); out=T.argsort(x,out=T.empty(0,"
                                  "dtype=T.long))",
    # nanmean: a float input and a float/complex dtype
    "nanmean_int_dtype": "x=T.tensor([1.,2,2]); out=T.nanmean(x,dtype=T.int64)",
    "nanmean_bool_dtype": "x=T.tensor([1.,2,2]); out=x.nanmean(dtype=T.bool)",
    "nanmean_int_input_float_dtype": "x=T.tensor([1,2,2]); out=T.nanmean(x,dtype=T.float32)",
    # norm(p='nuc'): PyTorch's matrix_norm checks
    "nuc_1d": "x=T.ones(5,dtype=T.complex64); out=T.norm(x,p='nuc',dim=-1)",
    "nuc_int_dim": "x=T.ones(5,3); out=T.norm(x,p='nuc',dim=1)",
    "nuc_three_dims": "x=T.ones(5,3,2); out=T.norm(x,p='nuc',dim=(0,2,-2))",
    "nuc_half": "x=T.ones(5,3,dtype=T.float16); out=T.norm(x,p='nuc')",
    "nuc_bfloat16": "x=T.ones(5,3,dtype=T.bfloat16); out=x.norm(p='nuc',dim=(0,1))",
    # histc on integer and bool inputs: the range checks come before the dtype refusal
    "histc_int_min_over_max": "x=T.tensor([1,2,2]); out=T.histc(x,bins=3,min=3,max=1)",
    "histc_int_bins_0": "x=T.tensor([1,2,2]); out=T.histc(x,bins=0,min=3,max=1)",
    "histc_int_not_finite": "x=T.tensor([1,2,2],dtype=T.int8); "
                            "out=T.histc(x,bins=3,min=float('inf'),max=-3)",
    "histc_uint8_overflow": "x=T.tensor([1,2,2],dtype=T.uint8); out=T.histc(x,min=-3.,max=0.)",
    "histc_int32_overflow": "x=T.tensor([1,2,2],dtype=T.int32); out=T.histc(x,3,0,1e20)",
    "histc_int64_overflow": "x=T.tensor([1,2,2]); out=T.histc(x,bins=3,min=-1,max=1e20)",
    "histc_uint8_flat_data": "out=T.histc(T.zeros(3,dtype=T.uint8))",
    "histc_uint8_empty": "out=T.histc(T.zeros(0,dtype=T.uint8))",
    "histc_uint8_full_range": "out=T.histc(T.tensor([0,255],dtype=T.uint8))",
    "histc_int8_empty": "out=T.histc(T.zeros(0,dtype=T.int8))",
    "histc_bool_min_over_max": "out=T.histc(T.zeros(3,dtype=T.bool),bins=3,min=3,max=1)",
    "histc_bool_range": "out=T.histc(T.zeros(3,dtype=T.bool),bins=3,min=1,max=3)",
    "histc_int64_huge_flat": "out=T.histc(T.full((2,),2**63-1))",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match(torch, name):
    _check_error(torch, ERRORS[name])


QUIET = {
    "half_sum_overflow": "x=T.tensor([60000.,60000,3]).half(); "
                         "r=[x.sum(), x.nansum(), x.nanmean(), x.mean(), x.sum(0)]",
    "half_scans_overflow": "x=T.tensor([60000.,60000,3]).half(); "
                           "r=[x.cumsum(0), x.cumprod(0), T.cumsum(x,0,dtype=T.float16)]",
    "half_prod_var_overflow": "x=T.tensor([60000.,60000,3]).half(); "
                              "r=[x.prod(), x.prod(0), x.var(), x.var(0), T.var_mean(x,0)]",
    "bfloat16_overflow": "x=T.tensor([[6e37,6e37,3],[2,-2,2]]).bfloat16(); "
                         "r=[x.prod(), x.var(), x.var(0), T.var_mean(x,0)]",
    "float32_overflow": "x=T.tensor([3e38, 3e38, 1.]); r=[x.cumsum(0), x.prod(), x.prod(0), "
                        "x.var(), x.cumprod(0), T.var_mean(x,0)]",
    "sum_with_dtype_inf_minus_inf": "x=T.tensor([float('inf'),-float('inf')],dtype=T.float64);"
                                    " r=[T.sum(x,0,dtype=T.float64), T.nansum(x,dtype=T.float64),"
                                    " x.half().nanmean(dtype=T.float64)]",
    "bfloat16_full_max_min_of_nan": "x=T.tensor([[1.,2],[3,float('nan')]]).bfloat16(); "
                                    "r=[x.min(), x.max(), x.t().min()]",
    "complex_mean_of_inf": "x=T.tensor([float('inf'),1,2]); r=[x.mean(0,dtype=T.complex64), "
                           "x.cfloat().mean(), T.std_mean(x.cfloat())]",
}


@pytest.mark.parametrize("name", sorted(QUIET))
def test_overflow_warns_as_pytorch(torch, name):
    """An overflow to inf (or an inf making NaN) emits no NumPy RuntimeWarning: PyTorch
    emits none."""
    assert _warnings(ember, QUIET[name]) == _warnings(torch, QUIET[name])
    code = QUIET[name].replace("r=", "out=")
    _check(torch, code)


# ------------------------------------------------------------------ seeded fuzz
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _fuzz_case(rng: np.random.Generator) -> str:
    """One random call of a reduction, scan or selection op as a program."""
    nd = int(rng.integers(0, 4))
    shape = tuple(int(rng.choice([0, 1, 2, 3, 4])) if rng.random() < 0.15 else
                  int(rng.integers(1, 5)) for _ in range(nd))
    dt = _DTYPES[rng.integers(len(_DTYPES))]
    n = max(nd, 1)
    d = int(rng.integers(-n, n))
    dims = tuple(int(v) for v in rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
    kd = bool(rng.random() < 0.5)
    calls = [f"x.sum({dims},{kd})", f"x.sum({list(dims)},dtype=T.float64)", f"x.prod({d},{kd})",
             f"x.mean({dims},{kd})", f"x.nanmean({d})", f"x.amax({dims},{kd})",
             f"x.amin({d})", f"x.max({d},{kd})", f"x.min({d})", f"x.argmax({d},{kd})",
             "x.argmin()", f"T.aminmax(x,dim={d},keepdim={kd})", f"x.all({dims})",
             f"x.any({d},{kd})", f"T.logsumexp(x,{dims},{kd})", f"x.std({dims},correction=2)",
             f"x.var({d},keepdim={kd})", f"T.linalg.vector_norm(x,{int(rng.integers(0, 4))},"
             f"{dims})", f"x.cumsum({d})", f"x.cumprod({d},dtype=T.float64)",
             f"x.cummax({d})", f"x.cummin({d})", f"x.logcumsumexp({d})",
             f"x.sort(dim={d},descending={kd},stable=True)", f"x.argsort(dim={d},stable=True)",
             "T.msort(x)", f"x.topk({int(rng.integers(0, 2))},{d},largest={kd})",
             f"x.kthvalue(1,{d},{kd})", f"x.median({d},{kd})", f"x.nanmedian({d})",
             f"x.mode({d},{kd})", "T.unique(x,return_inverse=True,return_counts=True)",
             "T.unique_consecutive(x,return_counts=True)", f"T.count_nonzero(x,{dims})"]
    call = calls[rng.integers(len(calls))]
    layout = ["", ".mT" if nd >= 2 else "", "[...,::2]" if nd else ""][rng.integers(3)]
    data = f"np.random.default_rng({int(rng.integers(1 << 30))}).integers(-3,4,{shape})"
    src = f"T.tensor({data}).to(T.{dt})"
    if layout == "[...,::2]":
        src = f"T.repeat_interleave({src},2,dim=-1)[...,::2]"
    else:
        src += layout
    return f"x={src}; out={call}"


def test_seeded_fuzz(torch):
    """A few hundred random calls: the same values, dtypes, shapes, strides and named-tuple
    types, or the same exception type."""
    rng = np.random.default_rng(2323)
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
