"""Users' reduction and statistics programs against PyTorch: each program runs once with
``T = torch`` and once with ``T = ember`` on the same inputs, and every result is compared
(values, dtypes, shapes, grad_fn names, named-tuple types, exception types and messages)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _run(mod: Any, code: str) -> Any:
    """Run ``code`` with ``T`` bound to ``mod``; its ``out`` is the result."""
    scope = {"T": mod, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, scope)  # noqa: S102 (the test's own programs)
    return scope["out"]


def _same(e: Any, t: Any, where: str = "out") -> None:
    """Ember's result ``e`` is PyTorch's ``t``: tensors with their grad_fn names, tuples
    with their type names, plain values (``torch`` spelled ``ember`` in strings)."""
    if type(t).__module__ == "torch" and type(t).__name__ == "Tensor":
        assert isinstance(e, ember.Tensor), where
        assert_close(e.detach(), t.detach(), msg=where)
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
    assert type(ee.value).__name__ == type(te.value).__name__
    if message:
        assert str(ee.value) == str(te.value).replace("torch", "ember")


# ------------------------------------------------------------------ std_mean / var_mean
MOMENT_MEAN = {
    "var_mean_dim": "x=T.tensor([[1.,2,3,4],[2,2,2,9]],requires_grad=True); v,m=T.var_mean(x,1); "
                    "(v+m).sum().backward(); out=[v,m,x.grad]",
    "std_mean_product": "x=T.tensor([[1.,2,3,4],[2,2,2,9]],requires_grad=True); "
                        "s,m=T.std_mean(x,1); (s*m).sum().backward(); out=[s,m,x.grad]",
    "std_mean_all": "x=T.tensor([[1.,2,3,4],[2,2,2,9]],dtype=T.float64,requires_grad=True); "
                    "s,m=T.std_mean(x); (s*m).backward(); out=[s,m,x.grad]",
    "mean_part_only": "x=T.tensor([[1.,2,3,4],[2,2,2,9]],requires_grad=True); "
                      "s,m=T.std_mean(x,(0,1),keepdim=True,correction=0); m.sum().backward(); "
                      "out=[s,m,x.grad]",
    "std_part_only_constant_row": "x=T.tensor([[1.,2,3,4],[2,2,2,2]],requires_grad=True); "
                                  "s,m=T.std_mean(x,-1,unbiased=False); s.sum().backward(); "
                                  "out=[s,m,x.grad]",
    "positional_unbiased": "x=T.tensor([[1.,2,5]],requires_grad=True); "
                           "out=[T.var_mean(x, False), T.std_mean(x, 1, True, True)]",
    "half": "x=T.tensor([[1.,2,3,4],[2,2,2,2]],dtype=T.float16); "
            "out=[T.var_mean(x,1), T.std_mean(x.bfloat16())]",
    "second_order": "x=T.tensor([[1.,2,3,4],[2,2,2,9]],dtype=T.float64,requires_grad=True); "
                    "v,m=T.var_mean(x,1); g,=T.autograd.grad((v*m).sum(), x, create_graph=True); "
                    "g.sum().backward(); out=[g, x.grad]",
}


@pytest.mark.parametrize("name", sorted(MOMENT_MEAN))
def test_std_mean_and_var_mean_share_one_node(torch, name):
    """Both results hang off one VarMeanBackward0 / StdMeanBackward0 node, as in PyTorch."""
    _check(torch, MOMENT_MEAN[name])


@pytest.mark.parametrize("call", [
    "x.var(unbiased=True, correction=1)", "T.std(x, 0, unbiased=False, correction=0)",
    "T.var_mean(x, unbiased=True, correction=1)", "T.std_mean(x, dim=1, unbiased=True, correction=1)",
])
def test_unbiased_with_correction_is_a_type_error(torch, call):
    """No PyTorch overload takes both ``unbiased`` and ``correction``: TypeError."""
    _check_error(torch, f"x=T.ones(2,3); out={call}", message=False)


# ------------------------------------------------------------------ sum / mean node names
@pytest.mark.parametrize("call", [
    "x.sum()", "x.sum(None)", "x.sum(dim=None)", "x.sum(None, True)", "T.sum(x, dim=None)",
    "x.sum(dtype=T.float64)", "x.sum(dim=None, dtype=T.float64)", "x.sum(dim=[])", "x.sum(())",
    "x.mean()", "x.mean(None)", "x.mean(dim=None, keepdim=True)", "x.mean(dtype=T.float64)",
    "T.mean(x, None)", "x.sum(axis=None)",
])
def test_sum_and_mean_node_names_follow_the_overload(torch, call):
    """``x.sum()`` is SumBackward0; any call that passes ``dim`` (even None) is SumBackward1."""
    _check(torch, f"x=T.ones(2,3,requires_grad=True); y={call}; y.sum().backward(); "
                  "out=[y, x.grad]")


# ------------------------------------------------------------------ half precision
@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_logsumexp_half_rounds_like_pytorch(torch, dtype):
    """The exp-sum accumulates in float32 and rounds once: bit-equal to PyTorch's kernel."""
    _check(torch, "g=np.random.default_rng(0); "
                  f"x=T.tensor(g.standard_normal((64,37)).astype('float32')).to(T.{dtype}); "
                  f"y=T.tensor(g.standard_normal((8,3000)).astype('float32')).to(T.{dtype}); "
                  "out=[x.logsumexp(1), x.logsumexp(0), x.logsumexp((0,1)), y.logsumexp(1)]")
    _same(_run(ember, f"x=T.full((64,),0.3,dtype=T.{dtype}); out=[x.logsumexp(0)]"),
          _run(torch, f"x=T.full((64,),0.3,dtype=T.{dtype}); out=[x.logsumexp(0)]"))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_logcumsumexp_half_runs_in_float32(torch, dtype):
    code = ("g=np.random.default_rng(3); a=g.integers(-3,4,size=(50,40)).astype('float32')"
            f"+g.choice([0,0.5],size=(50,40)).astype('float32'); x=T.tensor(a).to(T.{dtype}); "
            "out=[x.logcumsumexp(0), x.logcumsumexp(1), x.t().logcumsumexp(1)]")
    e, t = _run(ember, code), _run(torch, code)
    for a, b in zip(e, t):  # bit-equal, not merely close
        assert a.dtype.name == str(b.dtype).split(".")[1]
        np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())


