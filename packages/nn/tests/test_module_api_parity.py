"""What a program observes of ``nn`` modules besides their numbers, against PyTorch:
reprs of every class and of containers, the Module API (names, state_dict, errors).

Each ``_prog_*`` function runs on ``torch`` and on ``ember`` (see ``_parity_records``).
"""

from __future__ import annotations

import copy
import inspect
import io  # noqa: F401 - used by the programs below
import pickle
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

import ember

pytest.importorskip("ember.nn")
sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _parity_records import attempt as _try  # noqa: E402
from _parity_records import check as _check  # noqa: E402

# ---------------------------------------------------------------- repr of every class
# Constructor arguments per class: defaults first, then non-default options.
_SPECS = {
    "AdaptiveAvgPool1d": ["3", "None"], "AdaptiveAvgPool2d": ["3", "(3, None)"],
    "AdaptiveAvgPool3d": ["(1, 2, 3)"], "AdaptiveMaxPool1d": ["3, return_indices=True"],
    "AdaptiveMaxPool2d": ["(2, 3)"], "AdaptiveMaxPool3d": ["(None, 2, 3)"],
    "AdaptiveLogSoftmaxWithLoss": ["8, 10, [4, 8]", "8, 10, [4], div_value=2., head_bias=True"],
    "AlphaDropout": ["", "0.3, True"], "FeatureAlphaDropout": ["", "0.1, inplace=True"],
    "AvgPool1d": ["3", "3, 2, 1, True, False"],
    "AvgPool2d": ["3", "(2, 3), stride=(1, 2), padding=1, ceil_mode=True, "
                       "count_include_pad=False, divisor_override=2"],
    "AvgPool3d": ["2", "(1, 2, 3), divisor_override=3"],
    "BCELoss": ["", "weight=W, reduction='sum'"], "BCEWithLogitsLoss": ["pos_weight=W"],
    "BatchNorm1d": ["4", "4, eps=1e-3, momentum=None, affine=False, track_running_stats=False"],
    "BatchNorm2d": ["3, momentum=0.3"], "BatchNorm3d": ["4"],
    "Bilinear": ["2, 3, 4", "2, 3, 4, bias=False"], "CELU": ["", "2.0", "1.0, True"],
    "CTCLoss": ["", "blank=1, reduction='sum', zero_infinity=True"], "ChannelShuffle": ["2"],
    "CircularPad1d": ["2", "(1, 2)"], "CircularPad2d": ["(1, 2, 3, 4)"], "CircularPad3d": ["1"],
    "ConstantPad1d": ["2, 0.5"], "ConstantPad2d": ["(1, 2, 3, 4), -1"], "ConstantPad3d": ["1, 2"],
    "Container": ["", "a=nn.ReLU()"],
    "Conv1d": ["3, 8, 3", "3, 6, 5, stride=2, padding='same', groups=3, bias=False, "
                          "padding_mode='circular'", "3, 8, 3, padding='valid'"],
    "Conv2d": ["3, 8, 3", "3, 8, 3, stride=2, padding=1, bias=False, padding_mode='reflect', "
                          "groups=1, dilation=2", "4, 8, (3, 5), stride=(1, 2), padding=(1, 2), "
                          "groups=2", "3, 8, 3, padding_mode='replicate'"],
    "Conv3d": ["3, 8, (1, 2, 3), stride=(2, 1, 1), padding=(0, 1, 1), dilation=2, bias=False"],
    "ConvTranspose1d": ["3, 8, 3, stride=2, padding=1, output_padding=1, bias=False, "
                        "dilation=2"],
    "ConvTranspose2d": ["3, 8, 3", "4, 8, 3, stride=2, padding=1, output_padding=1, groups=2"],
    "ConvTranspose3d": ["3, 8, 2, stride=2, bias=False"],
    "CosineEmbeddingLoss": ["margin=0.5, reduction='sum'"], "CosineSimilarity": ["dim=0"],
    "CrossEntropyLoss": ["", "weight=W, ignore_index=2, label_smoothing=0.1"],
    "CrossMapLRN2d": ["3"], "Dropout": ["", "p=0.3, inplace=True"], "Dropout1d": ["0.1"],
    "Dropout2d": ["0.25, True"], "Dropout3d": [""], "ELU": ["", "alpha=0.5, inplace=True"],
    "Embedding": ["10, 3", "10, 3, padding_idx=0, max_norm=1.0, norm_type=3., "
                           "scale_grad_by_freq=True, sparse=True", "10, 3, padding_idx=-1"],
    "EmbeddingBag": ["10, 3", "10, 3, mode='max', include_last_offset=True, padding_idx=0"],
    "Flatten": ["", "0, -1"], "Fold": ["(4, 5), (2, 2)", "4, 2, dilation=1, padding=1, stride=2"],
    "FractionalMaxPool2d": ["2, output_size=3", "3, output_ratio=(0.5, 0.6)"],
    "FractionalMaxPool3d": ["2, output_ratio=(0.5, 0.5, 0.5)"],
    "GELU": ["", "approximate='tanh'"], "GLU": ["0"],
    "GRU": ["4, 5", "4, 5, 2, batch_first=True, dropout=0.5, bidirectional=True, bias=False"],
    "GRUCell": ["4, 5, bias=False"], "GaussianNLLLoss": ["full=True, eps=1e-5"],
    "GroupNorm": ["2, 4", "2, 4, eps=1e-3, affine=False"], "Hardshrink": ["0.3"],
    "Hardsigmoid": ["True"], "Hardswish": [""], "Hardtanh": ["", "-1, 1, True"],
    "HingeEmbeddingLoss": ["margin=2.0"], "HuberLoss": ["delta=0.5"], "Identity": ["3, foo=4"],
    "InstanceNorm1d": ["4", "4, affine=True, track_running_stats=True"],
    "InstanceNorm2d": ["4, eps=1e-3, momentum=None"], "InstanceNorm3d": ["4"],
    "KLDivLoss": ["reduction='batchmean', log_target=True"], "L1Loss": ["reduction='sum'"],
    "LPPool1d": ["1.5, 3, 2, True"], "LPPool2d": ["2., (2, 3), stride=(1, 2)"],
    "LPPool3d": ["2, 2"],
    "LSTM": ["4, 5", "4, 5, num_layers=2, batch_first=True, dropout=0.5, bidirectional=True, "
                     "proj_size=3"],
    "LSTMCell": ["4, 5, False"],
    "LayerNorm": ["4", "(3, 4), eps=1e-6, elementwise_affine=False", "[4], bias=False"],
    "LazyBatchNorm1d": ["eps=1e-3, affine=False"], "LazyBatchNorm2d": [""],
    "LazyBatchNorm3d": [""], "LazyConv1d": ["8, 3"], "LazyConv2d": ["8, 3, stride=2, bias=False"],
    "LazyConv3d": ["8, 3"], "LazyConvTranspose1d": ["8, 3"],
    "LazyConvTranspose2d": ["8, 3, stride=2"], "LazyConvTranspose3d": ["8, 3"],
    "LazyInstanceNorm1d": [""], "LazyInstanceNorm2d": ["affine=True"],
    "LazyInstanceNorm3d": [""], "LazyLinear": ["5", "5, bias=False"],
    "LeakyReLU": ["", "0.1, True"], "Linear": ["3, 4", "3, 4, bias=False"],
    "LinearCrossEntropyLoss": ["4, 10", "4, 10, bias=False, reduction='sum', ignore_index=3"], "LocalResponseNorm": ["3, alpha=1e-3, beta=0.5, k=2."],
    "LogSoftmax": ["", "dim=1"], "MSELoss": ["reduction='none'"], "MarginRankingLoss": ["0.5"],
    "MaxPool1d": ["3", "3, 2, 1, 2, True, True"],
    "MaxPool2d": ["(2, 3), stride=(2, 1), padding=(1, 1), dilation=(1, 2), ceil_mode=True"],
    "MaxPool3d": ["(1, 2, 2)"], "MaxUnpool1d": ["3, 2, 1"],
    "MaxUnpool2d": ["(2, 3), stride=(2, 1), padding=1"], "MaxUnpool3d": ["2"],
    "Mish": ["True"], "MultiLabelSoftMarginLoss": ["weight=W"],
    "MultiMarginLoss": ["p=2, margin=0.5, weight=W"],
    "MultiheadAttention": ["8, 2", "8, 2, dropout=0.1, bias=False, add_bias_kv=True, "
                                   "add_zero_attn=True, kdim=4, vdim=6, batch_first=True"],
    "NLLLoss": ["weight=W, ignore_index=1"], "NLLLoss2d": [""], "PReLU": ["", "3, 0.1"],
    "PairwiseDistance": ["p=1., eps=1e-3, keepdim=True"], "PixelShuffle": ["2"],
    "PixelUnshuffle": ["3"], "PoissonNLLLoss": ["log_input=False, full=True"],
    "RMSNorm": ["4", "[3, 4], eps=1e-5, elementwise_affine=False"],
    "RNN": ["4, 5", "4, 5, 3, nonlinearity='relu', bias=False, batch_first=True, dropout=0.2, "
                    "bidirectional=True"],
    "RNNCell": ["4, 5, nonlinearity='relu'"], "RReLU": ["", "0.1, 0.3, True"],
    "ReLU": ["", "True"], "ReLU6": ["True"], "ReflectionPad1d": ["(1, 2)"],
    "ReflectionPad2d": ["1"], "ReflectionPad3d": ["1"], "ReplicationPad1d": ["2"],
    "ReplicationPad2d": ["(1, 2, 3, 4)"], "ReplicationPad3d": ["1"], "SELU": ["True"],
    "SiLU": ["True"], "SmoothL1Loss": ["beta=0.5"], "Softmax": ["", "dim=-1"],
    "Softmin": ["0"], "Softplus": ["2, 10"], "Softshrink": ["0.3"],
    "SyncBatchNorm": ["4, momentum=0.2, affine=False"], "Threshold": ["0.1, 20., True"],
    "Transformer": ["d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, "
                    "dim_feedforward=16, dropout=0.0, activation='gelu', batch_first=True, "
                    "norm_first=True, bias=False"],
    "TransformerDecoderLayer": ["8, 2, 16", "8, 2, 16, 0.2, activation='gelu', "
                                "batch_first=True, norm_first=True, layer_norm_eps=1e-6",
                                "8, 2, 16, activation=F.gelu"],
    "TransformerEncoderLayer": ["8, 2, 16", "8, 2, 16, activation=nn.GELU(), bias=False"],
    "TransformerEncoder": ["nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 3, "
                           "norm=nn.LayerNorm(8), enable_nested_tensor=False"],
    "TransformerDecoder": ["nn.TransformerDecoderLayer(8, 2, 16), 2, norm=nn.LayerNorm(8)"],
    "TripletMarginLoss": ["margin=2.0, p=1., swap=True"],
    "TripletMarginWithDistanceLoss": ["distance_function=nn.PairwiseDistance(), margin=0.5"],
    "Unflatten": ["1, (2, 3)", "'x', (('a', 2), ('b', 3))"],
    "Unfold": ["(2, 3), dilation=2, padding=1, stride=(1, 2)"],
    "Upsample": ["size=4", "scale_factor=2.0, mode='bilinear'",
                 "scale_factor=(2., 1.5), mode='bilinear', align_corners=True",
                 "size=(3, 4), mode='nearest-exact'", "(2, 3)"],
    "UpsamplingBilinear2d": ["scale_factor=(2., 3.)"], "UpsamplingNearest2d": ["scale_factor=2.5"],
    "ZeroPad1d": ["2"], "ZeroPad2d": ["(1, 2, 3, 4)"], "ZeroPad3d": ["1"],
    "Sequential": ["", "nn.Linear(2, 3), nn.ReLU()"],
    "ModuleList": ["[nn.Linear(2, 3) for _ in range(3)]"],
    "ModuleDict": ["{'a': nn.ReLU(), 'b': nn.Linear(2, 2)}"],
    "ParameterList": ["[nn.Parameter(torch.zeros(2, 3)), "
                      "nn.Parameter(torch.zeros(3, dtype=torch.float64), requires_grad=False)]"],
    "ParameterDict": ["{'a': nn.Parameter(torch.zeros(2)), "
                      "'b': nn.Parameter(torch.ones(2, dtype=torch.int64), requires_grad=False)}"],
}
_ABSTRACT = {"RNNBase", "RNNCellBase"}


