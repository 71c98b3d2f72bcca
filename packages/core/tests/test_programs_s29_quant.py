"""Session 29, quantization functions of ember-core, run side by side with PyTorch: the
quantized dtypes (``quint8``, ``qint8``, ``qint32``, ...) and quantization schemes
(``per_tensor_affine``, ...) as names and reprs, their integer limits, and the errors of making
or promoting tensors of them (quantized tensors are not supported); ``fake_quantize_per_tensor_affine`` (float and
tensor qparams) and ``fake_quantize_per_channel_affine`` (integer and floating zero points):
values bit for bit (half-to-even rounding of ``x * (1/scale)``, overflow and NaN handling),
dtypes, the straight-through gradient and its node name, the argument errors;
``fused_moving_avg_obs_fake_quant`` (running min/max, C++-style qparams, enabled flags)."""

from __future__ import annotations

import pytest
from _program_output import printed, same_output

torch = pytest.importorskip("torch")

_VALUES = """
import torch
x = torch.tensor([-1.0, -0.25, 0.25, 0.75, 1.25, 2.5, -2.5, 300.0, -300.0, 0.0, -0.0,
                  float('nan'), float('inf'), -float('inf'), 1e30, 5e18, 1e10, 0.3, 0.7])
"""


def _exact(src: str) -> None:
    same_output(_VALUES + src)


def test_dtypes_and_qschemes_print_as_pytorch():
    same_output("""
import torch, copy, pickle
for d in (torch.quint8, torch.qint8, torch.qint32, torch.quint4x2, torch.quint2x4):
    print(d, repr(d), d.is_floating_point, d.is_complex, d.itemsize, d == torch.uint8)
for q in (torch.per_tensor_affine, torch.per_tensor_symmetric, torch.per_channel_affine,
          torch.per_channel_symmetric, torch.per_channel_affine_float_qparams):
    print(q, repr(q), f"{q}", type(q), q == torch.per_tensor_affine)
print(copy.deepcopy(torch.quint8) is torch.quint8,
      pickle.loads(pickle.dumps(torch.per_channel_symmetric)) is torch.per_channel_symmetric)
""")