# ------------------------------------------------------------------ out= result types
OUT_CALLS = {
    "max": "T.max(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "min": "T.min(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "median": "T.median(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "nanmedian": "T.nanmedian(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "mode": "T.mode(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "kthvalue": "T.kthvalue(x, 1, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "sort": "T.sort(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "topk": "T.topk(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "cummax": "T.cummax(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "cummin": "T.cummin(x, 1, out=(T.empty(0), T.empty(0, dtype=T.long)))",
    "aminmax": "T.aminmax(x, dim=1, out=(T.empty(0), T.empty(0)))",
    "histogram": "T.histogram(x, 3, out=(T.empty(0), T.empty(0)))",
    "frexp": "T.frexp(x, out=(T.empty(0), T.empty(0, dtype=T.int32)))",
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_call_returns_the_out_result_type(torch, name):
    """With ``out=`` PyTorch returns ``return_types.<op>_out`` (its repr shows the name)."""
    code = f"x=T.tensor([[1.,5,3],[4,2,6]]); r={OUT_CALLS[name]}; out=[r, type(r).__name__, repr(r)]"
    _check(torch, code)


# ------------------------------------------------------------------ norms
NORM_ERRORS = [
    "x=T.empty(0,2); out=x.norm(-1)",
    "x=T.empty(0,2); out=x.norm(-float('inf'))",
    "x=T.empty(0,2); out=x.norm(float('inf'))",
    "x=T.empty(0,2); out=x.norm(-2, dim=0)",
    "x=T.empty(0,2); out=x.norm(float('inf'), dim=(1,0))",
    "x=T.empty(0,2); out=x.norm(-float('inf'), dim=(1,-2))",
    "x=T.empty(0,2); out=T.linalg.vector_norm(x, -1.0)",
    "x=T.empty(0,2); out=T.linalg.vector_norm(x, -1.5)",
    "x=T.ones(2,3); out=T.linalg.vector_norm(x, 'fro')",
    "x=T.ones(2,3); out=x.norm((0,1))",
    "x=T.ones(2,3,dtype=T.long); out=x.norm([0])",
]


@pytest.mark.parametrize("code", NORM_ERRORS)
def test_norm_errors_match(torch, code):
    """Norms without an identity refuse empty dims (naming the order as PyTorch prints it and
    the first empty dim given); a dim passed where the order goes is a TypeError."""
    _check_error(torch, code)


def test_norm_of_empty_with_an_identity_still_computes(torch):
    _check(torch, "x=T.empty(0,2); out=[x.norm(-0.5, dim=1), x.norm(2), x.norm(1, dim=0), "
                  "T.linalg.vector_norm(x, float('inf'), dim=1), "
                  "T.linalg.vector_norm(x, 0.5, dim=(1,-2))]")


# ------------------------------------------------------------------ logsumexp dims
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (0, 3), (0,)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp_empty_dim_list(torch, shape, keepdim):
    """``dim=()`` reduces every dim; PyTorch's kernel then refuses to drop them unless the
    input is 0-d or empty."""
    code = f"x=T.ones({shape}); out=T.logsumexp(x, (), {keepdim})"
    try:
        t = _run(torch, code)
    except RuntimeError:
        _check_error(torch, code)
        return
    _same(_run(ember, code), t)


def test_logsumexp_needs_a_dim(torch):
    _check_error(torch, "x=T.ones(2,3); out=x.logsumexp()", message=False)
    _check_error(torch, "x=T.ones(2,3); out=T.logsumexp(x)", message=False)


# ------------------------------------------------------------------ programs that already match
PROGRAMS = {
    "prod_zero_grad": "x=T.tensor([[2.,0.,3.],[0.,0.,1.],[1,2,3]],requires_grad=True); "
                      "y=x.prod(1); y.sum().backward(); out=[y, x.grad]",
    "std_corrections": "x=T.tensor([[1.,2,3,4],[2,2,2,9]]); out=[x.std(), x.std(1), "
                       "x.std(1, unbiased=False), x.std(1, correction=2), x.var(correction=0), "
                       "T.std_mean(x,1), T.var_mean(x, dim=0, correction=0)]",
    "median_ties": "x=T.tensor([[1.,2,2,1],[3,3,1,1],[5,5,5,5]]); out=[x.median(1), x.median(), "
                   "x.median(0), x.nanmedian(1)]",
    "quantile_modes": "x=T.tensor([[1.,7,3,4],[2,9,0,5]]); q=T.tensor([0.1,0.5,0.9]); "
                      "out=[T.quantile(x,q,dim=1,interpolation=m) for m in "
                      "['linear','lower','higher','midpoint','nearest']]",
    "amax_even_split": "x=T.tensor([[1.,3,3],[2,2,2]],requires_grad=True); y=x.amax(1); "
                       "y.sum().backward(); out=[y,x.grad]",
    "max_dim_to_index": "x=T.tensor([[1.,3,3],[2,2,2]],requires_grad=True); y,i=x.max(1); "
                        "y.sum().backward(); out=[y,i,x.grad]",
    "all_any_uint8": "x=T.tensor([1,0,3],dtype=T.uint8); out=[x.all(), x.any(), x.all(0)]",
    "multi_dims": "x=T.arange(24.).reshape(2,3,4); out=[x.sum((0,2)), x.mean((-1,0), "
                  "keepdim=True), x.amax((0,2)), x.std((0,2)), x.logsumexp((0,1)), "
                  "x.norm(dim=(0,2))]",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_reduction_programs(torch, name):
    _check(torch, PROGRAMS[name])


# ------------------------------------------------------------------ overloads PyTorch refuses
@pytest.mark.parametrize("call", [
    "T.max(x, dim=None)", "x.max(dim=None)", "x.min(None)", "x.max(keepdim=True)",
    "T.prod(x, dim=None)", "x.prod(dim=None, keepdim=True)", "x.prod(keepdim=True)",
    "x.sum(keepdim=True)", "T.mean(x, keepdim=True)", "x.logsumexp(dim=None)",
    "x.median(None)", "x.median(dim=None)", "x.nanmedian(None)", "x.median(keepdim=True)",
    "T.nanmedian(x, keepdim=True)", "x.mode(None)",
])
def test_calls_no_overload_takes_are_type_errors(torch, call):
    """``keepdim`` without a dim, or ``dim=None`` where the dim is an int: TypeError."""
    _check_error(torch, f"x=T.ones(2,3); out={call}", message=False)


@pytest.mark.parametrize("call", [
    "x.max()", "x.max(1)", "x.max(x)", "T.max(x, 1, True)", "x.min(dim=0, keepdim=True)",
    "x.prod()", "x.prod(1)", "x.prod(dtype=T.float64)", "T.prod(x, 0, True)", "x.median()",
    "x.median(0)", "x.nanmedian(-1, True)", "x.mode()", "x.nansum(keepdim=True)",
    "x.amax(keepdim=True)", "x.std(keepdim=True)", "x.argmax(keepdim=True)",
    "x.norm(keepdim=True)", "x.all(keepdim=True)", "x.count_nonzero(None)",
])
def test_the_overloads_pytorch_takes_still_work(torch, call):
    _check(torch, f"x=T.tensor([[1.,5,3],[4,2,6]]); out={call}")


# ------------------------------------------------------------------ dim argument types
@pytest.mark.parametrize("dim", ["1.0", "True", "False", "'0'", "(0.0,)", "(True,)"])
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "std", "max", "argmax", "cumsum",
                                "median", "prod", "logsumexp", "count_nonzero", "softmax"])
def test_dims_that_are_not_ints_are_type_errors(torch, op, dim):
    """PyTorch's parser refuses bools, floats and strings as dims (``int(dim)`` took them)."""
    if op in ("max", "argmax", "cumsum", "median", "prod", "softmax") and dim.startswith("("):
        pytest.skip("a tuple is no int dim either way")
    if op == "std" and dim in ("True", "False"):
        pytest.skip("std(bool) is the unbiased overload")
    _check_error(torch, f"x=T.arange(6.).reshape(2,3); out=x.{op}({dim})", message=False)


@pytest.mark.parametrize("dim", ["np.int64(1)", "np.int32(-1)", "T.tensor(1)", "[np.int32(0)]",
                                 "T.Size([1])", "(np.int64(0), 1)"])
@pytest.mark.parametrize("op", ["sum", "amax", "std", "logsumexp", "count_nonzero"])
def test_integer_like_dims_still_work(torch, op, dim):
    _check(torch, f"x=T.arange(6.).reshape(2,3); out=x.{op}({dim})")


@pytest.mark.parametrize("call", ["x.max(other=y)", "T.max(x, other=y)", "x.min(other=y)",
                                  "T.min(x, other=y, out=T.empty(3))"])
def test_max_min_take_other_by_keyword(torch, call):
    """The elementwise (input, other) overload of max/min named by keyword, as in PyTorch."""
    results = []
    for T in (ember, torch):
        x, y = T.tensor([1.0, 5.0, -2.0]), T.tensor([3.0, 2.0, -2.5])
        results.append(eval(call, {"T": T, "x": x, "y": y}).numpy())
    np.testing.assert_array_equal(*results)


def test_max_with_dim_and_other_is_refused(torch):

    for T in (ember, torch):
        with pytest.raises(TypeError, match="unexpected keyword argument 'other'"):
            T.tensor([1.0, 5.0]).max(0, other=T.tensor([3.0, 2.0]))
