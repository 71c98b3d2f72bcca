"""Module hooks, more Module API (extra state, versions) and ``nn.utils`` against PyTorch:
the records of each ``_prog_*`` program must match (see ``_parity_records``)."""

from __future__ import annotations

import copy  # noqa: F401 - used by the programs below
import sys
import warnings  # noqa: F401
from collections import OrderedDict  # noqa: F401
from pathlib import Path

import pytest

pytest.importorskip("ember.nn")
sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _parity_records import attempt as _try  # noqa: E402
from _parity_records import check as _check  # noqa: E402


# ---------------------------------------------------------------- api2
def _prog_module_api_more(torch, rec):
    nn = torch.nn
    torch.manual_seed(0)

    def E(name, fn):
        _try(rec, name, fn)

    class X(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.state = {"a": 1}

        def get_extra_state(self):
            return dict(self.state)

        def set_extra_state(self, s):
            self.state = s

        def extra_repr(self):
            return "line1\nline2"

    x = X()
    sd = x.state_dict()
    rec.append(("extra_keys", list(sd.keys())))
    rec.append(("extra_val", sd["_extra_state"]))
    x2 = X()
    sd2 = dict(sd)
    sd2["_extra_state"] = {"b": 2}
    rec.append(("extra_load", repr(x2.load_state_dict(sd2))))
    rec.append(("extra_after", x2.state))
    E("extra_missing", lambda: x2.load_state_dict({"lin.weight": torch.ones(1, 1), "lin.bias": torch.ones(1)}))
    rec.append(("extra_repr_multi", repr(x)))

    class Y(nn.Module):
        def extra_repr(self):
            return "a=1\nb=2"
    rec.append(("extra_repr_nochild", repr(Y())))

    class Z(nn.Module):
        def extra_repr(self):
            return ""
    rec.append(("extra_repr_empty", repr(Z())))
    # versions
    rec.append(("bn_version", nn.BatchNorm1d._version))
    rec.append(("mod_version", nn.Module._version))
    bn = nn.BatchNorm1d(2)
    rec.append(("bn_meta", {k: dict(v) for k, v in bn.state_dict()._metadata.items()}))
    s = nn.Sequential(OrderedDict(a=nn.Linear(1, 1), b=nn.BatchNorm1d(1)))
    rec.append(("seq_meta", {k: dict(v) for k, v in s.state_dict()._metadata.items()}))
    old = s.state_dict()
    del old["b.num_batches_tracked"]
    old._metadata["b"]["version"] = 1
    s2 = nn.Sequential(OrderedDict(a=nn.Linear(1, 1), b=nn.BatchNorm1d(1)))
    rec.append(("bn_old_load", repr(s2.load_state_dict(old))))
    rec.append(("bn_old_nbt", s2.b.num_batches_tracked))
    old2 = s.state_dict()
    del old2["b.num_batches_tracked"]
    E("bn_new_missing", lambda: s2.load_state_dict(old2))
    # deprecated positional destination
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d = OrderedDict()
        r = nn.Linear(1, 1).state_dict(d, "p.")
        rec.append(("sd_positional", (list(r.keys()), r is d, [str(x.message).replace("torch", "ember") for x in w])))
    d = {}
    r = nn.Linear(1, 1).state_dict(destination=d)
    rec.append(("sd_dest_dict", (r is d, type(r).__name__, hasattr(r, "_metadata"))))
    # half keeps int buffers
    bn = nn.BatchNorm1d(2).half()
    rec.append(("half_bn", [str(v.dtype) for v in bn.state_dict().values()]))
    rec.append(("bf16_param_repr", repr(nn.Linear(1, 2).bfloat16().bias.detach() * 0)))
    rec.append(("f16_param_repr", repr(nn.Parameter(torch.ones(2, dtype=torch.float16)))))
    # share_memory / __setstate__ / cpu returns
    lin1 = nn.Linear(1, 1)
    rec.append(("share_memory", lin1.share_memory() is lin1))
    rec.append(("ipu_xpu", [hasattr(lin1, a) for a in ("cuda", "xpu", "ipu", "mtia", "compile", "register_module", "set_extra_state", "get_extra_state", "_apply", "_named_members", "_load_from_state_dict", "_save_to_state_dict", "_get_name", "_call_impl", "_slow_forward", "_version", "dump_patches", "call_super_init")]))
    rec.append(("get_name", lin1._get_name()))
    rec.append(("dump_patches", nn.Module.dump_patches))
    # named_parameters on containers
    pl = nn.ParameterList([nn.Parameter(torch.ones(1)), nn.Parameter(torch.ones(2))])
    rec.append(("pl_named", [n for n, _ in pl.named_parameters()]))
    pd = nn.ParameterDict({"x": nn.Parameter(torch.ones(1))})
    rec.append(("pd_named", [n for n, _ in pd.named_parameters()]))
    rec.append(("pd_sd", list(nn.Sequential(nn.Linear(1, 1)).state_dict().keys())))
    # zero_grad shared / buffers
    lin = nn.Linear(2, 2)
    lin.weight.grad = torch.ones(2, 2)
    lin.zero_grad()
    rec.append(("zero_grad_none", lin.weight.grad is None))
    # modules with bias=False registers None
    rec.append(("nobias", (nn.Linear(1, 1, bias=False).bias, list(nn.Linear(1, 1, bias=False)._parameters.keys()))))
    rec.append(("bn_noaffine", (list(nn.BatchNorm1d(2, affine=False)._parameters.keys()), list(nn.BatchNorm1d(2, track_running_stats=False)._buffers.keys()))))
    rec.append(("ln_nobias", list(nn.LayerNorm(2, bias=False)._parameters.keys())))
    rec.append(("mha_params", [n for n, _ in nn.MultiheadAttention(4, 2, kdim=3, vdim=5).named_parameters()]))
    rec.append(("mha_params2", [n for n, _ in nn.MultiheadAttention(4, 2, add_bias_kv=True).named_parameters()]))
    rec.append(("lstm_params", [n for n, _ in nn.LSTM(2, 3, num_layers=2, bidirectional=True, proj_size=2).named_parameters()]))
    rec.append(("gru_params", [n for n, _ in nn.GRU(2, 3, bias=False).named_parameters()]))
    rec.append(("tel_params", [n for n, _ in nn.TransformerEncoderLayer(4, 2, 8).named_parameters()]))
    rec.append(("tr_modules", [n for n, _ in nn.Transformer(4, 2, 1, 1, 8).named_modules()]))
    rec.append(("emb_bag", [n for n, _ in nn.EmbeddingBag(3, 2).named_parameters()]))
    rec.append(("prelu", [n for n, _ in nn.PReLU(3).named_parameters()]))
    rec.append(("alsm", [n for n, _ in nn.AdaptiveLogSoftmaxWithLoss(4, 10, [4, 8]).named_parameters()]))
    rec.append(("bilinear", [n for n, _ in nn.Bilinear(1, 2, 3).named_parameters()]))
    rec.append(("rnn_flat", getattr(nn.RNN(1, 2), "_flat_weights_names", None)))
    rec.append(("rnn_all_weights", [[tuple(w.shape) for w in ws] for ws in nn.LSTM(1, 2, 2).all_weights]))
    rec.append(("lstm_attrs", [getattr(nn.LSTM(1, 2), a, "MISSING") for a in ("mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size")]))
    rec.append(("conv_attrs", [getattr(nn.Conv2d(2, 4, 3, padding="same"), a, "MISSING") for a in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "transposed", "output_padding", "groups", "padding_mode", "_reversed_padding_repeated_twice")]))
    rec.append(("convT_attrs", [getattr(nn.ConvTranspose2d(2, 4, 3, stride=2), a, "MISSING") for a in ("kernel_size", "stride", "padding", "output_padding", "transposed")]))
    rec.append(("pool_attrs", [getattr(nn.MaxPool2d(3), a, "MISSING") for a in ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")]))
    rec.append(("avgpool_attrs", [getattr(nn.AvgPool2d(3), a, "MISSING") for a in ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override")]))
    rec.append(("bn_attrs", [getattr(nn.BatchNorm2d(3), a, "MISSING") for a in ("num_features", "eps", "momentum", "affine", "track_running_stats")]))
    rec.append(("ln_attrs", [getattr(nn.LayerNorm(3), a, "MISSING") for a in ("normalized_shape", "eps", "elementwise_affine")]))
    rec.append(("emb_attrs", [getattr(nn.Embedding(3, 2, padding_idx=-1), a, "MISSING") for a in ("num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type", "scale_grad_by_freq", "sparse")]))
    rec.append(("mha_attrs", [getattr(nn.MultiheadAttention(4, 2, kdim=3), a, "MISSING") for a in ("embed_dim", "kdim", "vdim", "_qkv_same_embed_dim", "num_heads", "dropout", "batch_first", "head_dim", "in_proj_weight", "bias_k")][:8]))
    rec.append(("up_attrs", [getattr(nn.Upsample(scale_factor=2), a, "MISSING") for a in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")]))
    rec.append(("loss_attrs", [getattr(nn.CrossEntropyLoss(), a, "MISSING") for a in ("reduction", "ignore_index", "label_smoothing", "weight")]))
    rec.append(("loss_buffers", list(nn.CrossEntropyLoss(weight=torch.ones(2)).state_dict().keys())))
    rec.append(("constants", [getattr(c, "__constants__", None) for c in (nn.Linear, nn.Conv2d, nn.BatchNorm2d, nn.LayerNorm, nn.Dropout, nn.ReLU, nn.LSTM, nn.Embedding)]))


# ---------------------------------------------------------------- hooks
def _prog_hooks(torch, rec):
    nn = torch.nn
    torch.manual_seed(0)
    log = []

    def E(name, fn):
        _try(rec, name, fn)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x, scale=1.0):
            return self.lin(x) * scale

    m = M()
    h1 = m.register_forward_pre_hook(lambda mod, args: log.append(("pre", type(mod).__name__, len(args))))
    h2 = m.register_forward_pre_hook(lambda mod, args, kwargs: (log.append(("prekw", sorted(kwargs))), (args, {**kwargs, "scale": 2.0}))[1], with_kwargs=True)
    h3 = m.register_forward_hook(lambda mod, args, out: log.append(("fwd", len(args))))
    h4 = m.register_forward_hook(lambda mod, args, kwargs, out: (log.append(("fwdkw", sorted(kwargs))), out + 1)[1], with_kwargs=True)
    h5 = m.register_forward_hook(lambda mod, args, out: log.append(("first",)), prepend=True)
    h6 = m.register_forward_pre_hook(lambda mod, args: log.append(("prefirst",)), prepend=True)
    x = torch.ones(1, 2)
    y = m(x, scale=3.0)
    rec.append(("y", y))
    rec.append(("log", list(log)))
    rec.append(("handle_ids", type(h1).__name__))
    rec.append(("hooks_dict", [type(v).__name__ for v in m._forward_hooks.values()]))
    rec.append(("hooks_kw", list(m._forward_hooks_with_kwargs.keys()) == [h4.id]))
    for h in (h1, h2, h3, h4, h5, h6):
        h.remove()
    log.clear()
    # hook modifying input / output
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    m.register_forward_pre_hook(lambda mod, args: args[0] * 10)  # single value -> wrapped
    rec.append(("pre_mod", m(x)))
    m2 = nn.Linear(2, 2)

    class Boom(Exception):
        pass

    def bad_fwd(mod, inp):
        raise Boom("x")
    m2.register_forward_pre_hook(bad_fwd)
    m2.register_forward_hook(lambda mod, a, o: log.append("always"), always_call=True)
    E("always_call", lambda: m2(x))
    rec.append(("always_log", list(log)))
    log.clear()
    # backward hooks
    m3 = nn.Linear(2, 3)
    m3.register_full_backward_pre_hook(lambda mod, gout: log.append(("bpre", [tuple(g.shape) for g in gout])))
    m3.register_full_backward_hook(lambda mod, gin, gout: log.append(("bwd", [None if g is None else tuple(g.shape) for g in gin], [tuple(g.shape) for g in gout])))
    xi = torch.ones(4, 2, requires_grad=True)
    m3(xi).sum().backward()
    rec.append(("bwd_log", list(log)))
    rec.append(("xi_grad", xi.grad))
    log.clear()
    m3b = nn.Linear(2, 3)
    m3b.register_full_backward_hook(lambda mod, gin, gout: (gin[0] * 2,))
    xi2 = torch.ones(4, 2, requires_grad=True)
    m3b(xi2).sum().backward()
    rec.append(("bwd_mod_grad", xi2.grad))
    m3c = nn.Linear(2, 3)
    m3c.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 3,))
    xi3 = torch.ones(4, 2, requires_grad=True)
    m3c(xi3).sum().backward()
    rec.append(("bwd_pre_mod_grad", xi3.grad))
    rec.append(("bwd_pre_mod_wgrad", m3c.weight.grad))
    # no input requires grad
    m4 = nn.Linear(2, 3)
    m4.register_full_backward_hook(lambda mod, gin, gout: log.append(("bwd4", gin)))
    m4(torch.ones(1, 2)).sum().backward()
    rec.append(("bwd_noinput_log", [(a, tuple(b)) for a, b in log]))
    log.clear()
    # global hooks
    mm = torch.nn.modules.module
    g1 = mm.register_module_forward_pre_hook(lambda mod, args: log.append(("gpre", type(mod).__name__)))
    g2 = mm.register_module_forward_hook(lambda mod, args, out: log.append(("gfwd", type(mod).__name__)))
    g3 = mm.register_module_full_backward_hook(lambda mod, gin, gout: log.append(("gbwd", type(mod).__name__)))
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    s(torch.ones(1, 2, requires_grad=True)).sum().backward()
    g1.remove(), g2.remove(), g3.remove()
    rec.append(("global_log", list(log)))
    log.clear()
    g4 = mm.register_module_buffer_registration_hook(lambda mod, name, buf: log.append(("buf", name)))
    g5 = mm.register_module_module_registration_hook(lambda mod, name, sub: log.append(("mod", name)))
    g6 = mm.register_module_parameter_registration_hook(lambda mod, name, p: log.append(("par", name)))
    nn.BatchNorm1d(2)
    g4.remove(), g5.remove(), g6.remove()
    rec.append(("reg_log", list(log)))
    log.clear()
    # state_dict hook variants
    lin1 = nn.Linear(2, 2)
    lin1._register_state_dict_hook(lambda mod, sd, prefix, meta: log.append(("old_sd_hook", prefix)))
    lin1.state_dict(prefix="a.")
    rec.append(("old_sd_log", list(log)))
    # hooks deepcopy / pickle
    c = copy.deepcopy(m3)
    rec.append(("deepcopy_hooks", (len(c._backward_hooks), len(c._forward_hooks))))
    # handle context manager
    with m.register_forward_hook(lambda *a: log.append("ctx")):
        m(x)
    m(x)
    rec.append(("ctx_log", log.count("ctx")))
    # hook returning wrong
    m5 = nn.Linear(2, 2)
    m5.register_full_backward_hook(lambda mod, gin, gout: (gin[0], gin[0]))
    E("bad_bwd_hook", lambda: m5(torch.ones(1, 2, requires_grad=True)).sum().backward())
    # forward hook returning tuple output
    m7 = nn.LSTM(2, 3)
    m7.register_forward_hook(lambda mod, a, o: log.append(("lstm", type(o).__name__, len(o))))
    m7(torch.ones(1, 1, 2))
    rec.append(("lstm_log", log[-1]))
    # _forward_hooks order / ids
    m8 = nn.Linear(1, 1)
    ha = m8.register_forward_hook(lambda *a: None)
    hb = m8.register_forward_hook(lambda *a: None)
    rec.append(("hook_id_diff", hb.id - ha.id))


# ---------------------------------------------------------------- utils
def _prog_utils(torch, rec):
    nn = torch.nn
    U = nn.utils
    torch.manual_seed(0)

    def E(name, fn):
        _try(rec, name, fn)

    def params(dtype=torch.float32):
        ps = [nn.Parameter(torch.arange(6., dtype=dtype).reshape(2, 3)), nn.Parameter(torch.tensor([-3., 4.], dtype=dtype))]
        for p in ps:
            p.grad = p.detach() * 1.5
        return ps

    for nt in (2, 2.0, 1, "inf", float("inf"), 3.5, 0, -float("inf")):
        for fe in (None, False, True):
            ps = params()
            nt2 = float(nt) if nt == "inf" else nt
            E(f"clip_{nt}_{fe}", lambda ps=ps, nt2=nt2, fe=fe: (U.clip_grad_norm_(ps, 1.0, norm_type=nt2, foreach=fe), [p.grad for p in ps]))
    ps = params(torch.float64)
    E("clip_f64", lambda: (lambda r: (r, str(r.dtype)))(U.clip_grad_norm_(ps, 100.0)))
    E("clip_single_tensor", lambda: U.clip_grad_norm_(params()[0], 1.0))
    E("clip_empty", lambda: U.clip_grad_norm_([], 1.0))
    E("clip_nograd", lambda: U.clip_grad_norm_([nn.Parameter(torch.ones(2))], 1.0))
    ps = params()
    ps[0].grad[0, 0] = float("nan")
    E("clip_nan", lambda: U.clip_grad_norm_(ps, 1.0))
    ps = params()
    ps[0].grad[0, 0] = float("inf")
    E("clip_inf_err", lambda: U.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True))
    E("clip_deprecated", lambda: U.clip_grad_norm(params(), 1.0))
    E("clip_int_maxnorm", lambda: U.clip_grad_norm_(params(), 1))
    for cv in (0.5, 2, 10.0):
        for fe in (None, True, False):
            ps = params()
            E(f"clipv_{cv}_{fe}", lambda ps=ps, cv=cv, fe=fe: (U.clip_grad_value_(ps, cv, foreach=fe), [p.grad for p in ps]))
    ps = params()
    E("get_total_norm", lambda: U.get_total_norm([p.grad for p in ps], norm_type=2.0))
    E("get_total_norm_inf", lambda: U.get_total_norm([p.grad for p in ps], norm_type="inf"))
    E("get_total_norm_single", lambda: U.get_total_norm(ps[0].grad))
    E("get_total_norm_empty", lambda: U.get_total_norm([]))
    E("clip_with_norm", lambda: (U.clip_grads_with_norm_(ps, 1.0, torch.tensor(10.0)), [p.grad for p in ps]))
    # params <-> vector
    lin = nn.Linear(3, 2)
    v = U.parameters_to_vector(lin.parameters())
    rec.append(("p2v", (tuple(v.shape), v.requires_grad, type(v.grad_fn).__name__ if v.grad_fn else None)))
    U.vector_to_parameters(torch.arange(8.), lin.parameters())
    rec.append(("v2p", [p.detach() for p in lin.parameters()]))
    rec.append(("v2p_types", [type(p).__name__ for p in lin.parameters()]))
    E("v2p_bad", lambda: U.vector_to_parameters([1.0], lin.parameters()))
    E("v2p_short", lambda: U.vector_to_parameters(torch.arange(5.), lin.parameters()))
    # weight_norm old
    wn = U.weight_norm(nn.Linear(3, 2))
    rec.append(("wn_repr", repr(wn)))
    rec.append(("wn_sd", list(wn.state_dict().keys())))
    rec.append(("wn_params", [n for n, _ in wn.named_parameters()]))
    rec.append(("wn_g", wn.weight_g))
    rec.append(("wn_hooks", [type(h).__name__ for h in wn._forward_pre_hooks.values()]))
    wn2 = U.weight_norm(nn.Conv2d(2, 4, 3), name="weight", dim=None)
    rec.append(("wn_dimnone_g", wn2.weight_g))
    E("wn_twice", lambda: U.weight_norm(wn))
    U.remove_weight_norm(wn)
    rec.append(("wn_removed_sd", list(wn.state_dict().keys())))
    E("wn_remove_twice", lambda: U.remove_weight_norm(wn))
    sn = U.spectral_norm(nn.Linear(3, 4))
    rec.append(("sn_sd", list(sn.state_dict().keys())))
    rec.append(("sn_params", [n for n, _ in sn.named_parameters()]))
    rec.append(("sn_buffers", [n for n, _ in sn.named_buffers()]))
    rec.append(("sn_repr", repr(sn)))
    rec.append(("sn_meta", {k: dict(v) for k, v in sn.state_dict()._metadata.items()}))
    U.remove_spectral_norm(sn)
    rec.append(("sn_removed", list(sn.state_dict().keys())))
    E("sn_remove_twice", lambda: U.remove_spectral_norm(sn))
    # parametrizations
    P = U.parametrizations
    pw = P.weight_norm(nn.Linear(3, 2))
    rec.append(("pwn_repr", repr(pw)))
    rec.append(("pwn_sd", list(pw.state_dict().keys())))
    rec.append(("pwn_params", [n for n, _ in pw.named_parameters()]))
    rec.append(("pwn_cls", type(pw).__name__))
    rec.append(("pwn_modules", [n for n, _ in pw.named_modules()]))
    rec.append(("pwn_is_param", (U.parametrize.is_parametrized(pw), U.parametrize.is_parametrized(pw, "bias"))))
    psn = P.spectral_norm(nn.Linear(3, 4))
    rec.append(("psn_repr", repr(psn)))
    rec.append(("psn_sd", list(psn.state_dict().keys())))
    rec.append(("psn_buffers", [n for n, _ in psn.named_buffers()]))
    po = P.orthogonal(nn.Linear(3, 3))
    rec.append(("porth_repr", repr(po)))
    rec.append(("porth_sd", list(po.state_dict().keys())))
    U.parametrize.remove_parametrizations(pw, "weight")
    rec.append(("pwn_removed", (repr(pw), type(pw).__name__, list(pw.state_dict().keys()))))
    E("premove_bad", lambda: U.parametrize.remove_parametrizations(pw, "weight"))

    class Sym(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)
    lsym = nn.Linear(3, 3)
    U.parametrize.register_parametrization(lsym, "weight", Sym())
    rec.append(("sym_repr", repr(lsym)))
    rec.append(("sym_sd", list(lsym.state_dict().keys())))
    rec.append(("sym_param_list", repr(lsym.parametrizations)))
    rec.append(("sym_plist_type", type(lsym.parametrizations.weight).__name__))
    with U.parametrize.cached():
        rec.append(("cached", lsym.weight is lsym.weight))
    # rnn utils
    R = U.rnn
    seqs = [torch.arange(1., 4.), torch.arange(1., 3.), torch.tensor([7.])]
    padded = R.pad_sequence(seqs)
    rec.append(("pad_seq", padded))
    rec.append(("pad_seq_bf", R.pad_sequence(seqs, batch_first=True, padding_value=-1)))
    E("pad_seq_left", lambda: R.pad_sequence(seqs, batch_first=True, padding_side="left"))
    E("pad_seq_bad_side", lambda: R.pad_sequence(seqs, padding_side="middle"))
    packed = R.pack_padded_sequence(padded, [3, 2, 1])
    rec.append(("packed_repr", repr(packed)))
    rec.append(("packed_fields", (packed.data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)))
    rec.append(("packed_type", (type(packed).__name__, packed._fields, isinstance(packed, tuple), len(packed))))
    p2 = R.pack_padded_sequence(padded, torch.tensor([2, 3, 1]), enforce_sorted=False)
    rec.append(("packed_unsorted_repr", repr(p2)))
    out, lens = R.pad_packed_sequence(p2)
    rec.append(("unpacked", (out, lens)))
    out, lens = R.pad_packed_sequence(p2, batch_first=True, padding_value=9., total_length=5)
    rec.append(("unpacked_bf", (out, lens)))
    E("unpack_total_short", lambda: R.pad_packed_sequence(p2, total_length=1))
    E("pack_unsorted_err", lambda: R.pack_padded_sequence(padded, [1, 2, 3]))
    E("pack_zero_len", lambda: R.pack_padded_sequence(padded, [3, 2, 0]))
    ps_ = R.pack_sequence(seqs)
    rec.append(("pack_sequence", repr(ps_)))
    ps2 = R.pack_sequence([seqs[1], seqs[0]], enforce_sorted=False)
    rec.append(("pack_sequence_unsorted", repr(ps2)))
    rec.append(("unpack_sequence", R.unpack_sequence(ps2)))
    rec.append(("unpad_sequence", R.unpad_sequence(R.pad_sequence(seqs, batch_first=True), torch.tensor([3, 2, 1]), batch_first=True)))
    rec.append(("packed_to", repr(ps_.to(torch.float64))))
    rec.append(("packed_double", str(ps_.double().data.dtype)))
    rec.append(("packed_is_cuda", ps_.is_cuda))
    rec.append(("packed_is_pinned", ps_.is_pinned()))
    lstm = nn.LSTM(1, 2)
    o, (h, c) = lstm(R.pack_sequence([s.unsqueeze(-1) for s in seqs]))
    rec.append(("lstm_packed_out", (type(o).__name__, tuple(o.data.shape), o.batch_sizes)))
    # fuse
    conv = nn.Conv2d(2, 3, 3).eval()
    bn = nn.BatchNorm2d(3).eval()
    bn.running_mean.fill_(0.5)
    bn.running_var.fill_(2.0)
    fused = U.fuse_conv_bn_eval(conv, bn)
    rec.append(("fused_repr", repr(fused)))
    rec.append(("fused_w", fused.weight))
    rec.append(("fused_b", fused.bias))
    rec.append(("fused_types", (type(fused.weight).__name__, fused.weight.requires_grad)))
    E("fuse_train", lambda: U.fuse_conv_bn_eval(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)))
    lf = U.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(3).eval())
    rec.append(("fuse_linear", repr(lf)))
    # functional_call
    lin2 = nn.Linear(2, 2)
    w = torch.ones(2, 2)
    out = torch.func.functional_call(lin2, {"weight": w, "bias": torch.zeros(2)}, (torch.ones(1, 2),))
    rec.append(("fcall", out))
    out = U.stateless.functional_call(lin2, {"weight": w}, torch.ones(1, 2))
    rec.append(("fcall_partial", out))
    E("fcall_bad_key", lambda: U.stateless.functional_call(lin2, {"foo": w}, torch.ones(1, 2)))
    E("fcall_strict", lambda: U.stateless.functional_call(lin2, {"weight": w}, torch.ones(1, 2), strict=True))
    rec.append(("fcall_restored", lin2.weight.requires_grad and type(lin2.weight).__name__))
    # memory format
    cm = U.convert_conv2d_weight_memory_format(nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU()), torch.channels_last)
    rec.append(("mf", cm[0].weight.is_contiguous(memory_format=torch.channels_last)))
    # skip_init
    E("skip_init", lambda: repr(U.skip_init(nn.Linear, 2, 3)))


def test_module_api_more(torch):
    _check(_prog_module_api_more, torch)


def test_hooks(torch):
    _check(_prog_hooks, torch)


def test_nn_utils(torch):
    _check(_prog_utils, torch)
