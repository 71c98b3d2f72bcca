"""Session 28, lane E: Hugging-Face-style transformer code written in plain PyTorch (GPT-2,
BERT, T5, LLaMA building blocks), run side by side with PyTorch.

Covers: extended attention masks from ``finfo(dtype).min``, causal masks from ``tril``
buffers, GELU by hand, RMSNorm by hand, rotary embeddings (complex and cos/sin forms), T5's
relative position buckets, ``baddbmm`` attention, KV caches, top-k / top-p sampling,
repetition penalty, beam-search bookkeeping, ``_init_weights`` / tied weights, and the
difference found: PyTorch's CPU ``addmm`` / ``baddbmm`` of float16 and bfloat16 compute
``alpha * (m1 @ m2) + beta * input`` in float32 and round once (GPT-2's ``Conv1D``, Bloom's
alibi scores), and their graph node takes the two operands as inputs, whose gradients are the
products with the incoming gradient, scaled by ``alpha`` afterwards.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _programs import run

import ember

torch = pytest.importorskip("torch")

def _pair(a: np.ndarray, dt: str) -> tuple:
    return (torch.tensor(a).to(getattr(torch, dt)), ember.tensor(a).to(getattr(ember, dt)))


def _exact(t, e) -> None:
    assert str(e.dtype).replace("ember", "torch") == str(t.dtype)
    np.testing.assert_array_equal(e.detach().float().numpy(), t.detach().float().numpy())


# ------------------------------------------------------------- half addmm / baddbmm rounding
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0, 0.3), (0.5, 1), (0.7, 0.3), (1, 0.125)])
def test_half_addmm_rounds_once(dt: str, beta: float, alpha: float) -> None:
    r = np.random.RandomState(0)
    (tc, ec), (ta, ea), (tb, eb) = (_pair(r.randn(*s).astype("float32"), dt)
                                    for s in ((6, 7), (6, 16), (16, 7)))
    _exact(torch.addmm(tc, ta, tb, beta=beta, alpha=alpha),
           ember.addmm(ec, ea, eb, beta=beta, alpha=alpha))
    _exact(tc.addmm(ta, tb, beta=beta, alpha=alpha), ec.addmm(ea, eb, beta=beta, alpha=alpha))
    tc2, ec2 = tc.clone(), ec.clone()
    tc2.addmm_(ta, tb, beta=beta, alpha=alpha)
    ec2.addmm_(ea, eb, beta=beta, alpha=alpha)
    _exact(tc2, ec2)


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0, 0.35355), (0.7, 0.3), (1.0, 0.125)])
def test_half_baddbmm_rounds_once(dt: str, beta: float, alpha: float) -> None:
    r = np.random.RandomState(1)
    (tc, ec), (ta, ea), (tb, eb) = (_pair(r.randn(*s).astype("float32"), dt)
                                    for s in ((4, 1, 5), (4, 3, 8), (4, 8, 5)))
    _exact(torch.baddbmm(tc, ta, tb, beta=beta, alpha=alpha),
           ember.baddbmm(ec, ea, eb, beta=beta, alpha=alpha))
    _exact(tc.baddbmm(batch1=ta, batch2=tb, beta=beta, alpha=alpha),
           ec.baddbmm(batch1=ea, batch2=eb, beta=beta, alpha=alpha))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_baddbmm_beta_zero_ignores_nan_input(dt: str) -> None:
    r = np.random.RandomState(2)
    (ta, ea), (tb, eb) = (_pair(r.randn(*s).astype("float32"), dt)
                          for s in ((2, 3, 4), (2, 4, 3)))
    tc, ec = _pair(np.full((2, 3, 3), np.nan, "float32"), dt)
    _exact(torch.baddbmm(tc, ta, tb, beta=0, alpha=0.5),
           ember.baddbmm(ec, ea, eb, beta=0, alpha=0.5))


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_gpt2_conv1d_half(dt: str) -> None:
    """GPT-2's Conv1D: ``addmm(bias, x.view(-1, nx), weight)`` in a half type, with grads."""
    r = np.random.RandomState(3)
    (tx, ex), (tw, ew), (tb, eb) = (_pair(r.randn(*s).astype("float32"), dt)
                                    for s in ((2, 3, 16), (16, 8), (8,)))
    outs = []
    for L, x, w, b in ((torch, tx, tw, tb), (ember, ex, ew, eb)):
        x, w, b = (v.clone().requires_grad_() for v in (x, w, b))
        size_out = x.size()[:-1] + (8,)
        y = L.addmm(b, x.view(-1, x.size(-1)), w).view(size_out)
        (y * y).float().sum().backward()
        outs.append((y, x.grad, w.grad, b.grad))
    for t, e in zip(*outs):
        _exact(t, e)


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float64"])
@pytest.mark.parametrize("beta,alpha", [(0.7, 0.3), (0, 0.5), (1, 1)])
def test_fused_product_grads_scale_after_the_product(dt: str, beta: float, alpha: float) -> None:
    r = np.random.RandomState(4)
    a, b, c, g = (r.randn(*s) for s in ((3, 4, 16), (3, 16, 5), (4, 5), (3, 4, 5)))
    got = []
    for L in (torch, ember):
        d = getattr(L, dt)
        ta, tb, tc = (L.tensor(v).to(d).requires_grad_() for v in (a, b, c))
        L.baddbmm(tc, ta, tb, beta=beta, alpha=alpha).backward(L.tensor(g).to(d))
        m1, m2, inp = (L.tensor(v).to(d).requires_grad_() for v in (a[0], b[0], c))
        L.addmm(inp, m1, m2, beta=beta, alpha=alpha).backward(L.tensor(g[0]).to(d))
        got.append([v.grad for v in (ta, tb, tc, m1, m2, inp)])
    for t, e in zip(*got):
        _exact(t, e)


