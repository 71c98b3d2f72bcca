"""One recurrent layer (one direction) as a single graph node, run on backend arrays.

The forward is one matrix product for the input projections of every time step, then
one matrix product per step for all gates, with the gate nonlinearities applied in place.
It saves the gate activations, so the backward is one matrix product per step plus a
few elementwise array ops, and one product each for the weight and input gradients over
all steps at once. Under ``create_graph`` the backward recomputes the layer with Ember
ops and differentiates that, so gradients of every order stay available.

Rows are in packed order: step ``t`` owns ``batch_sizes[t]`` consecutive rows, its
batch never grows in the forward direction (sorted sequences), and rows past a step's
batch keep the state they last had.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import Tensor
from ember.ops import _blas
from ember.ops._dispatch import grad_state, make, quiet, record_multi

__all__ = ["fused_layer", "supports_fused"]

_FUSED_DTYPES = frozenset({"float32", "float64"})


def supports_fused(x: Tensor) -> bool:
    """Whether the array kernels handle this input (half precision keeps the op path)."""
    return str(x._data.dtype) in _FUSED_DTYPES


def _sigmoid_(xp: Any, a: Any) -> None:
    """``a = 1 / (1 + exp(-a))`` in place (exp overflows to inf where the result is 0)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    xp.reciprocal(a, out=a)


_LSTM_ORDER = [0, 1, 3, 2]  # PyTorch's (i, f, g, o) as (i, f, o, g): the sigmoids side by side


def _lstm_order(xp: Any, a: Any, hid: int) -> Any:
    """Rows of an LSTM weight or bias reordered (i, f, o, g), the sigmoid gates' halved."""
    r = a.reshape((4, hid) + a.shape[1:])[_LSTM_ORDER]  # a copy (fancy indexing)
    r[:3] *= 0.5
    return r.reshape(a.shape)


def _spans(batch_sizes: list[int], reverse: bool) -> list[tuple[int, int]]:
    """(row offset, batch) of every step, in the order the forward visits them."""
    spans, off = [], 0
    for bs in batch_sizes:
        spans.append((off, bs))
        off += bs
    return spans[::-1] if reverse else spans


# ---------------------------------------------------------------------------- forward
def _forward(mode: str, xp: Any, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any,
             b_hh: Any, w_hr: Any, spans: list, keep: bool) -> tuple:
    """Arrays (out, h_n, c_n) and, when ``keep``, what the backward needs."""
    n = x.shape[0]
    gsz = w_ih.shape[0]
    hid = gsz // (4 if mode == "LSTM" else 3 if mode == "GRU" else 1)
    if mode == "LSTM":  # gates reordered (i, f, o, g) and the sigmoid ones halved: see below
        w_ih, w_hh = _lstm_order(xp, w_ih, hid), _lstm_order(xp, w_hh, hid)
        b = None if b_ih is None else _lstm_order(xp, b_ih + b_hh, hid)
    else:
        b = b_ih if mode == "GRU" or b_ih is None else b_ih + b_hh  # GRU: b_hh in the product
    gates = _blas.matmul(xp, x, w_ih.T)  # (n, gates): the input projections of every step
    if b is not None:
        gates += b
    whh_t = xp.ascontiguousarray(w_hh.T)  # small products run faster on a contiguous operand
    if xp.__name__ == "numpy":  # the per-step products: thread count fitted once for all
        _blas.fit_threads(spans[0][1] * whh_t.shape[0] * whh_t.shape[1] if spans else 0)
    h = h0.copy()
    hout = h.shape[1]
    out = xp.empty((n, hout), dtype=x.dtype)
    hp = xp.empty((n, hout), dtype=x.dtype) if keep else None  # the state each step read
    if mode == "LSTM":
        c = c0.copy()
        cp = xp.empty((n, hid), dtype=x.dtype) if keep else None
        tc = xp.empty((n, hid), dtype=x.dtype)
        hraw = xp.empty((n, hid), dtype=x.dtype) if w_hr is not None and keep else None
        g3 = gates.reshape(n, 4, hid)
        for off, bs in spans:
            rows = slice(off, off + bs)
            hb, cb = h[:bs], c[:bs]
            if keep:
                hp[rows] = hb
                cp[rows] = cb
            gt = gates[rows]
            gt += xp.matmul(hb, whh_t)
            # one tanh for all gates: sigmoid(z) = (1 + tanh(z / 2)) / 2, z / 2 from the weights
            xp.tanh(gt, out=gt)
            sg = gt[:, :3 * hid]
            sg *= 0.5
            sg += 0.5
            gr = g3[rows]
            cb *= gr[:, 1]
            cb += gr[:, 0] * gr[:, 3]
            t = xp.tanh(cb, out=tc[rows])
            if w_hr is None:
                xp.multiply(gr[:, 2], t, out=out[rows])
            else:
                raw = xp.multiply(gr[:, 2], t, out=hraw[rows]) if keep else gr[:, 2] * t
                xp.matmul(raw, w_hr.T, out=out[rows])
            hb[...] = out[rows]
        saved = (gates, hp, cp, tc, hraw) if keep else None
        return out, h, c, saved
    if mode == "GRU":
        ghn = xp.empty((n, hid), dtype=x.dtype)  # W_hn h + b_hn, which the reset gate scales
        g3 = gates.reshape(n, 3, hid)
        for off, bs in spans:
            rows = slice(off, off + bs)
            hb = h[:bs]
            if keep:
                hp[rows] = hb
            gh = xp.matmul(hb, whh_t)
            if b_hh is not None:
                gh += b_hh
            gh3 = gh.reshape(bs, 3, hid)
            gr = g3[rows]
            rz = gr[:, :2]
            rz += gh3[:, :2]
            _sigmoid_(xp, rz)
            ghn[rows] = gh3[:, 2]
            nn_ = gr[:, 2]
            nn_ += gr[:, 0] * gh3[:, 2]
            xp.tanh(nn_, out=nn_)
            # h' = n + z * (h - n)
            o = out[rows]
            xp.subtract(hb, nn_, out=o)
            o *= gr[:, 1]
            o += nn_
            hb[...] = o
        saved = (gates, hp, ghn) if keep else None
        return out, h, None, saved
    relu = mode == "RNN_RELU"
    for off, bs in spans:
        rows = slice(off, off + bs)
        hb = h[:bs]
        if keep:
            hp[rows] = hb
        o = out[rows]
        xp.add(gates[rows], xp.matmul(hb, whh_t), out=o)
        if relu:
            xp.maximum(o, 0, out=o)
        else:
            xp.tanh(o, out=o)
        hb[...] = o
    if not keep:
        return out, h, None, None
    dact = (out > 0).astype(x.dtype) if relu else 1 - out * out  # the activation's slope
    return out, h, None, (dact, hp)


