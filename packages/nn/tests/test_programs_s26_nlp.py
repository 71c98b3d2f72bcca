"""NLP and transformer programs compared with PyTorch (lane F, stretch 26)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.nn as enn  # noqa: E402
import ember.nn.functional as EF  # noqa: E402

HALF = [("bfloat16", torch.bfloat16), ("float16", torch.float16)]


def _pair(shape: tuple, name: str, tdt: object, seed: int) -> tuple:
    """The same random half-precision tensor in PyTorch and in Ember."""
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    t = torch.from_numpy(a).to(tdt)
    return t, ember.tensor(a).to(getattr(ember, name))


def _same(e: object, t: object) -> None:
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    np.testing.assert_array_equal(e.float().detach().numpy(), t.float().detach().numpy())


@pytest.mark.parametrize("name,tdt", HALF)
@pytest.mark.parametrize("kw", ["none", "causal", "bool", "float", "scale"])
def test_sdpa_half_matches_flash_rounding(name: str, tdt: object, kw: str) -> None:
    """Half-precision SDPA: float32 scores and softmax, exponentials rounded before @ v."""
    tq, eq = _pair((2, 3, 5, 8), name, tdt, 1)
    tk, ek = _pair((2, 3, 7, 8), name, tdt, 2)
    tv, ev = _pair((2, 3, 7, 8), name, tdt, 3)
    targs: dict = {}
    eargs: dict = {}
    if kw == "causal":
        targs = eargs = {"is_causal": True}
    elif kw == "bool":
        m = np.random.default_rng(4).random((5, 7)) > 0.3
        targs, eargs = {"attn_mask": torch.from_numpy(m)}, {"attn_mask": ember.tensor(m)}
    elif kw == "float":
        tm, em = _pair((2, 1, 5, 7), name, tdt, 5)
        targs, eargs = {"attn_mask": tm}, {"attn_mask": em}
    elif kw == "scale":
        targs = eargs = {"scale": 0.3}
    t = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **targs)
    e = EF.scaled_dot_product_attention(eq, ek, ev, **eargs)
    _same(e, t)


@pytest.mark.parametrize("name,tdt", HALF)
def test_sdpa_half_3d_with_3d_mask(name: str, tdt: object) -> None:
    tq, eq = _pair((3, 4, 8), name, tdt, 6)
    tk, ek = _pair((3, 6, 8), name, tdt, 7)
    tm, em = _pair((3, 4, 6), name, tdt, 8)
    t = torch.nn.functional.scaled_dot_product_attention(tq, tk, tk, attn_mask=tm)
    _same(EF.scaled_dot_product_attention(eq, ek, ek, attn_mask=em), t)


@pytest.mark.parametrize("name,tdt", HALF)
def test_transformer_encoder_layer_half_program(name: str, tdt: object) -> None:
    """A seeded encoder layer cast to a half type prints PyTorch's numbers."""
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    tx = torch.randn(2, 3, 8)
    ember.manual_seed(0)
    el = enn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    ex = ember.randn(2, 3, 8)
    t = tl.to(tdt)(tx.to(tdt))
    e = el.to(getattr(ember, name))(ex.to(getattr(ember, name)))
    assert str(e).replace("ember", "torch") == str(t)


def test_sdpa_half_backward_keeps_dtype() -> None:
    q = ember.randn(1, 2, 3, 4, dtype=ember.bfloat16, requires_grad=True)
    o = EF.scaled_dot_product_attention(q, q, q, is_causal=True)
    o.float().sum().backward()
    assert o.dtype == ember.bfloat16 and q.grad.dtype == ember.bfloat16
    assert tuple(q.grad.shape) == (1, 2, 3, 4)


def _raised(fn: object) -> tuple:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the type and text are what is compared)
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("offsets", [[1, 2], [2, 1]])
def test_embedding_bag_first_offset_message(offsets: list) -> None:
    """PyTorch's message ends with the offsets tensor's empty summary line."""
    w = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    t = _raised(lambda: torch.nn.functional.embedding_bag(
        torch.tensor([1, 2, 3]), torch.from_numpy(w), torch.tensor(offsets)))
    e = _raised(lambda: EF.embedding_bag(ember.tensor([1, 2, 3]), ember.tensor(w),
                                         ember.tensor(offsets)))
    assert t is not None and e == t


def test_embedding_bag_max_empty_bag_prints_positive_zero() -> None:
    """An empty max bag is +0 (PyTorch prints 0.0000, never -0.0000), gradient kept."""
    w = np.array([[-1.5, -2.0, 3.0], [-0.5, -0.25, -4.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    tw = torch.from_numpy(w).requires_grad_()
    ew = ember.tensor(w, requires_grad=True)
    t = torch.nn.functional.embedding_bag(torch.tensor([0, 1]), tw, torch.tensor([0, 2]),
                                          mode="max")
    e = EF.embedding_bag(ember.tensor([0, 1]), ew, ember.tensor([0, 2]), mode="max")
    assert str(e).replace("ember", "torch") == str(t)
    np.testing.assert_array_equal(np.signbit(e.detach().numpy()), np.signbit(t.detach().numpy()))
    t.sum().backward()
    e.sum().backward()
    np.testing.assert_array_equal(ew.grad.numpy(), tw.grad.numpy())


_GPT_HALF = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(self, n, h):
        super().__init__()
        self.h = h
        self.ln = nn.LayerNorm(n)
        self.qkv = nn.Linear(n, 3 * n)
        self.proj = nn.Linear(n, n)
    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
wte = nn.Embedding(11, 8)
blk = Block(8, 2)
head = nn.Linear(8, 11, bias=False)
head.weight = wte.weight
for dt in (torch.bfloat16, torch.float16):
    for m in (wte, blk):
        m.to(dt)
    idx = torch.tensor([[1, 2, 3, 4, 5]])
    with torch.no_grad():
        for _ in range(3):
            logits = head(blk(wte(idx)))[:, -1, :]
            idx = torch.cat([idx, logits.argmax(-1, keepdim=True)], 1)
        print(dt, logits, idx.tolist())
'''


def _printed(src: str) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})
    return buf.getvalue()


def test_half_precision_gpt_block_program() -> None:
    """Greedy decoding through a weight-tied half-precision causal block prints the same."""
    t = _printed(_GPT_HALF).replace("torch", "ember")
    assert _printed(_GPT_HALF.replace("torch", "ember")) == t