def test_fused_product_node_inputs() -> None:
    def names(L):
        a = L.randn(3, 4, requires_grad=True)
        b = L.randn(4, 5, requires_grad=True)
        c = L.randn(5, requires_grad=True)
        out = []
        for y in (L.addmm(c, a, b, alpha=0.5), L.baddbmm(c, a[None], b[None], alpha=0.5),
                  L.addmm(c, a, b.detach()), L.addmm(c.detach(), a, b)):
            out.append([(type(n).__name__ if n is not None else None, i)
                        for n, i in y.grad_fn.next_functions])
        return out

    assert names(ember) == names(torch)


# ------------------------------------------------------------------ whole HF-style programs
def _gpt2(L):
    torch_, nn, F = L.torch, L.nn, L.F
    torch_.manual_seed(0)

    class Conv1D(nn.Module):
        def __init__(self, nf, nx):
            super().__init__()
            self.nf = nf
            self.weight = nn.Parameter(torch_.empty(nx, nf))
            self.bias = nn.Parameter(torch_.zeros(nf))
            nn.init.normal_(self.weight, std=0.02)

        def forward(self, x):
            size_out = x.size()[:-1] + (self.nf,)
            return torch_.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(size_out)

    class Block(nn.Module):
        def __init__(self, d, h, n_pos):
            super().__init__()
            self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.c_attn, self.c_proj = Conv1D(3 * d, d), Conv1D(d, d)
            self.c_fc, self.mlp_proj = Conv1D(4 * d, d), Conv1D(d, 4 * d)
            self.h = h
            self.register_buffer("bias", torch_.tril(torch_.ones(n_pos, n_pos)).view(
                1, 1, n_pos, n_pos), persistent=False)

        def forward(self, x):
            B, T, C = x.size()
            q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
            q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            x = x + self.c_proj(y)
            u = self.c_fc(self.ln_2(x))
            m = 0.5 * u * (1.0 + torch_.tanh(math.sqrt(2.0 / math.pi) * (
                u + 0.044715 * torch_.pow(u, 3.0))))
            return x + self.mlp_proj(m)

    class GPT(nn.Module):
        def __init__(self, vocab=20, d=16, n_pos=12):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(n_pos, d)
            self.h = nn.ModuleList([Block(d, 2, n_pos) for _ in range(2)])
            self.ln_f = nn.LayerNorm(d)
            self.lm_head = nn.Linear(d, vocab, bias=False)
            self.wte.weight = self.lm_head.weight  # tie_weights
            self.apply(self._init_weights)

        def _init_weights(self, module):
            if isinstance(module, (nn.Linear, nn.Embedding)):
                module.weight.data.normal_(mean=0.0, std=0.02)
            elif isinstance(module, nn.LayerNorm):
                module.bias.data.zero_()
                module.weight.data.fill_(1.0)

        def forward(self, idx):
            t = idx.size(1)
            pos = torch_.arange(0, t, dtype=torch_.long).unsqueeze(0)
            x = self.wte(idx) + self.wpe(pos)
            for b in self.h:
                x = b(x)
            return self.lm_head(self.ln_f(x))

    m = GPT()
    out = [sum(p.numel() for p in m.parameters()), len(m.state_dict()),
           m.wte.weight is m.lm_head.weight]
    opt = torch_.optim.AdamW(m.parameters(), lr=1e-2)
    x = torch_.randint(0, 20, (3, 8))
    for _ in range(2):
        logits = m(x)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, 20), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    with torch_.no_grad():
        idx = x[:, :2]
        for _ in range(5):
            logits = m(idx)[:, -1, :] / 0.8
            v, _ = torch_.topk(logits, 5)
            logits[logits < v[:, [-1]]] = -float("Inf")
            nxt = torch_.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = torch_.cat((idx, nxt), dim=1)
        out.append(idx)
        out.append(m.half()(x).float())
    return out