# ---------------------------------------------------------------------------- backward
def _backward(mode: str, xp: Any, spans: list, arrays: tuple, saved: tuple, gout: Any,
              gh_n: Any, gc_n: Any, needs: tuple) -> tuple:
    """Array gradients of (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = arrays
    n, dt = x.shape[0], x.dtype
    b = h0.shape[0]
    dh = xp.zeros_like(h0) if gh_n is None else gh_n.astype(dt, copy=True)
    dgh = None  # GRU: gradients of the hidden products, which differ from the gates'
    dw_hr = None
    if mode == "LSTM":
        gates, hp, cp, tc, hraw = saved
        hid = tc.shape[1]
        dc = xp.zeros((b, hid), dtype=dt) if gc_n is None else gc_n.astype(dt, copy=True)
        g3 = gates.reshape(n, 4, hid)
        sg_i, sg_f, sg_o, tg = g3[:, 0], g3[:, 1], g3[:, 2], g3[:, 3]  # the forward's order
        # per-row factors of the chain rule, for every step at once
        fac = xp.empty((n, 4, hid), dtype=dt)
        xp.multiply(sg_i, 1 - sg_i, out=fac[:, 0])
        fac[:, 0] *= tg
        xp.multiply(sg_f, 1 - sg_f, out=fac[:, 1])
        fac[:, 1] *= cp
        xp.multiply(tg, tg, out=fac[:, 2])
        xp.subtract(1, fac[:, 2], out=fac[:, 2])
        fac[:, 2] *= sg_i
        xp.multiply(sg_o, 1 - sg_o, out=fac[:, 3])
        fac[:, 3] *= tc
        dcfac = tc * tc
        xp.subtract(1, dcfac, out=dcfac)
        dcfac *= sg_o
        dgates = xp.empty((n, 4 * hid), dtype=dt)
        d3 = dgates.reshape(n, 4, hid)
        dhs = xp.empty((n, w_hr.shape[0]), dtype=dt) if w_hr is not None else None
        for off, bs in reversed(spans):
            rows = slice(off, off + bs)
            dhb = dh[:bs]
            if gout is not None:
                dhb += gout[rows]
            if w_hr is not None:
                dhs[rows] = dhb
                dhr = xp.matmul(dhb, w_hr)
            else:
                dhr = dhb
            dcb = dc[:bs]
            dcb += dhr * dcfac[rows]
            xp.multiply(fac[rows, :3], dcb[:, None, :], out=d3[rows, :3])
            xp.multiply(fac[rows, 3], dhr, out=d3[rows, 3])
            dcb *= sg_f[rows]
            xp.matmul(dgates[rows], w_hh, out=dhb)
        if w_hr is not None and needs[7]:
            dw_hr = xp.matmul(dhs.T, hraw)
        gc0 = dc
    elif mode == "GRU":
        gates, hp, ghn_saved = saved
        hid = ghn_saved.shape[1]
        g3 = gates.reshape(n, 3, hid)
        r, z, nn_ = g3[:, 0], g3[:, 1], g3[:, 2]
        dgates = xp.empty((n, 3 * hid), dtype=dt)
        dgh = xp.empty((n, 3 * hid), dtype=dt)
        d3, dh3 = dgates.reshape(n, 3, hid), dgh.reshape(n, 3, hid)
        # dn_pre = dh' (1 - z)(1 - n^2); dz_pre = dh' (h - n) z (1 - z); dr_pre = dn_pre ghn r(1-r)
        fn = (1 - z) * (1 - nn_ * nn_)
        fz = (hp - nn_) * z * (1 - z)
        fr = ghn_saved * r * (1 - r)
        for off, bs in reversed(spans):
            rows = slice(off, off + bs)
            dhb = dh[:bs]
            if gout is not None:
                dhb += gout[rows]
            dn = xp.multiply(dhb, fn[rows], out=d3[rows, 2])
            xp.multiply(dn, fr[rows], out=d3[rows, 0])
            xp.multiply(dhb, fz[rows], out=d3[rows, 1])
            dh3[rows, :2] = d3[rows, :2]
            xp.multiply(dn, r[rows], out=dh3[rows, 2])
            dhb *= z[rows]
            dhb += xp.matmul(dgh[rows], w_hh)
        gc0 = None
    else:
        dact, hp = saved
        dgates = xp.empty((n, w_hh.shape[0]), dtype=dt)
        for off, bs in reversed(spans):
            rows = slice(off, off + bs)
            dhb = dh[:bs]
            if gout is not None:
                dhb += gout[rows]
            d = xp.multiply(dhb, dact[rows], out=dgates[rows])
            xp.matmul(d, w_hh, out=dhb)
        gc0 = None
    dgh_ = dgates if dgh is None else dgh
    gx = xp.matmul(dgates, w_ih) if needs[0] else None
    gw_ih = xp.matmul(dgates.T, x) if needs[3] else None
    gw_hh = xp.matmul(dgh_.T, hp) if needs[4] else None
    gb_ih = _col_sum(xp, dgates) if needs[5] or (needs[6] and dgh is None) else None
    if needs[6]:
        gb_hh = _col_sum(xp, dgh_) if dgh is not None else gb_ih.copy()
    else:
        gb_hh = None
    return gx, dh, gc0, gw_ih, gw_hh, gb_ih, gb_hh, dw_hr


def _col_sum(xp: Any, a: Any) -> Any:
    """Sums over the rows (a matrix-vector product: NumPy reduces rows slowly)."""
    return xp.matmul(xp.ones(a.shape[0], dtype=a.dtype), a)


# ---------------------------------------------------------------------------- the node
def fused_layer(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, w_ih: Tensor,
                w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, w_hr: Tensor | None,
                batch_sizes: list[int], reverse: bool,
                graph_fallback: Callable) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run one direction of one layer over packed rows ``x`` (n, input).

    Returns (output rows, last h, last c). ``graph_fallback(x, h0, c0, w_ih, w_hh, b_ih,
    b_hh, w_hr)`` recomputes the same with Ember ops (used for higher-order gradients).
    """
    dev = x._device
    xp = dev._backend.xp
    ins = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
    record = grad_state.enabled and any(t is not None and t._rg for t in ins)
    arrs = tuple(None if t is None else t._data for t in ins)
    spans = _spans(batch_sizes, reverse)
    out, h, c, saved = quiet(_forward, mode, xp, *arrs, spans, record)
    res_out, res_h = make(out, dev), make(h, dev)
    res_c = make(c, dev) if c is not None else None
    if not record:
        return res_out, res_h, res_c
    needs = tuple(t is not None and t._rg for t in ins)
    outs = (res_out, res_h) if res_c is None else (res_out, res_h, res_c)

    def vjp(grads: tuple, *tensors: Any) -> tuple:
        inputs, kept = tensors[:8], tensors[8:]
        if grad_state.enabled:  # create_graph: differentiate the op-by-op recomputation
            return _graph_vjp(graph_fallback, grads, inputs, needs)
        g = [None if gr is None else gr._data for gr in grads]
        arrays = tuple(None if t is None else t._data for t in inputs)
        gs = quiet(_backward, mode, xp, spans, arrays,
                   tuple(None if t is None else t._data for t in kept), g[0], g[1],
                   g[2] if len(g) > 2 else None, needs)
        return tuple(None if a is None or not nd else make(a, dev) for a, nd in zip(gs, needs))

    # the forward's private arrays travel as saved tensors, so the engine frees them
    kept = tuple(None if a is None else make(a, dev) for a in saved)
    record_multi("MkldnnRnnLayerBackward0", outs, ins, vjp, ins + kept)
    return res_out, res_h, res_c


def _graph_vjp(fallback: Callable, grads: tuple, tensors: tuple, needs: tuple) -> tuple:
    """Gradients of the op-by-op recomputation, with their own graph (create_graph)."""
    from ember.autograd import enable_grad, grad

    with enable_grad():
        outs = fallback(*tensors)
        pairs = [(o, g) for o, g in zip(outs, grads) if o is not None and g is not None]
        wrt = [t for t, nd in zip(tensors, needs) if nd]
        got = iter(grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True,
                        allow_unused=True))
    return tuple(next(got) if nd else None for nd in needs)
