"""Every layer against PyTorch: same state_dict keys, order and shapes; same outputs, input
gradients, parameter gradients and buffers, in train and eval mode, float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest

import ember

_RNG = np.random.default_rng(1234)


def randn(*shape: int) -> np.ndarray:
    return _RNG.standard_normal(shape)


def rand(*shape: int) -> np.ndarray:
    return _RNG.random(shape)


# (id, factory over an nn namespace, list of input sets, options)
DETERMINISTIC = [
    ("Identity", lambda nn: nn.Identity(3, k=1), [[randn(2, 3)]]),
    ("Linear", lambda nn: nn.Linear(4, 3), [[randn(2, 4)], [randn(4)], [randn(2, 3, 4)]]),
    ("Linear-nobias", lambda nn: nn.Linear(4, 3, bias=False), [[randn(5, 4)]]),
    ("Bilinear", lambda nn: nn.Bilinear(3, 4, 5), [[randn(2, 3), randn(2, 4)]]),
    ("Flatten", lambda nn: nn.Flatten(), [[randn(2, 3, 4)]]),
    ("Flatten-0", lambda nn: nn.Flatten(0, 1), [[randn(2, 3, 4)]]),
    ("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [[randn(4, 6)]]),
    ("Conv1d", lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), [[randn(2, 3, 9)],
                                                                    [randn(3, 7)]]),
    ("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), [[randn(2, 3, 6, 5)]]),
    ("Conv2d-groups", lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), groups=2, bias=False),
     [[randn(2, 4, 7, 6)]]),
    ("Conv2d-dilation", lambda nn: nn.Conv2d(2, 3, 3, dilation=2, padding=2), [[randn(1, 2, 7, 7)]]),
    ("Conv2d-same", lambda nn: nn.Conv2d(2, 3, 4, padding="same"), [[randn(1, 2, 6, 5)]]),
    ("Conv2d-valid", lambda nn: nn.Conv2d(2, 3, 3, padding="valid"), [[randn(1, 2, 6, 5)]]),
    ("Conv2d-reflect", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
     [[randn(2, 2, 5, 5)]]),
    ("Conv2d-replicate", lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2),
                                              padding_mode="replicate"), [[randn(1, 2, 5, 6)]]),
    ("Conv2d-circular", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
     [[randn(1, 2, 5, 5)]]),
    ("Conv3d", lambda nn: nn.Conv3d(2, 3, 2, stride=(1, 2, 1)), [[randn(1, 2, 4, 5, 3)]]),
    ("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2, output_padding=1),
     [[randn(2, 3, 5)]]),
    ("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, groups=2),
     [[randn(2, 4, 4, 3)]]),
    ("ConvTranspose3d", lambda nn: nn.ConvTranspose3d(2, 3, 2, stride=2), [[randn(1, 2, 2, 3, 2)]]),
    ("Fold", lambda nn: nn.Fold((4, 5), 2), [[randn(2, 12, 12)]]),
    ("Unfold", lambda nn: nn.Unfold(2, padding=1, stride=2), [[randn(2, 3, 5, 4)]]),
    ("MaxPool1d", lambda nn: nn.MaxPool1d(3, stride=2, padding=1), [[randn(2, 3, 9)]]),
    ("MaxPool2d", lambda nn: nn.MaxPool2d(2), [[randn(2, 3, 6, 5)]]),
    ("MaxPool2d-ceil", lambda nn: nn.MaxPool2d(3, 2, ceil_mode=True, dilation=1),
     [[randn(1, 2, 7, 6)]]),
    ("MaxPool3d", lambda nn: nn.MaxPool3d(2), [[randn(1, 2, 4, 4, 4)]]),
    ("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2, padding=1), [[randn(2, 3, 8)]]),
    ("AvgPool2d", lambda nn: nn.AvgPool2d(2, count_include_pad=False, padding=1),
     [[randn(2, 3, 5, 5)]]),
    ("AvgPool3d", lambda nn: nn.AvgPool3d(2), [[randn(1, 2, 4, 4, 4)]]),
    ("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [[randn(2, 3, 7)]]),
    ("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), [[randn(2, 3, 5, 7)]]),
    ("AdaptiveAvgPool3d", lambda nn: nn.AdaptiveAvgPool3d(2), [[randn(1, 2, 4, 5, 3)]]),
    ("AdaptiveMaxPool1d", lambda nn: nn.AdaptiveMaxPool1d(3), [[randn(2, 3, 7)]]),
    ("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d((2, 2)), [[randn(2, 3, 5, 6)]]),
    ("LPPool2d", lambda nn: nn.LPPool2d(2, 2), [[rand(2, 3, 4, 4) + 0.1]]),
    ("PixelShuffle", lambda nn: nn.PixelShuffle(2), [[randn(2, 8, 3, 3)]]),
    ("PixelUnshuffle", lambda nn: nn.PixelUnshuffle(2), [[randn(2, 2, 4, 6)]]),
    ("Upsample-nearest", lambda nn: nn.Upsample(scale_factor=2), [[randn(1, 2, 3, 4)]]),
    ("Upsample-bilinear", lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
     [[randn(1, 2, 3, 4)]]),
    ("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(size=5), [[randn(1, 2, 3, 4)]]),
    ("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
     [[randn(1, 2, 3, 4)]]),
    ("BatchNorm1d", lambda nn: nn.BatchNorm1d(3), [[randn(4, 3)], [randn(4, 3, 5)]]),
    ("BatchNorm1d-cumulative", lambda nn: nn.BatchNorm1d(3, momentum=None), [[randn(4, 3)]]),
    ("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), [[randn(2, 3, 4, 4)]]),
    ("BatchNorm2d-noaffine", lambda nn: nn.BatchNorm2d(3, affine=False), [[randn(2, 3, 2, 2)]]),
    ("BatchNorm2d-nostats", lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
     [[randn(2, 3, 2, 2)]]),
    ("BatchNorm3d", lambda nn: nn.BatchNorm3d(2), [[randn(2, 2, 2, 3, 2)]]),
    ("SyncBatchNorm", lambda nn: nn.SyncBatchNorm(3), [[randn(4, 3, 2)]]),
    ("LayerNorm", lambda nn: nn.LayerNorm(4), [[randn(2, 3, 4)]]),
    ("LayerNorm-2d-nobias", lambda nn: nn.LayerNorm((3, 4), bias=False), [[randn(2, 3, 4)]]),
    ("LayerNorm-noaffine", lambda nn: nn.LayerNorm(4, elementwise_affine=False),
     [[randn(3, 4)]]),
    ("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [[randn(2, 4, 3, 3)]]),
    ("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3, affine=True), [[randn(2, 3, 5)],
                                                                      [randn(3, 5)]]),
    ("InstanceNorm2d-stats", lambda nn: nn.InstanceNorm2d(3, track_running_stats=True),
     [[randn(2, 3, 4, 4)]]),
    ("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3), [[randn(2, 5, 3, 3)]]),
    ("RMSNorm", lambda nn: nn.RMSNorm(4), [[randn(2, 3, 4)]]),
    ("RMSNorm-eps", lambda nn: nn.RMSNorm((3, 4), eps=1e-3), [[randn(2, 3, 4)]]),
    ("CosineSimilarity", lambda nn: nn.CosineSimilarity(), [[randn(3, 4), randn(3, 4)]]),
    ("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=3.0), [[randn(3, 4), randn(3, 4)]]),
    ("ChannelShuffle", lambda nn: nn.ChannelShuffle(2), [[randn(2, 4, 3, 3)]]),
    ("PReLU", lambda nn: nn.PReLU(), [[randn(2, 3, 4)]]),
    ("PReLU-channels", lambda nn: nn.PReLU(3, init=0.1), [[randn(2, 3, 4)]]),
    ("Softmax2d", lambda nn: nn.Softmax2d(), [[randn(2, 3, 2, 2)]]),
]

for _name, _cls, _args in [
    ("ZeroPad1d", "ZeroPad1d", ((1, 2),)), ("ZeroPad2d", "ZeroPad2d", (1,)),
    ("ZeroPad3d", "ZeroPad3d", ((1, 0, 2, 1, 0, 1),)),
    ("ConstantPad1d", "ConstantPad1d", (2, 3.5)), ("ConstantPad2d", "ConstantPad2d", ((1, 2, 0, 1), -1.0)),
    ("ConstantPad3d", "ConstantPad3d", (1, 0.5)),
    ("ReflectionPad1d", "ReflectionPad1d", (2,)), ("ReflectionPad2d", "ReflectionPad2d", ((1, 2, 2, 1),)),
    ("ReflectionPad3d", "ReflectionPad3d", (1,)),
    ("ReplicationPad1d", "ReplicationPad1d", ((3, 1),)), ("ReplicationPad2d", "ReplicationPad2d", (2,)),
    ("ReplicationPad3d", "ReplicationPad3d", (1,)),
    ("CircularPad1d", "CircularPad1d", (2,)), ("CircularPad2d", "CircularPad2d", ((1, 2, 1, 0),)),
    ("CircularPad3d", "CircularPad3d", (1,)),
]:
    _dims = int(_cls[-2])
    DETERMINISTIC.append((_name, (lambda c, a: lambda nn: getattr(nn, c)(*a))(_cls, _args),
                          [[randn(*(2, 2) + (4,) * _dims)]]))

ACTIVATIONS = [
    ("ReLU", lambda nn: nn.ReLU()), ("ReLU6", lambda nn: nn.ReLU6()),
    ("LeakyReLU", lambda nn: nn.LeakyReLU(0.2)), ("ELU", lambda nn: nn.ELU(0.7)),
    ("SELU", lambda nn: nn.SELU()), ("CELU", lambda nn: nn.CELU(1.3)),
    ("GELU", lambda nn: nn.GELU()), ("GELU-tanh", lambda nn: nn.GELU("tanh")),
    ("SiLU", lambda nn: nn.SiLU()), ("Mish", lambda nn: nn.Mish()),
    ("Sigmoid", lambda nn: nn.Sigmoid()), ("Hardsigmoid", lambda nn: nn.Hardsigmoid()),
    ("Tanh", lambda nn: nn.Tanh()), ("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.7)),
    ("Hardswish", lambda nn: nn.Hardswish()), ("Softplus", lambda nn: nn.Softplus(2.0, 3.0)),
    ("Softsign", lambda nn: nn.Softsign()), ("Softshrink", lambda nn: nn.Softshrink(0.3)),
    ("Hardshrink", lambda nn: nn.Hardshrink(0.3)), ("Tanhshrink", lambda nn: nn.Tanhshrink()),
    ("Threshold", lambda nn: nn.Threshold(0.1, -2.0)), ("GLU", lambda nn: nn.GLU(1)),
    ("LogSigmoid", lambda nn: nn.LogSigmoid()), ("Softmax", lambda nn: nn.Softmax(1)),
    ("LogSoftmax", lambda nn: nn.LogSoftmax(-1)), ("Softmin", lambda nn: nn.Softmin(0)),
    ("RReLU-eval", lambda nn: nn.RReLU()),
]


def _ids(cases: list) -> list[str]:
    return [c[0] for c in cases]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", DETERMINISTIC, ids=_ids(DETERMINISTIC))
def test_layer(compare_layer, case, dtype):
    _, make, input_sets = case
    for inputs in input_sets:
        compare_layer(make, inputs, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ACTIVATIONS, ids=_ids(ACTIVATIONS))
def test_activation(compare_layer, case, dtype):
    name, make = case
    x = randn(3, 4, 2) * 2
    modes = (False,) if name.startswith("RReLU") else (True, False)
    compare_layer(make, [x], dtype=dtype, modes=modes)


def test_dropout_modules_eval_is_identity_and_train_scales(torch):
    x = ember.ones(200, 50)
    for cls in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout"):
        m = getattr(ember.nn, cls)(p=0.3)
        shape = (20, 10, 50) if cls in ("Dropout1d", "FeatureAlphaDropout") else (
            (20, 10, 5, 10) if cls == "Dropout2d" else
            ((20, 10, 5, 2, 5) if cls == "Dropout3d" else (200, 50)))
        x = ember.ones(*shape)
        m.eval()
        assert m(x) is x or bool((m(x) == x).all())
        m.train()
        y = m(x)
        assert tuple(y.shape) == shape
        if cls == "Dropout":
            kept = (y != 0).float().mean().item()
            assert abs(kept - 0.7) < 0.03
            assert abs(y.sum().item() / x.numel() - 1) < 0.05
    with pytest.raises(ValueError, match="between 0 and 1"):
        ember.nn.Dropout(1.5)


def test_max_unpool(torch):
    x = randn(1, 2, 4, 4)
    tp, ti = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    ep, ei = ember.nn.MaxPool2d(2, return_indices=True)(ember.tensor(x))
    from ember.testing import assert_close

    assert_close(ep, tp)
    assert_close(ei, ti)
    assert_close(ember.nn.MaxUnpool2d(2)(ep, ei), torch.nn.MaxUnpool2d(2)(tp, ti))


def test_embedding(compare_layer):
    idx = np.array([[1, 0, 4], [3, 3, 2]])
    compare_layer(lambda nn: nn.Embedding(5, 3), [idx])
    compare_layer(lambda nn: nn.Embedding(5, 3, padding_idx=0), [idx])
    compare_layer(lambda nn: nn.Embedding(5, 3, padding_idx=-1), [idx], modes=(False,))
    compare_layer(lambda nn: nn.EmbeddingBag(5, 3, mode="sum"), [idx])
    compare_layer(lambda nn: nn.EmbeddingBag(5, 3), [idx], modes=(True,))
    compare_layer(lambda nn: nn.EmbeddingBag(5, 3, mode="max"), [idx.reshape(-1),
                                                                 np.array([0, 2])],
                  modes=(True,))


def test_embedding_padding_row_is_zero_and_from_pretrained():
    e = ember.nn.Embedding(4, 3, padding_idx=2)
    assert e.weight[2].abs().sum().item() == 0
    w = ember.arange(6.0).reshape(3, 2)
    p = ember.nn.Embedding.from_pretrained(w)
    assert not p.weight.requires_grad
    assert p(ember.tensor([2])).tolist() == [[4.0, 5.0]]
    with pytest.raises(AssertionError):
        ember.nn.Embedding(4, 3, padding_idx=4)


LOSSES = [
    ("L1Loss", lambda nn: nn.L1Loss(), lambda: [randn(3, 4), randn(3, 4)]),
    ("MSELoss", lambda nn: nn.MSELoss(reduction="sum"), lambda: [randn(3, 4), randn(3, 4)]),
    ("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5), lambda: [randn(3, 4), randn(3, 4)]),
    ("HuberLoss", lambda nn: nn.HuberLoss(delta=0.7), lambda: [randn(3, 4), randn(3, 4)]),
    ("BCELoss", lambda nn: nn.BCELoss(), lambda: [rand(3, 4) * 0.9 + 0.05, rand(3, 4)]),
    ("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(), lambda: [randn(3, 4), rand(3, 4)]),
    ("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(),
     lambda: [randn(4, 5), np.array([0, 4, 2, 1])]),
    ("CrossEntropyLoss-smooth", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1,
                                                                ignore_index=2),
     lambda: [randn(4, 5, 3), np.array([[0, 4, 2], [2, 2, 1], [3, 0, 0], [1, 1, 1]])]),
    ("CrossEntropyLoss-probs", lambda nn: nn.CrossEntropyLoss(reduction="none"),
     lambda: [randn(3, 4), rand(3, 4)]),
    ("NLLLoss", lambda nn: nn.NLLLoss(reduction="sum"),
     lambda: [randn(4, 5), np.array([0, 4, 2, 1])]),
    ("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean"),
     lambda: [randn(3, 4), rand(3, 4)]),
    ("KLDivLoss-log", lambda nn: nn.KLDivLoss(reduction="sum", log_target=True),
     lambda: [randn(3, 4), randn(3, 4)]),
    ("PoissonNLLLoss", lambda nn: nn.PoissonNLLLoss(), lambda: [randn(3, 4), rand(3, 4) * 3]),
    ("PoissonNLLLoss-full", lambda nn: nn.PoissonNLLLoss(log_input=False, full=True),
     lambda: [rand(3, 4) + 0.5, rand(3, 4) * 3 + 1]),
    ("GaussianNLLLoss", lambda nn: nn.GaussianNLLLoss(),
     lambda: [randn(3, 4), randn(3, 4), rand(3, 4) + 0.1]),
    ("MarginRankingLoss", lambda nn: nn.MarginRankingLoss(0.2),
     lambda: [randn(5), randn(5), np.sign(randn(5))]),
    ("HingeEmbeddingLoss", lambda nn: nn.HingeEmbeddingLoss(),
     lambda: [randn(3, 4), np.sign(randn(3, 4))]),
    ("MultiLabelMarginLoss", lambda nn: nn.MultiLabelMarginLoss(),
     lambda: [randn(2, 4), np.array([[3, 0, -1, 1], [1, 2, 3, -1]])]),
    ("MultiLabelSoftMarginLoss", lambda nn: nn.MultiLabelSoftMarginLoss(),
     lambda: [randn(3, 4), (rand(3, 4) > 0.5).astype("float64")]),
    ("MultiMarginLoss", lambda nn: nn.MultiMarginLoss(p=2, margin=0.5),
     lambda: [randn(4, 5), np.array([0, 4, 2, 1])]),
    ("SoftMarginLoss", lambda nn: nn.SoftMarginLoss(), lambda: [randn(3, 4), np.sign(randn(3, 4))]),
    ("CosineEmbeddingLoss", lambda nn: nn.CosineEmbeddingLoss(0.1),
     lambda: [randn(4, 3), randn(4, 3), np.sign(randn(4))]),
    ("TripletMarginLoss", lambda nn: nn.TripletMarginLoss(swap=True),
     lambda: [randn(4, 3), randn(4, 3), randn(4, 3)]),
    ("TripletMarginWithDistanceLoss", lambda nn: nn.TripletMarginWithDistanceLoss(margin=0.5),
     lambda: [randn(4, 3), randn(4, 3), randn(4, 3)]),
]


@pytest.mark.parametrize("case", LOSSES, ids=_ids(LOSSES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loss(compare_layer, case, dtype):
    name, make, inputs = case
    args = inputs()
    # targets do not require grad, except where both sides are predictions
    two = ("MarginRanking", "CosineEmbedding", "Triplet", "KLDivLoss-log")
    grad_args = (0, 1, 2) if name.startswith(two) else (0, 2) if name == "GaussianNLLLoss" else (0,)
    compare_layer(make, args, dtype=dtype, modes=(True,), grad_args=grad_args)


def test_ctc_loss(torch):
    from ember.testing import assert_close

    t_in = torch.randn(6, 2, 4).log_softmax(2).detach().requires_grad_()
    e_in = ember.tensor(t_in.detach().numpy(), requires_grad=True)
    targets = np.array([[1, 2, 1], [3, 3, 0]])
    il, tl = np.array([6, 5]), np.array([3, 2])
    t = torch.nn.CTCLoss()(t_in, torch.tensor(targets), torch.tensor(il), torch.tensor(tl))
    e = ember.nn.CTCLoss()(e_in, ember.tensor(targets), ember.tensor(il), ember.tensor(tl))
    assert_close(e, t, rtol=1e-5)
    t.backward()
    e.backward()
    assert_close(e_in.grad, t_in.grad, rtol=1e-4, atol=1e-6)


def test_loss_weights_are_buffers(torch):
    w = ember.tensor([1.0, 2.0, 0.5])
    m = ember.nn.CrossEntropyLoss(weight=w)
    assert list(m.state_dict()) == list(torch.nn.CrossEntropyLoss(
        weight=torch.tensor([1.0, 2.0, 0.5])).state_dict()) == ["weight"]
    assert list(ember.nn.BCEWithLogitsLoss().state_dict()) == []
    with pytest.warns(UserWarning, match="size_average and reduce"):
        assert ember.nn.MSELoss(size_average=False).reduction == "sum"


def test_input_checks_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        ember.nn.BatchNorm2d(3)(ember.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        ember.nn.BatchNorm1d(3)(ember.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        ember.nn.InstanceNorm2d(3)(ember.zeros(2, 3))
    with pytest.raises(ValueError, match="to match num_features"):
        ember.nn.InstanceNorm1d(3, affine=True)(ember.zeros(2, 4, 5))
    with pytest.raises(RuntimeError):
        ember.nn.Linear(4, 3)(ember.zeros(2, 5))
    with pytest.raises(RuntimeError):
        ember.nn.Conv2d(3, 4, 3)(ember.zeros(1, 2, 5, 5))