def test_gpt2_program() -> None:
    run(_gpt2, torch)


def _llama_blocks(L):
    torch_ = L.torch
    torch_.manual_seed(0)
    out = []
    B, H, T, D = 2, 4, 5, 8
    x = torch_.randn(B, T, 16)
    var = x.to(torch_.float32).pow(2).mean(-1, keepdim=True)
    out.append(x * torch_.rsqrt(var + 1e-6))
    inv = 1.0 / (10000 ** (torch_.arange(0, D, 2, dtype=torch_.int64).float() / D))
    pos = torch_.arange(T, dtype=torch_.long).unsqueeze(0).expand(B, -1)
    freqs = (inv[None, :, None].expand(B, -1, 1) @ pos[:, None, :].float()).transpose(1, 2)
    emb = torch_.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None], emb.sin()[:, None]
    q = torch_.randn(B, H, T, D)
    x1, x2 = q.chunk(2, dim=-1)
    out.append(q * cos + torch_.cat((-x2, x1), dim=-1) * sin)
    fr = torch_.outer(torch_.arange(T).float(), inv)
    fc = torch_.polar(torch_.ones_like(fr), fr)
    qc = torch_.view_as_complex(q.transpose(1, 2).reshape(B, T, H, -1, 2))
    out.append(torch_.view_as_real(qc * fc.view(1, T, 1, -1)).flatten(3))
    kv = torch_.randn(B, 2, T, D)
    out.append(kv[:, :, None].expand(B, 2, 2, T, D).reshape(B, 4, T, D))
    mn = torch_.finfo(torch_.float32).min
    causal = torch_.triu(torch_.full((T, T + 2), mn), diagonal=1 + 2)
    am = torch_.tensor([[0, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]])
    causal = causal[None, None].expand(B, 1, -1, -1).clone()
    pad = (causal + am[:, None, None, :]) == 0
    out.append(causal.masked_fill(pad, mn))
    p = am.long().cumsum(-1) - 1
    out.append(p.masked_fill_(am == 0, 1))
    for dt in (torch_.float16, torch_.bfloat16):
        ext = (1.0 - am[:, None, None, :].to(dt)) * torch_.finfo(dt).min
        out.extend([ext, str(ext.dtype)])
    return out


def test_llama_blocks_program() -> None:
    run(_llama_blocks, torch)


def _t5_buckets(L):
    torch_ = L.torch

    def bucket(rp, bidirectional=True, nb=32, md=128):
        rb = 0
        if bidirectional:
            nb //= 2
            rb += (rp > 0).to(torch_.long) * nb
            rp = torch_.abs(rp)
        else:
            rp = -torch_.min(rp, torch_.zeros_like(rp))
        me = nb // 2
        small = rp < me
        large = me + (torch_.log(rp.float() / me) / math.log(md / me) * (nb - me)).to(torch_.long)
        large = torch_.min(large, torch_.full_like(large, nb - 1))
        return rb + torch_.where(small, rp, large)

    rel = torch_.arange(12)[None, :] - torch_.arange(12)[:, None]
    return [bucket(rel, nb=8, md=10), bucket(rel * 7, False, 16, 64),
            bucket(torch_.arange(-200, 200, 37))]