def _module_classes(m: Any) -> list[str]:
    mods = m.nn.modules
    return sorted(n for n in dir(mods) if inspect.isclass(getattr(mods, n))
                  and issubclass(getattr(mods, n), m.nn.Module))


def _build(m: Any, name: str, args: str) -> Any:
    scope = {"cls": getattr(m.nn, name), "nn": m.nn, "F": m.nn.functional, "torch": m,
             "W": m.ones(3)}
    return eval(f"cls({args})", scope)  # noqa: S307 - the argument table above


def test_module_classes_match(torch):
    assert _module_classes(ember) == _module_classes(torch)


@pytest.mark.parametrize("name", sorted(set(_SPECS) | {"Module", "Sigmoid", "Tanh"}))
def test_repr_of_every_module_class(torch, name):
    def prog(m, rec):
        m.manual_seed(0)
        for args in _SPECS.get(name, [""]):
            _try(rec, args, lambda args=args: repr(_build(m, name, args)))
    _check(prog, torch)


@pytest.mark.parametrize("name", sorted(set(_SPECS) - {"Container", "ModuleList", "ModuleDict",
                                                       "ParameterList", "ParameterDict"}))
def test_wrong_call_names_the_class_forward(torch, name):
    """``Conv2d.forward() missing 1 required positional argument``: PyTorch's qualname."""
    def prog(m, rec):
        mod = _build(m, name, _SPECS[name][0])
        for args in ((), tuple(range(7))):
            try:
                mod(*args)
            except TypeError as e:
                rec.append((len(args), str(e)))
            except Exception as e:  # noqa: BLE001 - lazy layers fail on the int inputs
                rec.append((len(args), type(e).__name__))
    if name in ("MultiheadAttention", "TransformerDecoderLayer"):
        pytest.skip("integer inputs fail inside the layer, differently")
    _check(prog, torch)


