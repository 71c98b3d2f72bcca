"""Integer, bool and dtype arithmetic in whole programs, compared with PyTorch (s26 lane G).

Each program is run twice in-process, once with torch and once with its imports rewritten to
Ember; the printed outputs must agree (with "ember" read as "torch")."""


import pytest
from _program_output import same_output

import ember

torch = pytest.importorskip("torch")


_BOOL_PRODUCTS = [
    "torch.dot(b, b)", "torch.inner(b, b)", "torch.matmul(b, b)", "torch.inner(B, B)",
    "torch.mm(B, B)", "torch.mv(B, B[0])", "B @ B[0]", "B[0] @ B", "torch.matmul(B[0], B3)",
    "torch.matmul(B3, B[0])", "torch.matmul(B3, B)", "torch.matmul(B, B3)",
    "torch.tensordot(b, b, 1)", "torch.tensordot(B, B, 2)", "torch.tensordot(b, b, 0)",
    "torch.inner(B, B[0])", "torch.tensordot(b, b, 5)", "torch.tensordot(B, b, ([0], [0]))",
]


@pytest.mark.parametrize("expr", _BOOL_PRODUCTS)
def test_bool_product_kernel_named_as_pytorch(expr):
    """A bool matrix product's refusal names the kernel PyTorch runs for those ranks: dot for
    vectors (and full tensordot contractions), addmv for matrix-vector, bmm past 2-D."""
    src = ("import torch\nb = torch.tensor([True, False, True])\n"
           "B = torch.tensor([[True, False], [True, True]])\n"
           "B3 = torch.ones(2, 2, 2, dtype=torch.bool)\n"
           f"try:\n    print({expr})\nexcept Exception as e:\n    print(type(e).__name__, e)\n")
    same_output(src)


_DIVISION = """
import torch
a = torch.tensor([7, -7, 5, -5, 0])
b = torch.tensor([2, 2, -3, -3, 3])
print(a / b, (a / b).dtype, a // b, a % b, torch.fmod(a, b))
print(torch.div(a, b, rounding_mode='trunc'), torch.div(a, b, rounding_mode='floor'))
x = torch.tensor([7.5, -7.5, 5.0, -5.0])
y = torch.tensor([2.0, 2.0, -3.0, -3.0])
print(x // y, x % y, torch.fmod(x, y), -7 // torch.tensor(2), -7 % torch.tensor(2))
i8 = torch.tensor([-7, 7, -8, 8], dtype=torch.int8)
print(i8 // 2, i8 % -3, torch.tensor([-128], dtype=torch.int8) // torch.tensor([-1], dtype=torch.int8))
try:
    print(a // torch.tensor([0, 1, 1, 1, 1]))
except Exception as e:
    print(type(e).__name__, e)
"""

_OVERFLOW_AND_BITS = """
import torch
a = torch.tensor([100, 120, -128], dtype=torch.int8)
u = torch.tensor([0, 1, 250], dtype=torch.uint8)
print(a + a, a * 3, u - 1, u + 10, -u, (u + a).dtype)
print(torch.tensor([2**31 - 1], dtype=torch.int32) + 1, torch.tensor([2**63 - 1]) + 1)
v = torch.tensor([1, -2, 12, 255, -1])
print(v << 63, v >> 64, v << -1, v >> 100, ~v, v & 6, v ^ 3)
print(torch.tensor([1, 128, 255], dtype=torch.uint8) << 8, torch.tensor([-128], dtype=torch.int8) >> 10)
"""

