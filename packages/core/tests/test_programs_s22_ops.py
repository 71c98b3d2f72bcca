"""Less common tensor ops with their full argument lists against PyTorch (session 22, lane Z):
each program runs once with ``T = torch`` and once with ``T = ember`` on the same inputs, and
every result is compared (values, dtypes, shapes, grad_fn names, named-tuple types, exception
types and messages)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember

PRE = "rng=np.random.default_rng(0)\n"


def _run(mod: Any, code: str) -> Any:
    """Run ``code`` with ``T`` bound to ``mod``; its ``out`` is the result."""
    scope = {"T": mod, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(code, scope)  # noqa: S102 (the test's own programs)
    return scope["out"]


def _same_tensor(e: Any, t: Any, where: str) -> None:
    assert isinstance(e, ember.Tensor), where
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], where
    assert tuple(e.shape) == tuple(t.shape), where
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__, where
    a, b = t.detach().numpy(), e.detach().numpy()
    if a.dtype.kind in "fc":
        tol = {np.dtype("float64"): 1e-12, np.dtype("complex128"): 1e-12,
               np.dtype("float16"): 1e-3}.get(a.dtype, 1e-6)
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol, equal_nan=True, err_msg=where)
    else:
        np.testing.assert_array_equal(b, a, err_msg=where)


def _same(e: Any, t: Any, where: str = "out") -> None:
    """Ember's result ``e`` is PyTorch's ``t``: tensors with their dtypes and grad_fn names,
    tuples with their type names, plain values."""
    if type(t).__module__ == "torch" and type(t).__name__ == "Tensor":
        _same_tensor(e, t, where)
    elif isinstance(t, (tuple, list)):
        assert type(e).__name__ == type(t).__name__ and len(e) == len(t), where
        for i, (a, b) in enumerate(zip(e, t)):
            _same(a, b, f"{where}[{i}]")
    else:
        assert e == t, where


def _check(torch: Any, code: str) -> None:
    _same(_run(ember, code), _run(torch, code))


def _check_error(torch: Any, code: str) -> None:
    """Both raise the same exception type with the same text."""
    with pytest.raises(Exception) as te:
        _run(torch, code)
    with pytest.raises(Exception) as ee:
        _run(ember, code)
    assert type(ee.value).__name__ == type(te.value).__name__
    assert str(ee.value) == str(te.value).replace("torch.", "ember.", 1) or \
        str(ee.value) == str(te.value)


# ------------------------------------------------------------------ fixed in this session
FIXED = {
    "diff_order_0_is_a_copy": "x=T.tensor([1.,4.,2.],requires_grad=True); y=T.diff(x,n=0); "
                              "z=T.diff(x,n=0,prepend=T.tensor([7.])); (y*z).sum().backward(); "
                              "out=[y,z,x.grad,y.grad_fn.next_functions[0][0] is None]",
    "diff_order_0_bool": "out=T.diff(T.tensor([True,False]),n=0)",
    "histogram_default_bins": PRE + "x=T.tensor(rng.standard_normal(50).astype(np.float32)); "
                              "out=[T.histogram(x), x.histogram(), x.histogram(range=(-1.,1.))]",
    "index_add_int_alpha_truncates": "x=T.zeros(3,dtype=T.int64); "
                                     "out=[x.index_add(0,T.tensor([0,0]),T.tensor([1,2]),alpha=1.5),"
                                     " x.index_add(0,T.tensor([1]),T.tensor([3]),alpha=-2.7)]",
    "logit_eps_over_half": "x=T.tensor([0.3,0.9,0.5,float('nan')],dtype=T.float64,"
                           "requires_grad=True); y=T.logit(x,eps=0.6); y.sum().backward(); "
                           "out=[y,x.grad,T.logit(x.detach().float(),0.75)]",
    "namespace_out": "o=[T.empty(3) for _ in range(5)]; i=T.tensor([1,1]); s=T.tensor([2.,3.]); "
                     "r=[T.scatter(T.zeros(3),0,i,s,out=o[0]), T.scatter_add(T.zeros(3),0,i,s,"
                     "out=o[1]), T.scatter_reduce(T.ones(3),0,i,s,'prod',out=o[2]), T.index_add("
                     "T.zeros(3),0,i,s,alpha=2,out=o[3]), T.index_copy(T.zeros(3),0,T.tensor([2]),"
                     "s[:1],out=o[4])]; out=r+o+[r[0] is o[0]]",
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs(torch, name):
    _check(torch, FIXED[name])


ERRORS = {
    "diff_prepend_rank": "T.diff(T.ones(3,2),prepend=T.ones(3))",
    "diff_append_scalar_tensor": "T.diff(T.ones(3),append=T.tensor(1.))",
    "diff_prepend_shape": "T.diff(T.ones(3,2),prepend=T.ones(2,2))",
    "diff_append_shape_dim0": "T.diff(T.ones(3,2),dim=0,append=T.ones(2,3))",
    "diff_order_0_still_checks": "T.diff(T.ones(3),n=0,prepend=T.ones(2,2))",
    "diff_prepend_number": "T.diff(T.ones(3),prepend=1.)",
    "diff_prepend_list": "T.diff(T.ones(3),prepend=[1.])",
    "quantile_interpolation": "T.quantile(T.tensor([1.,2.]),0.5,interpolation='foo')",
    "nanquantile_interpolation": "T.nanquantile(T.tensor([1.,2.]),0.5,interpolation='x')",
    "index_add_index_rank": "T.zeros(3).index_add(0,T.tensor([[0]],dtype=T.int32),T.ones(1))",
    "index_add_index_dtype": "T.zeros(3).index_add(0,T.tensor([0.]),T.ones(1))",
    "index_add_index_bool": "T.zeros(3).index_add(0,T.tensor([True]),T.ones(1))",
    "index_add_index_uint8_rank": "T.zeros(3).index_add(0,T.tensor([[0]],dtype=T.uint8),"
                                  "T.ones(1))",
    "index_copy_index_int32": "T.zeros(3).index_copy(0,T.tensor([0],dtype=T.int32),T.ones(1))",
    "index_copy_index_float": "T.zeros(3).index_copy(0,T.tensor([0.]),T.ones(1))",
    "index_copy_index_rank": "T.zeros(3).index_copy(0,T.tensor([[0.]]),T.ones(1))",
    "index_fill_index_rank": "T.zeros(3).index_fill(0,T.tensor([[0]]),1)",
    "index_fill_index_int32": "T.zeros(3).index_fill(0,T.tensor([0],dtype=T.int32),1)",
    "index_select_index_rank": "T.zeros(3).index_select(0,T.tensor([[0]]))",
    "index_select_index_dtype": "T.zeros(3).index_select(0,T.tensor([0.]))",
    "searchsorted_sorter_dtype": "T.searchsorted(T.tensor([1,2]),T.tensor([1]),"
                                 "sorter=T.tensor([0.,1.]))",
    "searchsorted_sorter_int32": "T.searchsorted(T.tensor([1,2]),T.tensor([1]),"
                                 "sorter=T.tensor([0,1],dtype=T.int32))",
    "searchsorted_sorter_too_big": "T.searchsorted(T.tensor([1,2]),T.tensor([1]),"
                                   "sorter=T.tensor([0,5]))",
    "searchsorted_sorter_negative": "T.searchsorted(T.tensor([1,2]),T.tensor([1]),"
                                    "sorter=T.tensor([0,-1]))",
    "searchsorted_sorter_size": "T.searchsorted(T.tensor([1,2]),T.tensor([1]),"
                                "sorter=T.tensor([0,1,2]))",
    "histc_bins_float": "T.histc(T.tensor([1.,2.]),bins=2.5)",
    "histc_bins_bool": "T.histc(T.tensor([1.,2.]),bins=True)",
    "unique_dim_range": "T.unique(T.ones(2,2),dim=2)",
    "unique_consecutive_dim_range": "T.unique_consecutive(T.ones(2,2),dim=3)",
    "scatter_out_dtype": "T.scatter(T.zeros(3),0,T.tensor([1]),T.ones(1),"
                         "out=T.empty(3,dtype=T.float64))",
    "index_copy_out_dtype": "T.index_copy(T.zeros(3),0,T.tensor([1]),T.ones(1),"
                            "out=T.empty(3,dtype=T.int64))",
    "cartesian_prod_mixed_dtypes": "T.cartesian_prod(T.tensor([1,2]),T.tensor([1.5]))",
    "scatter_reduce_method_has_no_out": "T.zeros(3).scatter_reduce(0,T.tensor([1]),T.ones(1),"
                                        "'sum',out=T.empty(3))",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match(torch, name):
    _check_error(torch, "out=" + ERRORS[name])


# ------------------------------------------------------------------ programs that already match
PROGRAMS: dict[str, str] = {}
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        PROGRAMS[f"scatter_reduce_{_red}_{_inc}"] = PRE + (
            "src=T.tensor(rng.standard_normal(6),requires_grad=True); "
            "inp=T.tensor(rng.standard_normal(4),requires_grad=True); "
            f"y=inp.scatter_reduce(0,T.tensor([0,1,0,1,2,0]),src,'{_red}',include_self={_inc}); "
            "y.backward(T.arange(4.,dtype=T.float64)+1); "
            "i=T.tensor([[0,1,0,2],[2,2,1,1]]); s=T.tensor(rng.standard_normal((2,4)).astype("
            "np.float32)); x=T.tensor(rng.standard_normal((2,3)).astype(np.float32)); "
            f"out=[y,inp.grad,src.grad,T.scatter_reduce(x,1,i,s,'{_red}',include_self={_inc}), "
            f"T.zeros(3,dtype=T.int64).scatter_reduce(0,T.tensor([0,0,2]),T.tensor([5,7,3]),"
            f"'{_red}',include_self={_inc})]")
for _red in ("prod", "mean", "amax", "amin"):
    PROGRAMS[f"index_reduce_{_red}"] = PRE + (
        "x=T.tensor(rng.standard_normal((4,3)),requires_grad=True); "
        "s=T.tensor(rng.standard_normal((5,3)),requires_grad=True); "
        f"y=x.index_reduce(0,T.tensor([0,2,0,0,3]),s,'{_red}'); "
        f"z=x.index_reduce(0,T.tensor([0,2,0,0,3]),s,'{_red}',include_self=False); "
        "((y+z)*T.arange(12.,dtype=T.float64).view(4,3)).sum().backward(); "
        "out=[y,z,x.grad,s.grad]")
for _interp in ("linear", "lower", "higher", "midpoint", "nearest"):
    PROGRAMS[f"quantile_{_interp}"] = PRE + (
        "x=T.tensor(rng.standard_normal((4,7)),requires_grad=True); "
        "q=T.tensor([0.,0.25,0.5,0.66,1.],dtype=T.float64); "
        f"y=T.quantile(x,q,dim=1,keepdim=True,interpolation='{_interp}'); y.sum().backward(); "
        f"out=[y,x.grad,T.quantile(x,0.4,interpolation='{_interp}'), "
        f"T.quantile(x.float(),0.3,dim=-1,interpolation='{_interp}'), "
        f"T.quantile(x,q,keepdim=True,interpolation='{_interp}'), "
        f"T.nanquantile(x,q,dim=0,interpolation='{_interp}')]")
for _p in ("0", "0.5", "1", "2", "3", "float('inf')"):
    PROGRAMS[f"cdist_p_{_p}"] = PRE + (
        "a=T.tensor(rng.standard_normal((2,4,3)),requires_grad=True); "
        "b=T.tensor(rng.standard_normal((2,5,3)),requires_grad=True); "
        f"d=T.cdist(a,b,p={_p}); (d*T.arange(40.,dtype=T.float64).view(2,4,5)).sum().backward(); "
        "out=[d,a.grad,b.grad]")

PROGRAMS.update({
    "scatter_reduce_ties": "inp=T.tensor([1.,2.,3.],dtype=T.float64,requires_grad=True); "
                           "src=T.tensor([3.,3.,1.,2.],dtype=T.float64,requires_grad=True); "
                           "y=inp.scatter_reduce(0,T.tensor([0,0,1,1]),src,'amax'); "
                           "y.sum().backward(); out=[y,inp.grad,src.grad]",
    "scatter_reduce_prod_zeros": "inp=T.tensor([1.,0.,3.],dtype=T.float64,requires_grad=True); "
                                 "src=T.tensor([0.,2.,0.,2.],dtype=T.float64,requires_grad=True);"
                                 " y=inp.scatter_reduce(0,T.tensor([0,0,1,2]),src,'prod'); "
                                 "y.sum().backward(); out=[y,inp.grad,src.grad]",
    "scatter_reduce_int_mean": "out=[T.tensor([-1,2,3]).scatter_reduce(0,T.tensor([0,0,1]),"
                               "T.tensor([-4,-5,7]),'mean',include_self=s) for s in (True,False)]",
    "index_add_alpha_grad": PRE + "x=T.tensor(rng.standard_normal((5,3)),requires_grad=True); "
                            "s=T.tensor(rng.standard_normal((4,3)),requires_grad=True); "
                            "y=x.index_add(0,T.tensor([0,4,0,2]),s,alpha=2.5); "
                            "(y*T.arange(15.,dtype=T.float64).view(5,3)).sum().backward(); "
                            "out=[y,x.grad,s.grad]",
    "index_copy_fill_grad": PRE + "x=T.tensor(rng.standard_normal((5,3)),requires_grad=True); "
                            "s=T.tensor(rng.standard_normal((2,3)),requires_grad=True); "
                            "v=T.tensor(2.,dtype=T.float64,requires_grad=True); "
                            "y=x.index_copy(0,T.tensor([3,1]),s).index_fill(1,T.tensor([2,2]),v); "
                            "(y*T.arange(15.,dtype=T.float64).view(5,3)).sum().backward(); "
                            "out=[y,x.grad,s.grad,v.grad]",
    "unique_everything": "x=T.tensor([3,1,2,3,1,5]); m=T.tensor([[1,2],[3,4],[1,2],[0,9]]); "
                         "out=[T.unique(x,return_inverse=True,return_counts=True), "
                         "T.unique(m,dim=0,return_inverse=True,return_counts=True), "
                         "T.unique(m,dim=-1,return_inverse=True), T.unique(m,return_inverse=True),"
                         " T.unique(T.tensor([3.,float('nan'),1.,3.]),return_counts=True)]",
    "unique_consecutive_everything": "x=T.tensor([1,1,2,2,3,1,1,2]); "
                                     "m=T.tensor([[1,1,2,2],[3,3,4,5]]); "
                                     "out=[T.unique_consecutive(x,return_inverse=True,"
                                     "return_counts=True), T.unique_consecutive(m,dim=1,"
                                     "return_inverse=True,return_counts=True), "
                                     "T.unique_consecutive(m,return_inverse=True)]",
    "bincount_weights_minlength": "x=T.tensor([0,1,1,3,2,1,7]); out=[T.bincount(x), "
                                  "x.bincount(minlength=10), T.bincount(x,weights=T.linspace(0,1,7)),"
                                  " T.bincount(x,weights=T.tensor([1,2,3,4,5,6,7])), "
                                  "T.bincount(T.tensor([],dtype=T.long),minlength=3)]",
    "histc_and_histogram": PRE + "x=T.tensor(rng.standard_normal(100).astype(np.float32)); "
                           "w=T.tensor(rng.random(100).astype(np.float32)); "
                           "out=[T.histc(x), T.histc(x,bins=10,min=-1,max=1), "
                           "T.histc(T.tensor([1.,1.,1.]),bins=4), T.histogram(x,bins=5,"
                           "range=(-1.,1.)), T.histogram(x,T.tensor([-2.,0.,0.5,3.])), "
                           "T.histogram(x,bins=4,weight=w,density=True)]",
    "searchsorted_bucketize": "s=T.tensor([1,3,5,7,9]); v=T.tensor([[3,6,9],[3,6,9]]); "
                              "u=T.tensor([5,1,9,3,7]); out=[T.searchsorted(s,v), "
                              "T.searchsorted(s,v,right=True), T.searchsorted(s,v,side='right'), "
                              "T.searchsorted(s,v,out_int32=True), T.searchsorted(s,5), "
                              "T.searchsorted(u,T.tensor([3,6,9]),sorter=T.argsort(u),"
                              "side='right'), T.bucketize(v,s), T.bucketize(v,s,right=True,"
                              "out_int32=True), T.bucketize(3,s)]",
    "diff_prepend_append_grad": PRE + "x=T.tensor(rng.standard_normal((3,5)),requires_grad=True); "
                                "y=T.diff(x,n=2,dim=1,prepend=T.zeros(3,1,dtype=T.float64),"
                                "append=T.ones(3,2,dtype=T.float64)); y.sum().backward(); "
                                "out=[y,x.grad,T.diff(x,dim=0),T.diff(T.tensor([True,False,False])),"
                                " T.diff(T.tensor([5,1,3],dtype=T.uint8)), T.diff(x,n=10)]",
    "gradient_spacings": PRE + "x=T.tensor(rng.standard_normal((4,5))); "
                         "out=[T.gradient(x), T.gradient(x,spacing=2.), T.gradient(x,spacing=[2.,"
                         "0.5]), T.gradient(x,dim=1,edge_order=2), T.gradient(x,spacing=(T.tensor("
                         "[0.,1.,3.,4.],dtype=T.float64),T.tensor([0.,1.,1.5,2.,4.],"
                         "dtype=T.float64))), T.gradient(T.tensor([1,4,9,16]),spacing=2)]",
    "cummax_cummin_logcumsumexp": PRE + "x=T.tensor(rng.integers(0,4,(3,6)).astype(np.float64),"
                                  "requires_grad=True); a=T.cummax(x,1); b=x.cummin(dim=0); "
                                  "c=T.logcumsumexp(x,1); (a.values.sum()+b.values.sum()+c.sum())"
                                  ".backward(); out=[a,b,c,x.grad]",
    "nan_reductions": PRE + "a=rng.standard_normal((4,5)); a[a>1]=np.nan; "
                      "x=T.tensor(a,requires_grad=True); m=T.nanmean(x,1); s=T.nansum(x); "
                      "v,i=T.nanmedian(x,0); (m.sum()+s+v.sum()).backward(); "
                      "out=[m,s,v,i,x.grad,T.nanmedian(x),T.nanquantile(x,0.3)]",
    "kthvalue_var_mean_aminmax": PRE + "x=T.tensor(rng.standard_normal((3,6)),requires_grad=True);"
                                 " k=T.kthvalue(x,2,1); v,m=T.var_mean(x,1,correction=0,"
                                 "keepdim=True); (k.values.sum()+v.sum()+m.sum()).backward(); "
                                 "out=[k,v,m,x.grad,T.std_mean(x,0,correction=3),"
                                 "T.aminmax(x.detach()),x.detach().aminmax(dim=1,keepdim=True)]",
    "count_nonzero_dims": "x=T.tensor([[0,1,2],[0,0,3]]); out=[T.count_nonzero(x), "
                          "T.count_nonzero(x,dim=0), x.count_nonzero(1), T.count_nonzero(x,"
                          "dim=(0,1)), T.count_nonzero(T.tensor([0.,float('nan'),-0.]))]",
    "cov_corrcoef_weights": PRE + "x=T.tensor(rng.standard_normal((3,6)),requires_grad=True); "
                            "fw=T.tensor([1,2,1,3,1,1]); aw=T.tensor(rng.random(6)); "
                            "c=T.cov(x,fweights=fw,aweights=aw); r=T.corrcoef(x); "
                            "(c.sum()+r.sum()).backward(); out=[c,r,x.grad,T.cov(x,correction=0),"
                            " T.cov(x[0]), T.cov(T.tensor([[1,2,3],[2,2,5]]))]",
    "index_helpers": "out=[T.tril_indices(4,3,1), T.triu_indices(3,5,-1), T.tril_indices(3,3,"
                     "dtype=T.int32), T.combinations(T.tensor([1,2,3,4]),r=3), "
                     "T.combinations(T.tensor([1,2,3]),with_replacement=True), "
                     "T.cartesian_prod(T.tensor([1,2]),T.tensor([1]),T.tensor([7,8])), "
                     "T.block_diag(T.ones(2,2),T.tensor([[5,6,7]]),T.tensor(3.),T.tensor([8,9])),"
                     " T.rot90(T.arange(24).view(2,3,4),-1,(0,2)), T.vander(T.tensor([1,2,3,5]),"
                     "N=3,increasing=True)]",
    "take_along_dim_renorm": PRE + "x=T.tensor(rng.standard_normal((3,4))*3,requires_grad=True); "
                             "y=T.take_along_dim(x,T.argsort(x,dim=1),dim=1); "
                             "z=T.renorm(x,2,0,1.5); (y*z).sum().backward(); "
                             "out=[y,z,x.grad,T.take_along_dim(x,T.argmax(x).view(1)), "
                             "T.renorm(x,float('inf'),1,1.)]",
    "pointwise_with_values": PRE + "a=T.tensor(rng.standard_normal((3,4)),requires_grad=True); "
                             "b=T.tensor(rng.standard_normal((3,1)),requires_grad=True); "
                             "c=T.tensor(rng.standard_normal(4),requires_grad=True); "
                             "w=T.tensor(rng.random(4),requires_grad=True); "
                             "y=T.addcmul(a,b,c,value=-0.5)+T.addcdiv(a,b,c,value=2)+T.lerp(a,b,w);"
                             " y.sum().backward(); out=[y,a.grad,b.grad,c.grad,w.grad]",
    "frexp_ldexp_nextafter": "x=T.tensor([0.,-0.,1.,-3.5,1e-40,1e30,0.75]); m,e=T.frexp(x); "
                             "out=[m,e,T.ldexp(m,e),T.ldexp(T.tensor([1,2]),T.tensor([3,1])), "
                             "T.nextafter(x,T.ones(7)), T.frexp(x.double())]",
})


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_op_programs(torch, name):
    _check(torch, PROGRAMS[name])