def test_public_bases_match(torch):
    """``isinstance(nn.CELU(), nn.ELU)`` is False in PyTorch: same public base classes."""
    for name in _module_classes(torch):
        if name in _ABSTRACT:
            continue
        want = [c.__name__ for c in getattr(torch.nn, name).__mro__
                if not c.__name__.startswith("_") and c.__name__ not in ("object", "Generic")]
        have = [c.__name__ for c in getattr(ember.nn, name).__mro__
                if not c.__name__.startswith("_") and c.__name__ not in ("object", "Generic")]
        assert have == want, name


# ---------------------------------------------------------------- repr2
def _prog_containers(torch, rec):
    nn = torch.nn
    torch.manual_seed(0)

    class MyBlock(nn.Module):
        def __init__(self, c=4):
            super().__init__()
            self.conv = nn.Conv2d(c, c, 3, padding=1)
            self.bn = nn.BatchNorm2d(c)
            self.act = nn.ReLU(inplace=True)
            self.w = nn.Parameter(torch.zeros(2))
            self.register_buffer("buf", torch.zeros(3))

        def extra_repr(self):
            return "c=4\nsecond line"

    class Empty(nn.Module):
        pass

    s = nn.Sequential(OrderedDict([("conv1", nn.Conv2d(1, 20, 5)), ("relu1", nn.ReLU()), ("conv2", nn.Conv2d(20, 64, 5))]))
    rec.append(("seq_od", repr(s)))
    ml = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Linear(3, 4), nn.Linear(3, 3)])
    rec.append(("ml_collapse", repr(ml)))
    ml2 = nn.ModuleList([MyBlock() for _ in range(2)] + [MyBlock()])
    rec.append(("ml_blocks", repr(ml2)))
    rec.append(("ml_single", repr(nn.ModuleList([nn.ReLU()]))))
    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Sequential(nn.Linear(2, 2), nn.Tanh()), "c": nn.ModuleList([nn.ReLU(), nn.ReLU()])})
    rec.append(("md", repr(md)))
    rec.append(("myblock", repr(MyBlock())))
    rec.append(("empty", repr(Empty())))
    rec.append(("nested", repr(nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(1, 1))), MyBlock(), ml))))
    pl = nn.ParameterList([nn.Parameter(torch.zeros(2, 3)), nn.Parameter(torch.zeros(3, dtype=torch.float64), requires_grad=False)])
    rec.append(("pl", repr(pl)))
    pl.append(nn.Parameter(torch.zeros(1, 1, 1)))
    rec.append(("pl2", repr(pl)))
    pd = nn.ParameterDict({"a": nn.Parameter(torch.zeros(2)), "b": torch.ones(2, 2, dtype=torch.float16)})
    rec.append(("pd", repr(pd)))
    rec.append(("param", repr(nn.Parameter(torch.arange(6.).reshape(2, 3)))))
    rec.append(("param_nograd", repr(nn.Parameter(torch.arange(3.), requires_grad=False))))
    rec.append(("param_int", repr(nn.Parameter(torch.arange(3), requires_grad=False))))
    rec.append(("param_str", str(nn.Parameter(torch.ones(2)))))
    rec.append(("param_empty", repr(nn.Parameter())))
    rec.append(("param_f64", repr(nn.Parameter(torch.ones(2, dtype=torch.float64)))))
    rec.append(("uninit", repr(nn.UninitializedParameter())))
    rec.append(("uninit_buf", repr(nn.UninitializedBuffer())))
    ll = nn.LazyLinear(4)
    rec.append(("lazy_before", repr(ll)))
    rec.append(("lazy_w", repr(ll.weight)))
    rec.append(("lazy_sd_keys", list(ll.state_dict().keys())))
    ll(torch.ones(2, 3))
    rec.append(("lazy_after", repr(ll)))
    rec.append(("lazy_cls", type(ll).__name__))
    rec.append(("lazy_w_after", type(ll.weight).__name__))
    lc = nn.LazyConv2d(8, 3)
    rec.append(("lazyconv_before", repr(lc)))
    lc(torch.ones(1, 2, 5, 5))
    rec.append(("lazyconv_after", repr(lc)))
    rec.append(("lazyconv_cls", type(lc).__name__))
    lb = nn.LazyBatchNorm2d()
    rec.append(("lazybn_before", repr(lb)))
    lb(torch.ones(2, 3, 2, 2))
    rec.append(("lazybn_after", repr(lb)))
    rec.append(("lazybn_sd", list(lb.state_dict().keys())))
    # sequential ops
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3), nn.Tanh())
    rec.append(("seq_slice", repr(seq[1:3])))
    rec.append(("seq_slice_type", type(seq[1:3]).__name__))
    rec.append(("seq_neg", repr(seq[-1])))
    rec.append(("seq_step", repr(seq[::2])))
    seq.append(nn.Sigmoid())
    seq.insert(1, nn.Dropout())
    seq.extend([nn.ELU()])
    rec.append(("seq_ops", repr(seq)))
    p = seq.pop(2)
    rec.append(("seq_pop", repr(p)))
    rec.append(("seq_after_pop", repr(seq)))
    del seq[0]
    rec.append(("seq_del", repr(seq)))
    del seq[1:3]
    rec.append(("seq_del_slice", repr(seq)))
    rec.append(("seq_add", repr(seq + nn.Sequential(nn.ReLU()))))
    rec.append(("seq_mul", repr(nn.Sequential(nn.ReLU(), nn.Tanh()) * 2)))
    rec.append(("seq_rmul", repr(2 * nn.Sequential(nn.ReLU()))))
    s3 = nn.Sequential(nn.ReLU())
    s3 += nn.Sequential(nn.Tanh())
    rec.append(("seq_iadd", repr(s3)))
    s3 *= 2
    rec.append(("seq_imul", repr(s3)))
    rec.append(("seq_len", len(s3)))
    rec.append(("seq_dir_has_0", "0" in dir(s3)))
    for bad in ("seq[10]", "seq[-10]", "seq['a']", "seq * 0", "seq * -1", "seq * 1.5", "seq + 1", "ml[10]", "ml['a']", "md['zz']", "pl[10]", "pd['zz']", "md[0]",
                "nn.Sequential(OrderedDict([('a', nn.ReLU())]), nn.ReLU())", "nn.ModuleList([1])", "nn.ModuleDict({'a': 1})", "nn.Sequential(1)",
                "seq.insert(10, nn.ReLU())", "seq.pop(10)", "seq.append(3)", "ml.insert(20, nn.ReLU())", "nn.ModuleDict([('a',)])", "nn.ParameterDict({1: 2})", "md.update(3)",
                "nn.Sequential(nn.ReLU())()", "nn.ModuleList()(1)", "ml.append(3)", "ml.extend(3)", "ml + 3", "seq.extend(3)"):
        try:
            r = eval(bad, {"seq": seq, "ml": ml, "md": md, "pl": pl, "pd": pd, "nn": nn, "OrderedDict": OrderedDict})
            rec.append((bad, repr(r)))
        except Exception as e:  # noqa: BLE001
            rec.append((bad, f"{type(e).__name__}: {e}"))
    ml3 = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.ReLU()])
    rec.append(("ml_slice", repr(ml3[1:])))
    rec.append(("ml_slice_type", type(ml3[1:]).__name__))
    ml3.insert(0, nn.Sigmoid())
    ml3.insert(2, nn.ELU())
    rec.append(("ml_ins", repr(ml3)))
    rec.append(("ml_pop", repr(ml3.pop(1))))
    del ml3[0]
    rec.append(("ml_del", repr(ml3)))
    rec.append(("ml_add", repr(ml3 + nn.ModuleList([nn.GELU()]))))
    ml3 += [nn.SELU()]
    rec.append(("ml_iadd", repr(ml3)))
    ml3[0] = nn.Linear(1, 1)
    rec.append(("ml_set", repr(ml3)))
    md2 = nn.ModuleDict()
    md2["x"] = nn.ReLU()
    md2.update({"y": nn.Tanh()})
    md2.update([("z", nn.ELU())])
    rec.append(("md_ops", repr(md2)))
    rec.append(("md_keys", list(md2.keys())))
    rec.append(("md_pop", repr(md2.pop("y"))))
    rec.append(("md_items", [(k, repr(v)) for k, v in md2.items()]))
    rec.append(("md_contains", ("x" in md2, "y" in md2)))
    md2.clear()
    rec.append(("md_clear", repr(md2)))
    pd2 = nn.ParameterDict({"b": torch.ones(1), "a": nn.Parameter(torch.zeros(1))})
    rec.append(("pd_keys", list(pd2.keys())))
    rec.append(("pd_types", [type(v).__name__ for v in pd2.values()]))
    pd2["c"] = "a string"
    rec.append(("pd_str", repr(pd2)))
    rec.append(("pd_get", pd2.get("zz", 5)))
    rec.append(("pd_copy", repr(pd2.copy())))
    rec.append(("pd_setdefault", repr(pd2.setdefault("d", torch.zeros(1)))))
    rec.append(("pd_pop", repr(pd2.pop("d"))))
    rec.append(("pd_or", repr(pd2 | nn.ParameterDict({"e": torch.ones(1)}))))
    rec.append(("pd_fromkeys", repr(pd2.fromkeys(["q", "r"], torch.zeros(1)))))
    pl2 = nn.ParameterList()
    pl2.append(torch.ones(2))
    pl2.extend([torch.zeros(3), 5])
    rec.append(("pl_ops", repr(pl2)))
    rec.append(("pl_types", [type(v).__name__ for v in pl2]))
    rec.append(("pl_names", [n for n, _ in pl2.named_parameters()]))
    rec.append(("pl_slice", repr(pl2[0:2])))
    rec.append(("pl_len", len(pl2)))