def test_t5_bucket_program() -> None:
    run(_t5_buckets, torch)


def _sampling(L):
    torch_, F = L.torch, L.F
    torch_.manual_seed(0)
    logits = torch_.randn(3, 10)
    out = []
    v = torch_.topk(logits, 4)[0][..., -1, None]
    out.append(logits.masked_fill(logits < v, -float("inf")))
    sl, si = torch_.sort(logits, descending=True)
    rm = torch_.cumsum(F.softmax(sl, dim=-1), dim=-1) > 0.7
    rm[..., 1:] = rm[..., :-1].clone()
    rm[..., 0] = 0
    out.append(logits.masked_fill(rm.scatter(1, si, rm), -float("inf")))
    ids = torch_.tensor([[1, 2, 2, 5], [0, 9, 3, 3]])
    s = torch_.gather(logits[:2], 1, ids)
    s = torch_.where(s < 0, s * 1.3, s / 1.3)
    out.append(logits[:2].scatter(1, ids, s))
    out.append(torch_.multinomial(logits.softmax(-1), 3))
    b, nb, V = 2, 3, 5
    sc = F.log_softmax(logits[:, :V].repeat(2, 1), dim=-1).view(b, nb * V)
    top, tok = torch_.topk(sc, 2 * nb, dim=1, largest=True, sorted=True)
    out.extend([top, torch_.div(tok, V, rounding_mode="floor"), tok % V])
    return out


def test_sampling_program() -> None:
    run(_sampling, torch)


# ------------------------------------------------- half rsqrt (RMSNorm by hand in a half type)
def _rsqrt_cases(L, dt):
    g = L.Generator().manual_seed(0)
    x = (L.rand(70, 45, generator=g) * 20 + 0.1).to(getattr(L, dt))
    v = L.randn(2, 3, 8, generator=g).to(getattr(L, dt))
    return [x, x.T, x[:, ::2], x[:, :40], x[:5, :3], x[0, 0], x[:, :40].T,
            x.view(5, 14, 45)[:, 3:, :33], v.pow(2).mean(-1, keepdim=True) + 1e-6]


@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_half_rsqrt_vector_and_scalar_loops(dt: str) -> None:
    """PyTorch's vector loop rounds once, its scalar loop (tails, strided, small) twice."""
    for t, e in zip(_rsqrt_cases(torch, dt), _rsqrt_cases(ember, dt)):
        _exact(t, e)  # the inputs agree
        _exact(torch.rsqrt(t), ember.rsqrt(e))
    t, e = _rsqrt_cases(torch, dt)[-1], _rsqrt_cases(ember, dt)[-1]
    t2, e2 = t.clone(), e.clone()
    t2.rsqrt_()
    e2.rsqrt_()
    _exact(t2, e2)


@pytest.mark.parametrize("dt", ["float16", "bfloat16", "float32", "float64"])
def test_rsqrt_grad_uses_pow(dt: str) -> None:
    r = (np.random.RandomState(5).rand(3, 5) * 9 + 0.5).astype("float32")
    grads = []
    for L in (torch, ember):
        x = L.tensor(r).to(getattr(L, dt)).requires_grad_()
        x.rsqrt().sum().backward()
        grads.append(x.grad)
    _exact(*grads)


def _half_rmsnorm(L):
    torch_, nn = L.torch, L.nn
    torch_.manual_seed(0)

    class RMSNorm(nn.Module):
        def __init__(self, d, eps=1e-6):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch_.ones(d))

        def forward(self, x):
            return x * torch_.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight

    n = RMSNorm(8).half()
    x = torch_.randn(2, 3, 8).half().requires_grad_()
    y = n(x)
    y.float().pow(2).sum().backward()
    return [y, x.grad, n.weight.grad, str(y.dtype)]


def test_half_rmsnorm_program() -> None:
    run(_half_rmsnorm, torch, rtol=0, atol=0)