@pytest.mark.parametrize("args", ["0.5, 3, 0, 255", "0.1, 0, -128, 127", "0.37, 2, 0, 15",
                                  "1e-3, 10, 0, 255", "-0.5, 1, 0, 255", "0.0, 1, 0, 255",
                                  "3.0, 0, -8, 7"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_per_tensor_values_and_gradient(args, dtype):
    _exact(f"""
x = x.to(torch.{dtype}).requires_grad_(True)
y = torch.fake_quantize_per_tensor_affine(x, {args})
print(y.dtype, y.grad_fn.name(), y.tolist())
y.backward(torch.arange(float(x.numel())).to(x.dtype))
print(x.grad.tolist())
""")


def test_per_tensor_tensor_qparams():
    _exact("""
x.requires_grad_(True)
for s, z in [(torch.tensor([0.5]), torch.tensor([3])), (torch.tensor(0.25), torch.tensor(2, dtype=torch.int32)),
             (torch.tensor([0.5]), torch.tensor([3.7])), (torch.tensor([0.5]).double(), torch.tensor([3])),
             (torch.tensor([0.5]), torch.tensor([300]))]:
    y = torch.fake_quantize_per_tensor_affine(x, s, z, 0, 255)
    print(y.grad_fn.name(), y.tolist())
    x.grad = None
    y.sum().backward()
    print(x.grad.tolist())
""")


@pytest.mark.parametrize("call", [
    "x, 0.5, 3, 10, 5", "x, 0.5, 300, 0, 255", "x, 0.5, -1, 0, 255", "x, 0.5, 1.5, 0, 255",
    "x, torch.tensor([0.5]), 3, 0, 255", "x.long(), 0.5, 1, 0, 255", "x, 1, 1.5, 0, 255",
    "x, 0.5, torch.tensor([1]), 0, 255",
    "x, torch.tensor([0.5, 1.0]), torch.tensor([3, 3]), 0, 255",
    "x, torch.tensor([0.5]), torch.tensor([3]), 5, 1",
    "x, torch.tensor([0.5], requires_grad=True), torch.tensor([3]), 0, 255"])
def test_per_tensor_errors(call):
    _exact(f"y = torch.fake_quantize_per_tensor_affine({call})\nprint(y)")


_CHANNEL = """
import torch
torch.manual_seed(0)
w = (torch.randn(3, 4, 5) * 3).requires_grad_(True)
i32 = lambda *v: torch.tensor(v, dtype=torch.int32)
s3 = torch.tensor([0.1, 0.23, 0.3])
"""


@pytest.mark.parametrize("args", [
    "s3, i32(0, 1, 2), 0, -128, 127", "s3, i32(0, 1, 2), 0, -3, 3",
    "torch.tensor([0.1, 0.2, 0.3, 0.05]), i32(0, 1, 2, 3), 1, 0, 15",
    "torch.tensor([0.1, 0.2, 0.3, 0.05, 1.0]), i32(0, 0, 0, 0, 0), 2, -8, 7",
    "s3, torch.tensor([0.5, 1.3, 2.0]), 0, -128, 127",
    "s3, torch.tensor([0.5, 1.3, 2.0]).half(), 0, 0, 255"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_per_channel_values_and_gradient(args, dtype):
    same_output(_CHANNEL + f"""
x = w.detach().to(torch.{dtype}).requires_grad_(True)
y = torch.fake_quantize_per_channel_affine(x, {args})
print(y.dtype, y.grad_fn.name(), y.tolist())
y.backward(torch.ones_like(y) * 2)
print(x.grad.tolist())
""")


@pytest.mark.parametrize("call", [
    "w, s3, torch.tensor([0, 1, 2]), 0, -128, 127",
    "w, s3.double(), i32(0, 1, 2), 0, -128, 127",
    "w, torch.tensor([0.1, 0.2]), i32(0, 1), 0, -128, 127",
    "w, s3, i32(0, 1), 0, -128, 127", "w, s3, i32(0, 1, 2), 3, -128, 127",
    "w, s3, i32(0, 1, 2), -1, -128, 127", "w, s3, i32(0, 1, 2), -3, -128, 127",
    "w, s3, i32(0, 1, 200), 0, -128, 127", "w, s3, i32(0, 1, 2), 0, 5, 1",
    "w, s3.view(3, 1), i32(0, 1, 2), 0, -128, 127",
    "w, s3, torch.tensor([[0, 1, 2]], dtype=torch.int32), 0, -128, 127",
    "w, 0.1, 0, 0, 5, 1", "w.long(), s3, i32(0, 1, 2), 0, -128, 127"])
def test_per_channel_errors(call):
    same_output(_CHANNEL + f"y = torch.fake_quantize_per_channel_affine({call})\nprint(y)")


def test_per_channel_overflow_and_nan():
    _exact("""
v = x.detach().view(-1, 1)
n = v.shape[0]
print(torch.fake_quantize_per_channel_affine(v, torch.full((n,), 0.5), torch.full((n,), 3, dtype=torch.int32), 0, 0, 255).view(-1).tolist())
print(torch.fake_quantize_per_channel_affine(v, torch.full((n,), 0.5), torch.full((n,), 3.), 0, 0, 255).view(-1).tolist())
""")


@pytest.mark.parametrize("per_row,symmetric,qrange", [
    (False, False, "0, 255"), (False, True, "-128, 127"), (True, True, "-128, 127"),
    (True, False, "0, 127"), (False, False, "0, 127")])
def test_fused_moving_avg_obs_fake_quant(per_row, symmetric, qrange):
    same_output(f"""
import torch
torch.manual_seed(0)
per_row, sym = {per_row}, {symmetric}
if per_row:
    rmin, rmax, s, z = torch.tensor([]), torch.tensor([]), torch.tensor([1.]), torch.tensor([0], dtype=torch.int32)
else:
    rmin, rmax, s, z = torch.tensor(float('inf')), torch.tensor(float('-inf')), torch.tensor([1.]), torch.tensor([0], dtype=torch.int32)
for i, x in enumerate([torch.randn(4, 6) * 2, torch.rand(4, 6) + 1, torch.zeros(4, 6), torch.rand(4, 6) * 1e-4,
                       torch.randn(4, 6) * 50 - 3]):
    x.requires_grad_(True)
    obs_on, fq_on = torch.tensor([int(i != 3)]), torch.tensor([int(i != 1)])
    y = torch.fused_moving_avg_obs_fake_quant(x, obs_on, fq_on, rmin, rmax, s, z, 0.3, {qrange}, 0, per_row, sym)
    y.backward(torch.ones_like(y))
    print(y is x, y.grad_fn.name(), y.tolist(), x.grad.tolist())
    print(rmin.tolist(), rmax.tolist(), s.tolist(), z.tolist(), z.dtype)
""")


def test_fused_checks_ch_axis():
    assert "ch_axis must be" in printed("""
import torch
x = torch.randn(2, 3)
torch.fused_moving_avg_obs_fake_quant(x, torch.tensor([1]), torch.tensor([1]), torch.tensor([]),
    torch.tensor([]), torch.tensor([1.]), torch.tensor([0], dtype=torch.int32), 0.1, 0, 255, 2, True)
""", "ember")


@pytest.mark.parametrize("expr", [
    "torch.promote_types(torch.quint8, torch.float32)",
    "torch.promote_types(torch.int64, torch.qint32)",
    "[(torch.iinfo(d).min, torch.iinfo(d).max, torch.iinfo(d).bits) for d in "
    "(torch.quint8, torch.qint8, torch.qint32, torch.quint4x2)]",
    "torch.ones(2).to(torch.qint32)"])
def test_quantized_dtypes_are_not_tensor_dtypes(expr):
    same_output(f"""
import torch, warnings
warnings.simplefilter("ignore")
print({expr})
""")


def test_qscheme_cannot_be_made():
    """``qscheme`` is a C type in PyTorch: its instances are the five named ones only."""
    import copy

    import ember

    with pytest.raises(TypeError) as want:
        torch.qscheme("per_tensor_affine")
    with pytest.raises(TypeError) as got:
        ember.qscheme("per_tensor_affine")
    assert str(got.value) == str(want.value).replace("torch", "ember")
    assert copy.deepcopy(ember.per_channel_affine) is ember.per_channel_affine
