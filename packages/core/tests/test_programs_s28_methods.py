"""``Tensor`` methods and properties swept against PyTorch (session 28, lane L).

Covers: methods of the lazily loaded op families reached through the class
(``Tensor.matmul``, ``dir(Tensor)``, ``type(Tensor)``) before any instance touched them;
``Tensor.hash_tensor`` / ``hash_tensor`` (xor of 64-bit patterns, dims, keepdim, errors);
``stride(dim)`` of a 0-d tensor; ``x[i] = v`` and ``x[:] = v`` on a 0-d tensor;
``broadcast_to`` with sizes as varargs or one int (method) and its refusals; ``adjoint()``
of a 0-d tensor and the 0-d warnings of ``T``/``H``/``mT``/``mH``/``adjoint``;
``register_post_accumulate_grad_hook`` on a tensor that does not require grad; the removed
``reinforce``; ``view_as``/``expand_as``/``reshape_as``/``type_as`` refusing a non-tensor;
``__div__``/``__rdiv__``/``__idiv__``/``__long__``/``__nonzero__`` and ``del t[i]``;
``_C.TensorBase`` and ``_C._TensorMeta``; ``tensor_split``'s keywords (``sections``,
``indices``, ``tensor_indices_or_sections``); and a
guard sweep of in-place methods (identity of the result, dtype, values) and keyword forms.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _program_output import same_output

torch = pytest.importorskip("torch")

_SRC = str(Path(__file__).resolve().parents[1] / "src")


def _fresh(src: str, lib: str) -> str:
    """What ``src`` prints in a new interpreter with ``torch`` spelled ``lib`` (so that no
    earlier test has loaded Ember's lazy op families)."""
    code = textwrap.dedent(src).replace("torch", lib)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": _SRC, "PATH": ""}, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.replace("ember", "torch")


def test_lazy_methods_reached_through_the_class():
    src = """
        import torch
        print(torch.Tensor.matmul.__name__, torch.Tensor.relu.__name__)
        print(torch.Tensor.mm(torch.ones(2, 2), torch.ones(2, 2)))
        print(list(map(torch.Tensor.item, [torch.tensor(1.5), torch.tensor(2)])))
        print(type(torch.Tensor))
        try:
            torch.Tensor.no_such_method
        except AttributeError as e:
            print(e)
    """
    assert _fresh(src, "ember") == _fresh(src, "torch")


def test_dir_of_the_class_lists_lazy_methods():
    src = """
        import torch
        names = set(dir(torch.Tensor))
        print(all(n in names for n in ("matmul", "relu", "addmm", "normal_", "svd")))
    """
    assert _fresh(src, "ember") == _fresh(src, "torch")


def test_buffer_and_parameter_keep_working_under_tensor_metaclass():
    pytest.importorskip("ember.nn")
    same_output("""
import torch
import torch.nn as nn
b = nn.Buffer(torch.zeros(2))
p = nn.Parameter(torch.ones(2))
print(isinstance(b, nn.Buffer), isinstance(p, nn.Buffer), isinstance(p, torch.Tensor))
print(isinstance(type(p), type(torch.Tensor)), issubclass(type(nn.Buffer), type(torch.Tensor)))
""")


def test_hash_tensor():
    same_output("""
import torch
x = torch.arange(6.).reshape(2, 3)
print(x.hash_tensor(), torch.hash_tensor(x))
print(x.hash_tensor(1), x.hash_tensor(dim=0, keepdim=True), x.hash_tensor((0, 1)))
print(torch.hash_tensor(torch.arange(6).reshape(2, 3), dim=[]))
print(torch.tensor([True, False, True]).hash_tensor())
print(torch.tensor([-1, 2], dtype=torch.int32).hash_tensor())
print(torch.tensor([-1.5], dtype=torch.float16).hash_tensor())
print(torch.tensor([1.5], dtype=torch.bfloat16).hash_tensor())
print(torch.tensor([float('nan'), -0.0]).hash_tensor(0))
print(torch.tensor(2.).hash_tensor(), torch.tensor(2.).hash_tensor(0))
print(torch.ones(2, requires_grad=True).hash_tensor())
print(torch.empty(0, 2).hash_tensor(1))
for f in (lambda: torch.empty(0).hash_tensor(), lambda: torch.empty(0, 2).hash_tensor(0),
          lambda: x.hash_tensor(mode=1), lambda: torch.tensor([1 + 2j]).hash_tensor(),
          lambda: torch.tensor([5], dtype=torch.uint64).hash_tensor(),
          lambda: x.hash_tensor(5)):
    try:
        print(f())
    except Exception as e:
        print(type(e).__name__, e)
""")


def test_stride_of_a_0d_tensor():
    same_output("""
import torch
s = torch.tensor(1.5)
print(s.stride())
for d in (0, -1, 5):
    try:
        print(s.stride(d))
    except IndexError as e:
        print(e)
print(torch.zeros(2, 3).stride(-1), torch.zeros(2, 3).stride(dim=0))
""")


def test_setitem_on_a_0d_tensor():
    same_output("""
import torch
s = torch.tensor(2.5)
def put(k):
    s[k] = 5
for k in (0, 1, -1, -2, slice(None), slice(1, None), (0,), (Ellipsis, 0)):
    try:
        put(k)
        print("ok", s)
    except IndexError as e:
        print(e)
for k in (slice(None), slice(1, None)):
    try:
        s[k]
    except IndexError as e:
        print(e)
put(None); put(Ellipsis); put(True)
print(s)
""")


def test_broadcast_to_sizes():
    same_output("""
import torch
x = torch.tensor([1.5])
calls = [lambda: x.broadcast_to(2, 3), lambda: x.broadcast_to(3), lambda: x.broadcast_to([2]),
         lambda: x.broadcast_to(size=[2]), lambda: x.broadcast_to(torch.Size([4])),
         lambda: torch.tensor(1.).broadcast_to(2), lambda: x.broadcast_to(3.0),
         lambda: x.broadcast_to(size=3), lambda: x.broadcast_to((3,), 2),
         lambda: torch.broadcast_to(x, 3), lambda: torch.broadcast_to(x, 3.0),
         lambda: torch.broadcast_to(x, (2, 2)), lambda: torch.ones(2, 3).broadcast_to(3),
         lambda: x.broadcast_to()]
for f in calls:
    try:
        r = f()
        print(r.shape, r.stride())
    except Exception as e:
        print(type(e).__name__, e)
""")


def _fresh_output(src: str, lib: str) -> str:
    """What ``src`` prints with ``torch`` spelled ``lib``, run in a new interpreter: the
    once-per-process warnings it shows have not fired yet there (in-process, another test may
    have fired them in one library and not the other)."""
    run = subprocess.run([sys.executable, "-c", src.replace("torch", lib)], capture_output=True,
                         text=True, timeout=120, check=True)
    return run.stdout.replace("ember", "torch")


def test_zero_dim_transposes_and_their_warnings():
    src = """
import torch, warnings
for name in ["T", "H", "mT", "mH"]:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = getattr(torch.tensor(1.5), name)
    print(name, r, [str(x.message) for x in w])
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    print(torch.tensor(1.5).adjoint(), torch.adjoint(torch.tensor(2.)))
print([str(x.message) for x in w])
z = torch.tensor(1 + 2j)
print(z.adjoint(), z.adjoint().is_conj())
for t in (torch.tensor([1.5, 2.0]), torch.tensor([[1, 2]])):
    try:
        print(t.adjoint())
    except RuntimeError as e:
        print(e)
"""
    assert _fresh_output(src, "ember") == _fresh_output(src, "torch")


def test_post_accumulate_grad_hook_needs_requires_grad():
    same_output("""
import torch
for t in (torch.ones(2), torch.ones(2, requires_grad=True) * 2):
    try:
        t.register_post_accumulate_grad_hook(lambda p: None)
    except RuntimeError as e:
        print(e)
w = torch.zeros(2, requires_grad=True)
w.register_post_accumulate_grad_hook(lambda p: print("acc", p.grad))
(w * 3).sum().backward()
""")


_INPLACE = ["abs_", "neg_", "sign_", "floor_", "ceil_", "trunc_", "round_", "sqrt_", "relu_", "zero_", "square_", "reciprocal_", "logical_not_", "frac_",
            "bitwise_not_"]


@pytest.mark.parametrize("name", _INPLACE)
def test_inplace_unary_identity_dtype_values(name):
    same_output(f"""
import torch
for x in (torch.tensor([[1.5, -2.0, 0.0], [3.25, 4.0, -0.5]]), torch.tensor([[1, -2], [3, 0]]),
          torch.tensor([True, False]), torch.tensor(2.5), torch.zeros(0, 3)):
    try:
        r = x.{name}()
        print(r is x, r.dtype, r.shape, r.stride(), r.tolist())
    except Exception as e:
        print(type(e).__name__, e)
""")


def test_inplace_binary_identity_and_casting():
    same_output("""
import torch
for make in (lambda: torch.tensor([1, 2, 3]), lambda: torch.tensor([True, False, True]),
             lambda: torch.tensor([1.0, 2.0, 3.0]), lambda: torch.tensor(2.5)):
    for op in ("add_", "sub_", "mul_", "div_", "remainder_", "fmod_", "clamp_",
               "floor_divide_", "bitwise_and_", "logical_and_", "eq_", "lt_", "copysign_"):
        for arg in (2, 2.5, True, torch.tensor(2), torch.tensor([2.5, 1.0, 0.5])):
            x = make()
            try:
                r = getattr(x, op)(arg)
                print(op, r is x, r.dtype, r.tolist())
            except Exception as e:
                print(op, type(e).__name__, str(e).splitlines()[0])
""")


def test_keyword_forms_of_common_methods():
    same_output("""
import torch
x = torch.tensor([[1.5, -2.0, 0.0], [3.25, 4.0, -0.5]])
i = torch.tensor([[1, -2, 0], [3, 4, 5]])
print(x.add(other=1, alpha=2), x.sub(other=x, alpha=0.5), x.div(other=2, rounding_mode='floor'))
print(x.sum(dim=1, keepdim=True, dtype=torch.float64), x.sum(axis=1), x.mean(axis=0, keepdims=True))
print(x.max(dim=0), x.min(1, True), x.sort(dim=1, descending=True))
print(x.topk(k=2, dim=1, largest=True, sorted=True), x.to(dtype=torch.float64, device='cpu'))
print(x.view(size=(3, 2)), x.reshape(shape=(3, 2)), x.permute(dims=[1, 0]))
print(x.transpose(dim0=0, dim1=1), x.unsqueeze(dim=1).shape, x.flatten(start_dim=0, end_dim=-1))
print(x.clamp(min=0.0), i.clamp(0.5), i.clamp(min=0, max=3), x.masked_fill(mask=x > 0, value=0.0))
print(i.masked_fill(i > 0, 2.7), x.index_select(dim=1, index=torch.tensor([0, 2])))
print(x.gather(dim=1, index=torch.tensor([[0], [2]])), x.repeat_interleave(2, dim=0))
print(x.split(split_size=2, dim=1), x.chunk(chunks=3, dim=1), x.unbind(dim=1))
print(x.cumsum(dim=1, dtype=torch.float64), i.cumprod(1), x.norm(p=2, dim=1), x.std(dim=1, unbiased=False))
print(x.var(dim=1, correction=0), x.type(dtype=torch.int64), x.type('torch.IntTensor'), i.type())
print(x.where(x > 0, 0), i.where(i > 0, 0.5), x.lerp(end=torch.zeros(3), weight=0.5))
print(x.roll(shifts=(1, 1), dims=(0, 1)), x.flip(dims=(1,)), x.rot90(k=2, dims=[0, 1]))
print(x.diagonal(offset=1, dim1=0, dim2=1), x.triu(diagonal=-1), x.argmax(dim=1, keepdim=True))
print(x.kthvalue(k=2, dim=1, keepdim=True), x.unique(sorted=True, return_inverse=True, return_counts=True))
print(x.narrow(dim=1, start=1, length=2), x.select(dim=1, index=0), x.movedim(source=0, destination=1))
print(x.unflatten(dim=1, sizes=(3, 1)).shape, x.type_as(other=i), x.new_full(size=(2,), fill_value=1))
""")


def test_reinforce_was_removed():
    same_output("""
import torch
for f in (lambda: torch.ones(2).reinforce(1), lambda: torch.ones(2).reinforce(reward=2),
          lambda: torch.ones(2).reinforce()):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
""")


def test_as_methods_refuse_a_non_tensor_other():
    same_output("""
import numpy as np
import torch
x = torch.ones(2)
for n in ("view_as", "expand_as", "reshape_as", "type_as"):
    for a in (0, torch.float32, (2,), np.ones(2), None):
        try:
            print(getattr(x, n)(a))
        except Exception as e:
            print(type(e).__name__, e)
    print(getattr(x, n)(torch.zeros(2, dtype=torch.int32)))
""")


def test_python2_operator_names_and_delitem():
    same_output("""
import torch
x = torch.arange(4.)
try:
    del x[0]
except Exception as e:
    print(type(e).__name__, e)
print(x.__div__(2), x.__rdiv__(2), torch.tensor(2.5).__long__(), torch.tensor(1).__nonzero__())
y = x.clone()
r = y.__idiv__(2)
print(r is y, y)
print(x.__div__("a"), x.__rdiv__(None))
try:
    torch.tensor([1, 2]).__nonzero__()
except Exception as e:
    print(type(e).__name__, e)
""")


def test_tensorbase_of_c_module():
    same_output("""
import torch
print(isinstance(torch.ones(1), torch._C.TensorBase), isinstance(3, torch._C.TensorBase))
print(type(torch._C.TensorBase) is torch._C._TensorMeta, type(torch.Tensor) is torch._C._TensorMeta)
""")


def test_tensor_split_keywords():
    same_output("""
import torch
x = torch.arange(6.).reshape(2, 3)
for f in (lambda: x.tensor_split(sections=2, dim=1), lambda: x.tensor_split(indices=[1], dim=1),
          lambda: x.tensor_split(tensor_indices_or_sections=torch.tensor(2), dim=1),
          lambda: torch.tensor_split(x, sections=2), lambda: torch.tensor_split(x, indices=(1,)),
          lambda: x.tensor_split(2, 1), lambda: x.tensor_split([1, 2], dim=1),
          lambda: x.tensor_split(torch.tensor([1]), 1), lambda: x.tensor_split()):
    try:
        print([(t.shape, t.stride()) for t in f()])
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])
""")