_PROMOTION = """
import torch
i = torch.tensor([1, 2, 3])
i8 = torch.tensor([1, 2, 3], dtype=torch.int8)
h = torch.tensor([1.0, 2.0], dtype=torch.float16)
b = torch.tensor([True, False])
print(i * 2.5, i8 + 1000, (i8 + 1000).dtype, h + 1, (h + 1.5).dtype, b + 1, (b + 1.0).dtype)
print(i * 1j, (i8 + torch.tensor(500)), b.sum(), b.sum().dtype, (b * 1.5).dtype, b + b)
for dt in [torch.int8, torch.uint8, torch.bool, torch.int16]:
    t = torch.ones(4, dtype=dt)
    print(t.sum().dtype, t.prod().dtype, t.cumsum(0).dtype)
try:
    torch.tensor([1, 2]).mean()
except Exception as e:
    print(type(e).__name__, e)
print(torch.tensor([True, 2]).dtype, torch.tensor([True, 1.5]).dtype)
try:
    torch.tensor([2**64])
except Exception as e:
    print(type(e).__name__, e)
"""

_SELECTION = """
import torch
x = torch.tensor([3, 1, 2, 1, 3, 2, 1, 0, 2, 2])
print(torch.sort(x, stable=True), torch.argsort(x, descending=True, stable=True))
print(torch.topk(x, 3), torch.kthvalue(x, 4), torch.median(torch.tensor([1, 2, 3, 4])))
print(torch.mode(torch.tensor([2, 1, 2, 1])), torch.max(torch.tensor([[3, 7, 7], [9, 1, 9]]), dim=1))
print(torch.unique(x, return_inverse=True, return_counts=True), torch.unique_consecutive(x))
print(torch.bincount(x, minlength=6), torch.bincount(x, weights=x.float() / 2))
print(torch.histc(x.float(), bins=4, min=0, max=4), torch.clamp(x, 0.5, 2.5))
"""

_CONVERSIONS = """
import torch
f = torch.tensor([1e10, -1e10, 300.7, -300.7, 2.9, -2.9])
print(f.long(), f.int(), f.to(torch.int16), f[2:].to(torch.uint8), f[4:].to(torch.int8))
print(torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5, 2.675]), decimals=2), torch.round(torch.tensor([2.5, -2.5])))
print(torch.abs(torch.tensor([-128], dtype=torch.int8)), torch.tensor([2, 3]) ** 2, 2 ** torch.tensor([3]))
try:
    torch.tensor([2]) ** -1
except Exception as e:
    print(type(e).__name__, e)
print(torch.arange(0, 1, 0.1).numel(), torch.arange(1, 2.5, 0.5), torch.linspace(0, 10, 5, dtype=torch.int64))
for t in [torch.tensor(3), torch.tensor(2.5), torch.tensor(True), torch.tensor(7, dtype=torch.uint8)]:
    print(repr(t.item()), type(t.item()).__name__, t.tolist(), t.numpy().dtype)
try:
    int(torch.tensor([1, 2]))
except Exception as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("src", [_DIVISION, _OVERFLOW_AND_BITS, _PROMOTION, _SELECTION,
                                 _CONVERSIONS],
                         ids=["division", "overflow_bits", "promotion", "selection",
                              "conversions"])
def test_integer_program_prints_as_pytorch(src):
    same_output(src)


def test_ember_namespace_is_the_one_exercised():
    assert ember.tensor([1]).dtype is ember.int64


@pytest.mark.parametrize("expr", [
    "[2**64], dtype=torch.uint64", "2**64, dtype=torch.uint64", "[-2**63 - 1], dtype=torch.uint64",
    "[[1, 2], [2**70, -1]], dtype=torch.uint64", "[-1], dtype=torch.uint64", "[2**64 - 1], dtype=torch.uint64",
    "[2**64, -2**70]", "[2**63], dtype=torch.uint8", "[1, -2**64], dtype=torch.int32",
])
def test_tensor_of_out_of_range_python_ints(expr):
    """uint64 reads each Python int as unsigned (OverflowError naming too big / negative); the
    other integer dtypes read int64 (ValueError)."""
    src = (f"import torch\ntry:\n    print(torch.tensor({expr}))\n"
           "except Exception as e:\n    print(type(e).__name__, e)\n")
    same_output(src)