# ---------------------------------------------------------------- api
def _prog_module_api(torch, rec):
    nn = torch.nn
    torch.manual_seed(0)

    def E(name, fn):
        _try(rec, name, fn)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 4)
            self.bn = nn.BatchNorm1d(4)
            self.seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
            self.register_buffer("np_buf", torch.ones(2), persistent=False)
            self.register_buffer("p_buf", torch.zeros(2))
            self.register_buffer("none_buf", None)
            self.register_parameter("none_param", None)
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.seq(self.bn(self.fc1(x))) * self.scale

    net = Net()
    rec.append(("named_modules", [n for n, _ in net.named_modules()]))
    rec.append(("named_modules_prefix", [n for n, _ in net.named_modules(prefix="root")]))
    rec.append(("named_parameters", [n for n, _ in net.named_parameters()]))
    rec.append(("named_parameters_prefix", [n for n, _ in net.named_parameters(prefix="p", recurse=False)]))
    rec.append(("named_buffers", [n for n, _ in net.named_buffers()]))
    rec.append(("named_buffers_norec", [n for n, _ in net.named_buffers(recurse=False)]))
    rec.append(("named_children", [n for n, _ in net.named_children()]))
    rec.append(("children", [type(c).__name__ for c in net.children()]))
    rec.append(("modules", [type(c).__name__ for c in net.modules()]))
    sd = net.state_dict()
    rec.append(("sd_keys", list(sd.keys())))
    rec.append(("sd_meta", dict(sd._metadata)))
    rec.append(("sd_type", type(sd).__name__))
    sd2 = net.state_dict(prefix="pre.", keep_vars=True)
    rec.append(("sd_prefix", list(sd2.keys())))
    rec.append(("sd_prefix_meta", dict(sd2._metadata)))
    rec.append(("sd_keep_vars", [type(v).__name__ for v in sd2.values()]))
    rec.append(("sd_no_keep", [type(v).__name__ for v in sd.values()]))
    rec.append(("sd_rg", [v.requires_grad for v in sd.values()]))
    # shared params
    lin = nn.Linear(2, 2)
    shared = nn.Sequential(lin, nn.ReLU(), lin)
    rec.append(("shared_params", [n for n, _ in shared.named_parameters()]))
    rec.append(("shared_params_nodup", [n for n, _ in shared.named_parameters(remove_duplicate=False)]))
    rec.append(("shared_modules", [n for n, _ in shared.named_modules()]))
    rec.append(("shared_modules_nodup", [n for n, _ in shared.named_modules(remove_duplicate=False)]))
    rec.append(("shared_sd", list(shared.state_dict().keys())))
    rec.append(("shared_nparams", len(list(shared.parameters()))))
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    rec.append(("tied_params", [n for n, _ in tied.named_parameters()]))
    rec.append(("tied_sd", list(tied.state_dict().keys())))
    # load_state_dict
    n2 = Net()
    r = n2.load_state_dict(net.state_dict())
    rec.append(("load_ok", repr(r)))
    rec.append(("load_ok_type", type(r).__name__))
    rec.append(("load_ok_fields", (r.missing_keys, r.unexpected_keys)))
    bad = dict(net.state_dict())
    del bad["fc1.weight"]
    bad["extra.key"] = torch.ones(1)
    r = n2.load_state_dict(bad, strict=False)
    rec.append(("load_nonstrict", repr(r)))
    rec.append(("load_nonstrict_str", str(r)))
    E("load_strict", lambda: n2.load_state_dict(bad))
    bad2 = dict(net.state_dict())
    bad2["fc1.weight"] = torch.ones(5, 5)
    bad2["seq.0.bias"] = torch.ones(3)
    E("load_size", lambda: n2.load_state_dict(bad2))
    E("load_size_nonstrict", lambda: n2.load_state_dict(bad2, strict=False))
    bad3 = dict(bad2)
    del bad3["scale"]
    E("load_size_missing", lambda: n2.load_state_dict(bad3))
    E("load_notdict", lambda: n2.load_state_dict([1, 2]))
    bad4 = dict(net.state_dict())
    bad4["fc1.weight"] = 3
    E("load_nontensor", lambda: n2.load_state_dict(bad4))
    E("load_ok_none", lambda: repr(nn.Linear(2, 2).load_state_dict({"weight": torch.ones(2, 2), "bias": torch.ones(2)})))
    # assign
    l3 = nn.Linear(2, 2)
    w = torch.ones(2, 2)
    l3.load_state_dict({"weight": w, "bias": torch.zeros(2)}, assign=True)
    rec.append(("assign_type", type(l3.weight).__name__))
    rec.append(("assign_rg", l3.weight.requires_grad))
    rec.append(("assign_shares", l3.weight.data_ptr() == w.data_ptr()))
    l4 = nn.Linear(2, 2)
    l4.load_state_dict({"weight": w, "bias": torch.zeros(2)})
    rec.append(("noassign_shares", l4.weight.data_ptr() == w.data_ptr()))
    # dtype conversion on load
    l5 = nn.Linear(2, 2)
    l5.load_state_dict({"weight": torch.ones(2, 2, dtype=torch.float64), "bias": torch.zeros(2, dtype=torch.int64)})
    rec.append(("load_dtype", (str(l5.weight.dtype), str(l5.bias.dtype))))
    # hooks on state_dict
    calls = []

    def sd_pre(module, prefix, keep_vars):
        calls.append(("pre", type(module).__name__, prefix, keep_vars))

    def sd_post(module, state_dict, prefix, local_metadata):
        calls.append(("post", type(module).__name__, prefix, sorted(local_metadata.items())))
        state_dict[prefix + "added"] = torch.zeros(1)

    l6 = nn.Linear(2, 2)
    h1 = l6.register_state_dict_pre_hook(sd_pre)
    h2 = l6.register_state_dict_post_hook(sd_post)
    s = nn.Sequential(l6)
    rec.append(("sdhook_keys", list(s.state_dict().keys())))
    rec.append(("sdhook_calls", list(calls)))
    h1.remove()
    h2.remove()
    calls.clear()

    def lpre(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        calls.append(("lpre", type(module).__name__, prefix, sorted(local_metadata.items()), strict))

    def lpost(module, incompatible_keys):
        calls.append(("lpost", type(module).__name__, repr(incompatible_keys)))
        incompatible_keys.missing_keys.clear()

    l6.register_load_state_dict_pre_hook(lpre)
    l6.register_load_state_dict_post_hook(lpost)
    r = s.load_state_dict({"0.weight": torch.ones(2, 2)}, strict=True)
    rec.append(("lhook_res", repr(r)))
    rec.append(("lhook_calls", list(calls)))
    # get_submodule etc
    E("get_submodule", lambda: repr(net.get_submodule("seq.0")))
    E("get_submodule_empty", lambda: type(net.get_submodule("")).__name__)
    E("get_submodule_bad", lambda: net.get_submodule("seq.5"))
    E("get_submodule_bad2", lambda: net.get_submodule("foo.bar"))
    E("get_submodule_notmod", lambda: net.get_submodule("seq.0.weight"))
    E("get_parameter", lambda: tuple(net.get_parameter("seq.0.weight").shape))
    E("get_parameter_bad", lambda: net.get_parameter("seq.0.foo"))
    E("get_parameter_notparam", lambda: net.get_parameter("seq.0"))
    E("get_parameter_buf", lambda: net.get_parameter("p_buf"))
    E("get_buffer", lambda: tuple(net.get_buffer("bn.running_mean").shape))
    E("get_buffer_bad", lambda: net.get_buffer("bn.foo"))
    E("get_buffer_notbuf", lambda: net.get_buffer("bn.weight"))
    E("get_buffer_np", lambda: tuple(net.get_buffer("np_buf").shape))
    E("get_extra_state", lambda: net.get_extra_state())
    E("set_submodule", lambda: (net.set_submodule("seq.1", nn.Tanh()), repr(net.seq))[1])
    E("set_submodule_bad", lambda: net.set_submodule("seq.9", nn.Tanh()))
    E("set_submodule_bad2", lambda: net.set_submodule("zz.a", nn.Tanh()))
    E("set_submodule_strict", lambda: net.set_submodule("newmod", nn.Tanh(), strict=True))
    E("set_submodule_nonstrict", lambda: (net.set_submodule("newmod", nn.Tanh()), [n for n, _ in net.named_children()])[1])
    E("set_submodule_notmod", lambda: net.set_submodule("seq.0", 3))
    E("set_submodule_empty", lambda: net.set_submodule("", nn.Tanh()))
    # add_module / register errors
    m = nn.Module()
    E("add_module_nonmod", lambda: m.add_module("a", 3))
    E("add_module_nonstr", lambda: m.add_module(1, nn.ReLU()))
    E("add_module_dot", lambda: m.add_module("a.b", nn.ReLU()))
    E("add_module_empty", lambda: m.add_module("", nn.ReLU()))
    E("add_module_attr", lambda: m.add_module("training", nn.ReLU()))
    E("add_module_none", lambda: (m.add_module("nn", None), list(m._modules.items()))[1])
    E("register_module", lambda: (m.register_module("r", nn.ReLU()), repr(m))[1])
    E("register_parameter_nonparam", lambda: m.register_parameter("p", torch.ones(1)))
    E("register_parameter_nonstr", lambda: m.register_parameter(1, nn.Parameter(torch.ones(1))))
    E("register_parameter_dot", lambda: m.register_parameter("a.b", nn.Parameter(torch.ones(1))))
    E("register_parameter_empty", lambda: m.register_parameter("", nn.Parameter(torch.ones(1))))
    E("register_parameter_attr", lambda: m.register_parameter("training", nn.Parameter(torch.ones(1))))
    E("register_parameter_nonleaf", lambda: m.register_parameter("q", nn.Parameter(torch.ones(1)) * 2))
    E("register_buffer_nontensor", lambda: m.register_buffer("b", 3))
    E("register_buffer_nonstr", lambda: m.register_buffer(1, torch.ones(1)))
    E("register_buffer_dot", lambda: m.register_buffer("a.b", torch.ones(1)))
    E("register_buffer_empty", lambda: m.register_buffer("", torch.ones(1)))
    E("register_buffer_attr", lambda: m.register_buffer("training", torch.ones(1)))
    E("register_buffer_existing_mod", lambda: m.register_buffer("r", torch.ones(1)))
    E("register_param_existing_mod", lambda: m.register_parameter("r", nn.Parameter(torch.ones(1))))
    E("add_module_existing_attr", lambda: m.add_module("forward", nn.ReLU()))
    # setattr semantics
    m2 = nn.Module()
    m2.p = nn.Parameter(torch.ones(1))
    E("set_tensor_over_param", lambda: setattr(m2, "p", torch.ones(1)))
    E("set_none_over_param", lambda: (setattr(m2, "p", None), list(m2._parameters.items()))[1])
    m2.c = nn.ReLU()
    E("set_int_over_mod", lambda: setattr(m2, "c", 3))
    E("set_none_over_mod", lambda: (setattr(m2, "c", None), list(m2._modules.items()))[1])
    m2.register_buffer("b", torch.ones(1))
    E("set_tensor_over_buf", lambda: (setattr(m2, "b", torch.zeros(2)), list(m2._buffers.keys()), "b" in m2.__dict__)[1:])
    E("set_int_over_buf", lambda: setattr(m2, "b", 3))
    E("set_none_over_buf", lambda: (setattr(m2, "b", None), list(m2._buffers.items()))[1])
    E("set_param_over_plain", lambda: (setattr(m2, "x", 3), setattr(m2, "x", nn.Parameter(torch.ones(1))), "x" in m2.__dict__, list(m2._parameters.keys()))[2:])
    E("set_buffer_cls", lambda: (setattr(m2, "bb", nn.Buffer(torch.ones(1), persistent=False)), list(m2._buffers.keys()), list(m2.state_dict().keys()), type(m2.bb).__name__)[1:])
    E("set_param_before_init", lambda: _before_init(nn, torch))
    E("delattr_param", lambda: (delattr(m2, "x"), list(m2._parameters.keys()))[1])
    E("delattr_buf", lambda: (delattr(m2, "bb"), list(m2._buffers.keys()))[1])
    E("delattr_mod", lambda: (delattr(m2, "c"), list(m2._modules.keys()))[1])
    E("delattr_missing", lambda: delattr(m2, "zzz"))
    E("getattr_missing", lambda: nn.Linear(2, 2).foo)
    E("getattr_missing_sub", lambda: net.fooo)
    E("hasattr", lambda: (hasattr(net, "fc1"), hasattr(net, "zz")))
    E("dir", lambda: [d for d in dir(net) if not d.startswith("_") and d in ("fc1", "bn", "seq", "np_buf", "p_buf", "scale", "training", "none_param", "none_buf")])
    E("dir_lin", lambda: sorted(set(dir(nn.Linear(1, 1))) & {"weight", "bias", "in_features", "out_features", "forward", "training"}))
    # apply, to, types
    seen = []
    net.apply(lambda mm: seen.append(type(mm).__name__))
    rec.append(("apply_order", seen))
    rec.append(("apply_ret", net.apply(lambda mm: None) is net))
    E("half", lambda: [str(p.dtype) for p in nn.Linear(2, 2).half().parameters()])
    E("double", lambda: [str(p.dtype) for p in nn.BatchNorm1d(2).double().state_dict().values()])
    E("bf16", lambda: [str(p.dtype) for p in nn.BatchNorm1d(2).bfloat16().state_dict().values()])
    E("to_dtype", lambda: [str(p.dtype) for p in nn.BatchNorm1d(2).to(torch.float64).state_dict().values()])
    E("to_int", lambda: nn.Linear(2, 2).to(torch.int32))
    E("type_", lambda: [str(p.dtype) for p in nn.Linear(2, 2).type(torch.float64).parameters()])
    E("to_cpu", lambda: [str(p.device) for p in nn.Linear(2, 2).cpu().parameters()])
    E("to_str", lambda: [str(p.device) for p in nn.Linear(2, 2).to("cpu").parameters()])
    E("to_tensor", lambda: [str(p.dtype) for p in nn.Linear(2, 2).to(torch.ones(1, dtype=torch.float64)).parameters()])
    E("to_ret", lambda: (lambda mm: mm.to(torch.float64) is mm)(nn.Linear(2, 2)))
    E("to_param_identity", lambda: (lambda mm: (lambda p: (mm.to(torch.float64), mm.weight is p)[1])(mm.weight))(nn.Linear(2, 2)))
    E("to_empty", lambda: (lambda mm: (tuple(mm.to_empty(device="cpu").weight.shape), type(mm.weight).__name__))(nn.Linear(2, 3)))
    E("float_grad", lambda: _float_grad(nn, torch))
    E("requires_grad_", lambda: [p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters()])
    E("zero_grad", lambda: _zero_grad(nn, torch))
    E("train_eval", lambda: _train_eval(nn, net))
    E("train_bad", lambda: net.train("x"))
    E("extra_repr_lin", lambda: nn.Linear(2, 3).extra_repr())
    E("extra_repr_mod", lambda: nn.Module().extra_repr())
    E("no_forward", lambda: nn.Module()(torch.ones(1)))
    E("no_forward2", lambda: _NoFwd(nn)(torch.ones(1)))
    E("forward_wrong_args", lambda: nn.Linear(2, 2)())
    E("forward_wrong_args2", lambda: nn.ReLU()(1, 2))
    E("deepcopy", lambda: _deepcopy(nn, torch))
    E("pickle", lambda: _pickle(nn, torch))
    E("param_pickle", lambda: (lambda p: (type(p).__name__, p.requires_grad, repr(p)))(pickle.loads(pickle.dumps(nn.Parameter(torch.ones(2), requires_grad=False)))))
    E("param_deepcopy", lambda: (lambda p: (type(p).__name__, p.requires_grad))(copy.deepcopy(nn.Parameter(torch.ones(2)))))
    E("param_nonleaf", lambda: nn.Parameter(torch.ones(2, requires_grad=True) * 2).is_leaf)
    E("param_int", lambda: nn.Parameter(torch.arange(3)))
    E("param_int_nograd", lambda: repr(nn.Parameter(torch.arange(3), requires_grad=False)))
    E("param_list", lambda: nn.Parameter([1.0, 2.0]))
    E("param_isinstance", lambda: (isinstance(nn.Parameter(torch.ones(1)), torch.Tensor), type(nn.Parameter(torch.ones(1)) * 2).__name__, type(nn.Parameter(torch.ones(1)).data).__name__, type(nn.Parameter(torch.ones(1)).detach()).__name__))
    E("param_clone", lambda: type(nn.Parameter(torch.ones(1)).clone()).__name__)
    E("buffer_repr", lambda: repr(nn.Buffer(torch.ones(2))))
    E("buffer_type", lambda: (isinstance(nn.Buffer(torch.ones(1)), torch.Tensor), type(nn.Buffer(torch.ones(1))).__name__))
    E("uninit_shape", lambda: nn.UninitializedParameter().shape)
    E("lazy_sd_load", lambda: _lazy_load(nn, torch))
    E("lazy_has_uninit", lambda: nn.LazyLinear(3).has_uninitialized_params())
    E("lazy_pre_sd", lambda: {k: type(v).__name__ for k, v in nn.LazyLinear(3).state_dict().items()})
    E("lazy_deepcopy", lambda: repr(copy.deepcopy(nn.LazyLinear(3))))




def _NoFwd(nn):
    class Foo(nn.Module):
        pass
    return Foo()


def _before_init(nn, torch):
    class Bad(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(torch.ones(1))
    try:
        Bad()
    except Exception as e:  # noqa: BLE001
        r1 = f"{type(e).__name__}: {e}"

    class Bad2(nn.Module):
        def __init__(self):
            self.p = nn.Linear(1, 1)
    try:
        Bad2()
    except Exception as e:  # noqa: BLE001
        r2 = f"{type(e).__name__}: {e}"

    class Bad3(nn.Module):
        def __init__(self):
            self.register_buffer("b", torch.ones(1))
    try:
        Bad3()
    except Exception as e:  # noqa: BLE001
        r3 = f"{type(e).__name__}: {e}"
    return r1, r2, r3


def _float_grad(nn, torch):
    m = nn.Linear(2, 2)
    m(torch.ones(1, 2)).sum().backward()
    m.double()
    return (m.weight.grad is None, str(m.weight.grad.dtype) if m.weight.grad is not None else None, m.weight.requires_grad, m.weight.is_leaf)


def _zero_grad(nn, torch):
    m = nn.Linear(2, 2)
    m(torch.ones(1, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    a = (m.weight.grad is None, float(m.weight.grad.abs().sum()))
    m.zero_grad()
    return a, m.weight.grad is None


def _train_eval(nn, net):
    r = []
    r.append(net.eval() is net)
    r.append([mm.training for mm in net.modules()])
    net.seq.train()
    r.append([mm.training for mm in net.modules()])
    net.train(False)
    r.append([mm.training for mm in net.modules()])
    net.train()
    r.append([mm.training for mm in net.modules()])
    return r


def _deepcopy(nn, torch):
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m[0].weight.grad = torch.ones(2, 2)
    m[0].register_forward_hook(lambda *a: None)
    c = copy.deepcopy(m)
    return (repr(c), c[0].weight is m[0].weight, c[0].weight.grad is None, type(c[0].weight).__name__, len(c[0]._forward_hooks), list(c.state_dict().keys()),
            c[1].num_batches_tracked.dtype == m[1].num_batches_tracked.dtype)


def _pickle(nn, torch):
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m.register_buffer("nb", torch.ones(1), persistent=False)
    c = pickle.loads(pickle.dumps(m))
    return (repr(c), list(c.state_dict().keys()), [n for n, _ in c.named_buffers()], bool((c[0].weight == m[0].weight).all()), c[0].weight.requires_grad)


def _lazy_load(nn, torch):
    ll = nn.LazyLinear(3)
    ll.load_state_dict({"weight": torch.ones(3, 2), "bias": torch.zeros(3)})
    return (repr(ll), type(ll).__name__, type(ll.weight).__name__, tuple(ll.weight.shape))


def test_containers_and_parameters(torch):
    _check(_prog_containers, torch)


def test_module_api(torch):
    _check(_prog_module_api, torch)
