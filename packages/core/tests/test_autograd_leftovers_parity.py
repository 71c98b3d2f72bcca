"""Autograd details checked against PyTorch: loss arguments PyTorch refuses to differentiate,
graph nodes' ``_saved_<name>`` attributes, and the ``requires_grad`` of bias gradients under
``create_graph``."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

try:
    import ember.nn.functional as F
except ImportError:  # ember-core alone: the tests that need ember.nn skip
    F = None

# saved-attribute cases that call ember.nn.functional
_NN_SAVED = {"linear", "linear_input_const", "linear_weight_const", "linear_no_bias",
             "leaky_relu", "gelu", "silu"}


def _pair(torch, nn=True):
    import torch.nn.functional as TF

    if nn and F is None:
        pytest.skip("needs ember-nn")
    return [(torch, TF), (ember, F)]


def _outcome(fn):
    """What a call does: ('raised', type, message) or ('ok', requires_grad)."""
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ("raised", type(e).__name__, str(e))
    return ("ok", out.requires_grad)


# ------------------------------------------------------------------ 1. loss arguments
def _t(L, a, rg=False):
    return L.tensor(a, dtype=L.float64, requires_grad=rg)


_RNG = np.random.default_rng(0)
_P = _RNG.uniform(0.1, 0.9, (3, 4))
_Q = _RNG.uniform(0.0, 1.0, (3, 4))
_X5 = _RNG.standard_normal((3, 5))
_X4D = _RNG.standard_normal((2, 5, 3, 3))
_X3D = _RNG.standard_normal((2, 5, 4))
_SIGN = np.sign(_RNG.standard_normal((3, 4)))

LOSS_CASES = {
    "bce_weight": lambda L, F, g: F.binary_cross_entropy(
        _t(L, _P, g), _t(L, _Q), weight=_t(L, _Q, True)),
    "bce_weight_f32_input": lambda L, F, g: F.binary_cross_entropy(
        _t(L, _P, g).float(), _t(L, _Q), weight=_t(L, _Q, True)),
    "bce_target": lambda L, F, g: F.binary_cross_entropy(_t(L, _P, g), _t(L, _Q, True)),
    "bce_logits_weight": lambda L, F, g: F.binary_cross_entropy_with_logits(
        _t(L, _X5[:, :4], g), _t(L, _Q), weight=_t(L, _Q, True)),
    "bce_logits_pos_weight": lambda L, F, g: F.binary_cross_entropy_with_logits(
        _t(L, _X5[:, :4], g), _t(L, _Q), pos_weight=_t(L, _Q[0], True)),
    "bce_logits_both": lambda L, F, g: F.binary_cross_entropy_with_logits(
        _t(L, _X5[:, :4], g), _t(L, _Q), weight=_t(L, _Q, True), pos_weight=_t(L, _Q[0], True)),
    "bce_logits_pos_weight_f32": lambda L, F, g: F.binary_cross_entropy_with_logits(
        _t(L, _X5[:, :4], g).float(), _t(L, _Q).float(), pos_weight=_t(L, _Q[0], True)),
    "nll_weight": lambda L, F, g: F.nll_loss(_t(L, _X5, g), L.tensor([1, 0, 4]),
                                             weight=_t(L, _Q[0, :4].tolist() + [0.5], True)),
    "nll_weight_1d": lambda L, F, g: F.nll_loss(_t(L, _X5[0], g), L.tensor(2),
                                                weight=_t(L, _X5[1] ** 2, True)),
    "nll_weight_3d": lambda L, F, g: F.nll_loss(_t(L, _X3D, g), L.zeros(2, 4, dtype=L.int64),
                                                weight=_t(L, _X5[1] ** 2, True)),
    "ce_weight_4d": lambda L, F, g: F.cross_entropy(
        _t(L, _X4D, g), L.ones(2, 3, 3, dtype=L.int64), weight=_t(L, _X5[1] ** 2, True)),
    "ce_weight_smoothing": lambda L, F, g: F.cross_entropy(
        _t(L, _X5, g), L.tensor([1, 0, 4]), weight=_t(L, _X5[1] ** 2, True),
        label_smoothing=0.2),
    "ce_probs_weight": lambda L, F, g: F.cross_entropy(
        _t(L, _X5, g), _t(L, np.full((3, 5), 0.2)), weight=_t(L, _X5[1] ** 2, True)),
    "multi_margin_weight": lambda L, F, g: F.multi_margin_loss(
        _t(L, _X5, g), L.tensor([1, 0, 4]), weight=_t(L, _X5[1] ** 2, True)),
    "multi_margin_bad_p": lambda L, F, g: F.multi_margin_loss(
        _t(L, _X5, g), L.tensor([1, 0, 4]), p=3, weight=_t(L, _X5[1] ** 2, True)),
    "soft_margin_target": lambda L, F, g: F.soft_margin_loss(_t(L, _P, g), _t(L, _SIGN, True)),
    "multilabel_soft_margin_target": lambda L, F, g: F.multilabel_soft_margin_loss(
        _t(L, _P, g), _t(L, (_Q > 0.5) * 1.0, True), weight=_t(L, _Q[0], True)),
    "mse_target": lambda L, F, g: F.mse_loss(_t(L, _P, g), _t(L, _Q, True)),
}


@pytest.mark.parametrize("input_rg", [True, False])
@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_loss_arguments_refused_like_torch(torch, name, input_rg):
    (tl, tf), (el, ef) = _pair(torch)
    expected = _outcome(lambda: LOSS_CASES[name](tl, tf, input_rg))
    got = _outcome(lambda: LOSS_CASES[name](el, ef, input_rg))
    assert got == expected


@pytest.mark.parametrize("name", list(LOSS_CASES))
def test_loss_arguments_accepted_without_grad_mode(torch, name):
    (tl, tf), (el, ef) = _pair(torch)
    with torch.no_grad():
        expected = _outcome(lambda: LOSS_CASES[name](tl, tf, True))
    with ember.no_grad():
        got = _outcome(lambda: LOSS_CASES[name](el, ef, True))
    assert got == expected
    if got[0] == "ok":
        with torch.no_grad(), ember.no_grad():
            assert_close(LOSS_CASES[name](el, ef, True), LOSS_CASES[name](tl, tf, True))


def test_bce_loss_module_weight_requiring_grad(torch):
    _pair(torch)  # skips without ember-nn
    w = np.linspace(0.5, 1.5, 4)
    outs = []
    for L in (torch, ember):
        loss = L.nn.BCELoss(weight=_t(L, w, True))
        outs.append(_outcome(lambda L=L, loss=loss: loss(_t(L, _P, True), _t(L, _Q))))
    assert outs[0][0] == "raised" and outs[1] == outs[0]


# ------------------------------------------------------------------ 2. saved attributes
def _describe(v, L, known):
    """A comparable view of a ``_saved_`` value: tensors by dtype, shape, values,
    requires_grad and which known tensor they are (``is``); others as they are."""
    if isinstance(v, L.Tensor):
        same = [k for k, t in known.items() if v is t]
        vals = np.asarray(v.detach().double().tolist())
        return ("T", str(v.dtype).split(".")[-1], tuple(v.shape), vals.round(10).tolist(),
                v.requires_grad, same)
    return (type(v).__name__, v)


def _inputs(L):
    rng = np.random.default_rng(1)
    x = L.tensor(rng.uniform(0.2, 0.9, (2, 3)), dtype=L.float64, requires_grad=True)
    y = L.tensor(rng.uniform(0.2, 0.9, (2, 3)), dtype=L.float64, requires_grad=True)
    yn = L.tensor(rng.uniform(0.2, 0.9, (2, 3)), dtype=L.float64)
    w = L.tensor(rng.standard_normal((4, 3)), dtype=L.float64, requires_grad=True)
    wn = L.tensor(rng.standard_normal((4, 3)), dtype=L.float64)
    b = L.tensor(rng.standard_normal(4), dtype=L.float64, requires_grad=True)
    return dict(x=x, y=y, yn=yn, w=w, wn=wn, b=b)


# name -> (expression, the _saved_ attributes read)
SAVED_CASES = {
    "mul": (lambda L, F, t: t["x"] * t["y"], ["self", "other"]),
    "mul_one_side": (lambda L, F, t: t["x"] * t["yn"], ["self", "other"]),
    "mul_float": (lambda L, F, t: t["x"] * 2.5, ["self", "other"]),
    "mul_int": (lambda L, F, t: t["x"] * 2, ["other"]),
    "mul_f32_by_float": (lambda L, F, t: t["x"].float() * 2.5, ["other"]),
    "div": (lambda L, F, t: t["x"] / t["y"], ["self", "other"]),
    "div_number": (lambda L, F, t: t["x"] / 4, ["self", "other"]),
    "add_alpha": (lambda L, F, t: L.add(t["x"], t["y"], alpha=2.5), ["alpha"]),
    "add": (lambda L, F, t: t["x"] + t["y"], ["alpha"]),
    "sub_alpha": (lambda L, F, t: L.sub(t["x"], t["y"], alpha=3), ["alpha"]),
    "exp": (lambda L, F, t: t["x"].exp(), ["result"]),
    "log": (lambda L, F, t: t["x"].log(), ["self"]),
    "sin": (lambda L, F, t: t["x"].sin(), ["self"]),
    "cos": (lambda L, F, t: t["x"].cos(), ["self"]),
    "tan": (lambda L, F, t: t["x"].tan(), ["result"]),
    "tanh": (lambda L, F, t: t["x"].tanh(), ["result"]),
    "sigmoid": (lambda L, F, t: t["x"].sigmoid(), ["result"]),
    "sqrt": (lambda L, F, t: t["x"].sqrt(), ["result"]),
    "rsqrt": (lambda L, F, t: t["x"].rsqrt(), ["result"]),
    "reciprocal": (lambda L, F, t: t["x"].reciprocal(), ["result"]),
    "abs": (lambda L, F, t: t["x"].abs(), ["self"]),
    "asin": (lambda L, F, t: t["x"].asin(), ["self"]),
    "atan": (lambda L, F, t: t["x"].atan(), ["self"]),
    "sinh": (lambda L, F, t: t["x"].sinh(), ["self"]),
    "log1p": (lambda L, F, t: t["x"].log1p(), ["self"]),
    "expm1": (lambda L, F, t: t["x"].expm1(), ["result"]),
    "erf": (lambda L, F, t: t["x"].erf(), ["self"]),
    "pow_int": (lambda L, F, t: t["x"].pow(2), ["self", "exponent"]),
    "pow_float": (lambda L, F, t: t["x"] ** 2.5, ["self", "exponent"]),
    "square": (lambda L, F, t: t["x"].square(), ["self", "exponent"]),
    "pow_tensor": (lambda L, F, t: t["x"].pow(t["y"]), ["self", "exponent", "result"]),
    "rpow": (lambda L, F, t: 2.5 ** t["x"], ["self", "exponent", "result"]),
    "sum": (lambda L, F, t: t["x"].sum(), ["self_sym_sizes"]),
    "sum_dim": (lambda L, F, t: t["x"].sum(1, keepdim=True), ["self_sym_sizes", "keepdim"]),
    "mean": (lambda L, F, t: t["x"].mean(), ["self_sym_sizes", "self_sym_numel"]),
    "mean_dim": (lambda L, F, t: t["x"].mean(0), ["self_sym_sizes", "self_sym_numel",
                                                   "keepdim"]),
    "view": (lambda L, F, t: t["x"].view(3, 2), ["self_sym_sizes"]),
    "view_infer": (lambda L, F, t: t["x"].view(-1), ["self_sym_sizes"]),
    "reshape": (lambda L, F, t: t["x"].reshape(6), ["self_sym_sizes"]),
    "expand": (lambda L, F, t: t["x"][:1].expand(4, 3), ["self_sym_sizes"]),
    "squeeze": (lambda L, F, t: t["x"].unsqueeze(0).squeeze(0), ["self_sym_sizes"]),
    "softmax": (lambda L, F, t: t["x"].softmax(1), ["result"]),
    "log_softmax": (lambda L, F, t: t["x"].log_softmax(1), ["result"]),
    "mm": (lambda L, F, t: t["x"].mm(t["w"].t()),
           ["self", "mat2", "self_sym_sizes", "mat2_sym_sizes", "self_sym_strides",
            "mat2_sym_strides"]),
    "mm_weight_const": (lambda L, F, t: t["x"].mm(t["wn"].t()), ["self", "mat2"]),
    "matmul": (lambda L, F, t: t["x"] @ t["w"].t(), ["self", "mat2"]),
    "linear": (lambda L, F, t: F.linear(t["x"], t["w"], t["b"]),
               ["mat1", "mat2", "alpha", "beta", "mat1_sym_sizes", "mat2_sym_sizes",
                "mat1_sym_strides", "mat2_sym_strides"]),
    "linear_input_const": (lambda L, F, t: F.linear(t["yn"], t["w"], t["b"]), ["mat1", "mat2"]),
    "linear_weight_const": (lambda L, F, t: F.linear(t["x"], t["wn"], t["b"]),
                            ["mat1", "mat2"]),
    "linear_no_bias": (lambda L, F, t: F.linear(t["x"], t["w"]),
                       ["self", "mat2", "self_sym_sizes", "mat2_sym_sizes"]),
    "leaky_relu": (lambda L, F, t: F.leaky_relu(t["x"], 0.1), ["self"]),
    "gelu": (lambda L, F, t: F.gelu(t["x"]), ["self"]),
    "silu": (lambda L, F, t: F.silu(t["x"]), ["self"]),
}


@pytest.mark.parametrize("name", list(SAVED_CASES))
def test_saved_attributes_match_torch(torch, name):
    fn, attrs = SAVED_CASES[name]
    seen = []
    for L, FL in _pair(torch, name in _NN_SAVED):
        t = _inputs(L)
        out = fn(L, FL, t)
        node = out.grad_fn
        row = [type(node).__name__]
        for a in attrs:
            v = getattr(node, f"_saved_{a}")
            row.append((a, _describe(v, L, {**t, "out": out})))
            if isinstance(v, L.Tensor) and v.grad_fn is not None:
                row.append(("grad_fn is node", v.grad_fn is node))
        row.append(sorted(set(f"_saved_{a}" for a in attrs) - set(dir(node))))
        seen.append(row)
    assert seen[1] == seen[0]


@pytest.mark.parametrize("name", ["exp", "sin", "mul", "mul_float", "pow_tensor", "sum",
                                  "add_alpha", "mm", "mul_one_side", "softmax"])
def test_saved_attributes_after_backward(torch, name):
    fn, attrs = SAVED_CASES[name]
    # Ember reads strides from the saved tensors: gone after backward (PyTorch keeps them)
    attrs = [a for a in attrs if not a.endswith("strides")]
    seen = []
    for L, FL in _pair(torch, name in _NN_SAVED):
        t = _inputs(L)
        out = fn(L, FL, t)
        node = out.grad_fn
        out.sum().backward(retain_graph=True)
        row = [_describe(getattr(node, f"_saved_{a}"), L, t) for a in attrs]
        out.sum().backward()
        for a in attrs:
            try:
                row.append(_describe(getattr(node, f"_saved_{a}"), L, t))
            except RuntimeError as e:
                row.append(("RuntimeError", str(e)))
        seen.append(row)
    assert seen[1] == seen[0]


def test_saved_tensor_modified_in_place(torch):
    msgs = []
    for L in (torch, ember):
        z = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True).clone()
        s = z.sin()
        z.add_(1)
        with pytest.raises(RuntimeError) as e:
            _ = s.grad_fn._saved_self
        msgs.append(str(e.value).replace("torch.", "ember."))
    assert msgs[1] == msgs[0]


def test_saved_result_rejoins_graph(torch):
    x = ember.tensor([0.5, 1.5], dtype=ember.float64, requires_grad=True)
    y = x.exp()
    r = y.grad_fn._saved_result
    assert r is not y and r.grad_fn is y.grad_fn and r.requires_grad
    (g,) = ember.autograd.grad(r.sum(), x)
    assert_close(g, x.detach().exp())


@pytest.mark.parametrize("attr", ["_saved_nonexistent", "_saved_self", "_raw_saved_alpha",
                                  "_raw_saved_self_sym_sizes", "_raw_saved_nothing"])
def test_unknown_saved_names_raise_attribute_error(torch, attr):
    msgs = []
    for L in (torch, ember):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        node = (x.exp() if "self" in attr and "sizes" not in attr else
                L.add(x, x, alpha=2) if "alpha" in attr else x.sum()).grad_fn
        with pytest.raises(AttributeError) as e:
            getattr(node, attr)
        msgs.append(str(e.value))
    assert msgs[1] == msgs[0]


def test_node_other_attributes_still_raise(torch):
    node = ember.tensor([1.0], requires_grad=True).exp().grad_fn
    with pytest.raises(AttributeError, match="'ExpBackward0' object has no attribute 'foo'"):
        _ = node.foo
    assert not hasattr(node, "_saved_self")
    assert node.next_functions[0][0] is not None  # fused-node display lookup still works


def test_raw_saved_register_hooks(torch):
    logs = []
    for L in (torch, ember):
        log = []
        x = L.tensor([0.3, 1.2, -0.4], dtype=L.float64, requires_grad=True)
        y = x.sin()
        raw = y.grad_fn._raw_saved_self
        raw.register_hooks(lambda t, log=log: (log.append("pack"), t * 2)[1],
                           lambda t, log=log: (log.append("unpack"), t / 2)[1])
        log.append(list(np.round(y.grad_fn._saved_self.tolist(), 10)))
        with pytest.raises(RuntimeError) as e:
            raw.register_hooks(lambda t: t, lambda t: t)
        log.append(str(e.value))
        y.sum().backward()
        log.append(list(np.round(x.grad.tolist(), 10)))
        with pytest.raises(RuntimeError) as e:
            raw.register_hooks(lambda t: t, lambda t: t)
        log.append(str(e.value))
        m = x * x.detach()
        with pytest.raises(RuntimeError) as e:
            m.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
        log.append(str(e.value))
        logs.append(log)
    assert logs[1] == logs[0]


# ------------------------------------------------------------------ 3. bias gradients
BIAS_CASES = {
    "conv1d": (lambda F, x, w, b: F.conv1d(x, w, b, padding=1), [(2, 3, 5), (4, 3, 2), (4,)]),
    "conv2d": (lambda F, x, w, b: F.conv2d(x, w, b, stride=2), [(2, 3, 5, 5), (4, 3, 2, 2),
                                                                 (4,)]),
    "conv2d_groups": (lambda F, x, w, b: F.conv2d(x, w, b, groups=2),
                      [(1, 4, 4, 4), (2, 2, 3, 3), (2,)]),
    "conv3d": (lambda F, x, w, b: F.conv3d(x, w, b), [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2), (2,)]),
    "conv_transpose1d": (lambda F, x, w, b: F.conv_transpose1d(x, w, b),
                         [(2, 3, 5), (3, 4, 2), (4,)]),
    "conv_transpose2d": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2,
                                                               output_padding=1),
                         [(2, 3, 4, 4), (3, 4, 2, 2), (4,)]),
    "conv_transpose3d": (lambda F, x, w, b: F.conv_transpose3d(x, w, b),
                         [(1, 2, 3, 3, 3), (2, 2, 2, 2, 2), (2,)]),
    "linear": (lambda F, x, w, b: F.linear(x, w, b), [(3, 4), (5, 4), (5,)]),
    "linear_3d": (lambda F, x, w, b: F.linear(x, w, b), [(2, 3, 4), (5, 4), (5,)]),
    "layer_norm": (lambda F, x, w, b: F.layer_norm(x, (4,), w, b), [(3, 4), (4,), (4,)]),
    "layer_norm_2d": (lambda F, x, w, b: F.layer_norm(x, (3, 4), w, b),
                      [(2, 3, 4), (3, 4), (3, 4)]),
    "group_norm": (lambda F, x, w, b: F.group_norm(x, 2, w, b), [(3, 4, 5), (4,), (4,)]),
    "batch_norm": (lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   [(3, 4, 5), (4,), (4,)]),
    "batch_norm_eval": (lambda F, x, w, b: F.batch_norm(
        x, x.new_zeros(4), x.new_ones(4) * 2, w, b, training=False), [(3, 4, 5), (4,), (4,)]),
    "instance_norm": (lambda F, x, w, b: F.instance_norm(x, weight=w, bias=b),
                      [(3, 4, 5), (4,), (4,)]),
}


@pytest.mark.parametrize("rgs", [(True, True, True), (True, False, True), (False, True, True),
                                 (False, False, True)])
@pytest.mark.parametrize("v_rg", [True, False])
@pytest.mark.parametrize("name", list(BIAS_CASES))
def test_bias_gradient_requires_grad_under_create_graph(torch, name, v_rg, rgs):
    fn, shapes = BIAS_CASES[name]
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in shapes]
    seen = []
    for L, FL in _pair(torch):
        ins = [L.tensor(a, dtype=L.float64, requires_grad=r) for a, r in zip(arrays, rgs)]
        y = fn(FL, *ins)
        v = L.tensor(np.random.default_rng(3).standard_normal(tuple(y.shape)),
                     dtype=L.float64, requires_grad=v_rg)
        wrt = [t for t in ins if t.requires_grad]
        gs = L.autograd.grad(y, wrt, v, create_graph=True)
        seen.append(([g.requires_grad for g in gs], gs))
        if gs[-1].requires_grad and not v_rg:  # tied to the graph, with no derivative
            (again,) = L.autograd.grad(gs[-1].sum(), wrt[0], allow_unused=True)
            seen[-1] += (again,)
    assert seen[1][0] == seen[0][0]
    for e, t in zip(seen[1][1], seen[0][1]):
        assert_close(e.detach(), t.detach())
    if len(seen[0]) == 3:
        assert (seen[1][2] is None) == (seen[0][2] is None)


def test_bias_gradient_second_order_through_v(torch):
    """With ``v`` requiring grad, the bias gradient's derivative in ``v`` is PyTorch's."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in [(2, 3, 5, 5), (4, 3, 2, 2), (4,)]]
    out = []
    for L, FL in _pair(torch):
        x, w, b = (L.tensor(a, dtype=L.float64, requires_grad=True) for a in arrays)
        y = FL.conv2d(x, w, b)
        v = L.ones(*y.shape, dtype=L.float64, requires_grad=True)
        gb = L.autograd.grad(y, b, v, create_graph=True)[0]
        out.append(L.autograd.grad((gb ** 2).sum(), v)[0])
    assert_close(out[1], out[0])
