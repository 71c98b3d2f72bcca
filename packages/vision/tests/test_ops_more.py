"""ember.vision.ops' deformable convolution, position-sensitive RoI pooling, DropBlock, feature
pyramid network and the loss submodules against torchvision.ops: values, gradients (against
torchvision's and by finite differences), seeded randomness, state dicts, reprs and errors."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.vision import ops
from ember.vision.ops.feature_pyramid_network import LastLevelMaxPool, LastLevelP6P7


@pytest.fixture
def tvops(torch: Any) -> Any:
    return pytest.importorskip("torchvision.ops")


def _pair(torch: Any, a: np.ndarray, grad: bool = False) -> tuple[Any, Any]:
    return ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _backward_both(out: Any, expected: Any, rng: np.random.Generator) -> None:
    g = rng.standard_normal(tuple(expected.shape)).astype(expected.detach().numpy().dtype)
    out.backward(ember.from_numpy(g.copy()))
    expected.backward(expected.new_tensor(g))


# ------------------------------------------------------------------ deform_conv2d
def _out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - (d * (k - 1) + 1)) // s + 1


DEFORM_CASES = [
    # batch, in, out, (h, w), (kh, kw), stride, padding, dilation, offset groups, groups
    (2, 4, 6, (7, 6), (3, 3), (1, 1), (1, 1), (1, 1), 2, 2),
    (1, 6, 4, (9, 8), (3, 2), (2, 1), (1, 0), (2, 1), 3, 2),
    (2, 2, 3, (5, 5), (1, 1), (1, 1), (0, 0), (1, 1), 1, 1),
    (3, 3, 3, (6, 7), (2, 3), (1, 2), (2, 1), (1, 2), 1, 3),
]


@pytest.mark.parametrize("case", DEFORM_CASES)
@pytest.mark.parametrize("use_mask", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deform_conv2d_values_and_gradients(torch: Any, tvops: Any, case: tuple, use_mask: bool,
                                            use_bias: bool, dtype: Any) -> None:
    b, cin, cout, (h, w), (kh, kw), s, p, d, og, g = case
    rng = np.random.default_rng(sum(case[3]) + kh * 10 + use_mask)
    oh, ow = _out_size(h, kh, s[0], p[0], d[0]), _out_size(w, kw, s[1], p[1], d[1])
    x = rng.standard_normal((b, cin, h, w)).astype(dtype)
    weight = rng.standard_normal((cout, cin // g, kh, kw)).astype(dtype)
    bias = rng.standard_normal(cout).astype(dtype)
    offset = (rng.standard_normal((b, 2 * og * kh * kw, oh, ow)) * 2).astype(dtype)
    offset[0, :2, 0, 0] = [-1.0, 0.0]  # a whole-pixel shift onto the -1 border
    offset[0, -2:, -1, 0] = [1.0, -2.0]
    offset[-1, -2:, -1, -1] = [h + 1.5, -w - 0.5]  # far outside the image: zero samples
    mask = rng.random((b, og * kh * kw, oh, ow)).astype(dtype)
    ex, tx = _pair(torch, x, True)
    eo, to = _pair(torch, offset, True)
    ew, tw = _pair(torch, weight, True)
    eb, tb = _pair(torch, bias, True)
    em, tm = _pair(torch, mask, True)
    out = ops.deform_conv2d(ex, eo, ew, eb if use_bias else None, stride=s, padding=p,
                            dilation=d, mask=em if use_mask else None)
    expected = tvops.deform_conv2d(tx, to, tw, tb if use_bias else None, stride=s, padding=p,
                                   dilation=d, mask=tm if use_mask else None)
    assert out.dtype == ex.dtype
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else {}
    assert_close(out, expected, **tol)
    _backward_both(out, expected, rng)
    pairs = [(ex, tx), (eo, to), (ew, tw)] + [(eb, tb)] * use_bias + [(em, tm)] * use_mask
    for ours, theirs in pairs:
        assert_close(ours.grad, theirs.grad, **tol)
    if not use_mask:
        assert em.grad is None


def test_deform_conv2d_zero_offsets_is_conv2d_and_non_contiguous(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 9, 4)).astype(np.float32).transpose(0, 1, 3, 2)
    weight = rng.standard_normal((4, 5, 3, 3)).astype(np.float32)
    ex = ember.from_numpy(x)  # a transposed (non-contiguous) view
    assert not ex.is_contiguous()
    ew = ember.from_numpy(weight)
    offset = ember.zeros(2, 18, 4, 9)
    got = ops.deform_conv2d(ex, offset, ew, padding=1)
    assert_close(got, ember.nn.functional.conv2d(ex, ew, padding=1), rtol=1e-5, atol=1e-5)
    expected = tvops.deform_conv2d(torch.from_numpy(x), torch.zeros(2, 18, 4, 9),
                                   torch.from_numpy(weight), padding=1)
    assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_deform_conv2d_gradcheck() -> None:
    rng = np.random.default_rng(4)
    x = ember.tensor(rng.standard_normal((1, 4, 5, 5)), requires_grad=True)
    offset = ember.tensor(rng.uniform(-1.7, 1.7, (1, 2 * 2 * 4, 6, 3)), requires_grad=True)
    weight = ember.tensor(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)
    bias = ember.tensor(rng.standard_normal(2), requires_grad=True)
    mask = ember.tensor(rng.random((1, 2 * 4, 6, 3)), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda *a: ops.deform_conv2d(*a[:4], padding=(1, 0), dilation=(1, 2), mask=a[4]),
        (x, offset, weight, bias, mask))


def test_deform_conv2d_module(torch: Any, tvops: Any) -> None:
    for args, kwargs in [((4, 6, 3), dict(padding=1, groups=2, bias=False)),
                         ((4, 6, (3, 1)), dict(dilation=2, stride=(2, 1))),
                         ((3, 2, 2), {})]:
        ember.manual_seed(11)
        ours = ops.DeformConv2d(*args, **kwargs)
        torch.manual_seed(11)
        theirs = tvops.DeformConv2d(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for key, value in theirs.state_dict().items():  # seeded initialisation matches too
            assert_close(ours.state_dict()[key], value)
    rng = np.random.default_rng(5)
    ours, theirs = ops.DeformConv2d(4, 6, 3, padding=1, groups=2), tvops.DeformConv2d(
        4, 6, 3, padding=1, groups=2)
    ours.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 4, 5, 5)).astype(np.float32)
    offset = rng.standard_normal((2, 18, 5, 5)).astype(np.float32)
    mask = rng.random((2, 9, 5, 5)).astype(np.float32)
    assert_close(ours(ember.from_numpy(x), ember.from_numpy(offset), ember.from_numpy(mask)),
                 theirs(torch.from_numpy(x), torch.from_numpy(offset), torch.from_numpy(mask)),
                 rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        ops.DeformConv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        ops.DeformConv2d(4, 3, 3, groups=2)


def test_deform_conv2d_errors(torch: Any, tvops: Any) -> None:
    def args(lib: Any, **over: Any) -> dict:
        a = dict(input=lib.zeros(2, 4, 6, 6), offset=lib.zeros(2, 36, 4, 4),
                 weight=lib.zeros(6, 2, 3, 3), mask=None)
        a.update({k: (v(lib) if callable(v) else v) for k, v in over.items()})
        return a

    cases = [
        dict(input=lambda t: t.zeros(4, 6, 6)),
        dict(offset=lambda t: t.zeros(2, 10, 4, 4)),
        dict(offset=lambda t: t.zeros(2, 19, 4, 4)),
        dict(offset=lambda t: t.zeros(1, 36, 4, 4)),
        dict(offset=lambda t: t.zeros(2, 36, 3, 4)),
        dict(mask=lambda t: t.zeros(2, 5, 4, 4)),
        dict(mask=lambda t: t.zeros(1, 18, 4, 4)),
        dict(mask=lambda t: t.zeros(2, 18, 3, 4)),
        dict(weight=lambda t: t.zeros(6, 3, 3, 3)),
        dict(weight=lambda t: t.zeros(5, 2, 3, 3)),
        dict(offset=lambda t: t.zeros(2, 54, 4, 4)),
        dict(input=lambda t: t.zeros(2, 4, 2, 2)),
        dict(padding=-1), dict(dilation=0),
    ]
    for over in cases:
        with pytest.raises(Exception) as theirs:
            tvops.deform_conv2d(**args(torch, **over))
        with pytest.raises(type(theirs.value)) as ours:
            ops.deform_conv2d(**args(ember, **over))
        first = str(theirs.value).splitlines()[0]
        detail = first.split(".cpp:")[-1].split(", ", 1)[-1] if ".cpp:" in first else first
        if detail and not detail[0].isdigit():  # torchvision's words, where it has any
            assert detail in str(ours.value), (over, str(ours.value), detail)
    with pytest.raises(RuntimeError, match="stride_h: 0 stride_w: 1"):  # torchvision crashes
        ops.deform_conv2d(**args(ember), stride=(0, 1))


# ------------------------------------------------------------------ PS RoI Align / Pool
def _rois(rng: np.random.Generator, n: int, images: int, extent: float,
          dtype: Any = np.float32) -> np.ndarray:
    xy = rng.random((n, 2)) * extent - 2
    wh = rng.random((n, 2)) * extent / 2
    rois = np.concatenate([rng.integers(0, images, (n, 1)), xy, xy + wh], 1).astype(dtype)
    rois[0, 1:] = [3, 3, 1, 1]  # reversed
    rois[1, 1:] = [2, 2, 2, 2]  # a point: no samples (NaN in PS RoIAlign)
    rois[2, 1:] = [-5, -5, extent * 2, extent * 2]  # over the border
    return rois


@pytest.mark.parametrize("output_size,sampling_ratio,scale", [
    ((2, 3), -1, 1.0), (3, 2, 0.5), (1, 0, 0.25), ((4, 2), -1, 0.5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ps_roi_align_values_and_gradient(torch: Any, tvops: Any, output_size: Any,
                                          sampling_ratio: int, scale: float, dtype: Any) -> None:
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    rng = np.random.default_rng(ph * 10 + pw)
    x = rng.standard_normal((2, ph * pw * 3, 13, 11)).astype(dtype)
    rois = _rois(rng, 12, 2, 14 / scale, dtype)
    ex, tx = _pair(torch, x, True)
    out = ops.ps_roi_align(ex, ember.from_numpy(rois), output_size, scale, sampling_ratio)
    expected = tvops.ps_roi_align(tx, torch.from_numpy(rois), output_size, scale, sampling_ratio)
    assert out.shape == (12, 3, ph, pw) and out.is_contiguous()
    assert_close(out, expected, equal_nan=True, rtol=1e-5, atol=1e-6)
    _backward_both(out, expected, rng)
    assert_close(ex.grad, tx.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("output_size,scale", [((2, 3), 1.0), (3, 0.5), (1, 0.25), ((4, 2), 0.5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ps_roi_pool_values_and_gradient(torch: Any, tvops: Any, output_size: Any,
                                         scale: float, dtype: Any) -> None:
    ph, pw = (output_size, output_size) if isinstance(output_size, int) else output_size
    rng = np.random.default_rng(ph * 10 + pw + 1)
    x = rng.standard_normal((2, ph * pw * 2, 12, 15)).astype(dtype)
    rois = _rois(rng, 10, 2, 14 / scale, dtype)
    ex, tx = _pair(torch, x, True)
    out = ops.ps_roi_pool(ex, ember.from_numpy(rois), output_size, scale)
    expected = tvops.ps_roi_pool(tx, torch.from_numpy(rois), output_size, scale)
    assert out.shape == (10, 2, ph, pw)
    assert_close(out, expected, rtol=1e-5, atol=1e-6)
    _backward_both(out, expected, rng)
    # torchvision's gradient clips the windows at the border, its forward one pixel short
    assert_close(ex.grad, tx.grad, rtol=1e-5, atol=1e-6)


def test_ps_roi_box_lists_modules_empty_and_errors(torch: Any, tvops: Any) -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 8, 10, 10)).astype(np.float32)
    per_image = [_rois(rng, 4, 1, 8)[:, 1:], _rois(rng, 3, 1, 8)[:, 1:]]
    ours_boxes = [ember.from_numpy(b) for b in per_image]
    theirs_boxes = [torch.from_numpy(b) for b in per_image]
    pairs = [(ops.PSRoIAlign(2, 0.5, 2), tvops.PSRoIAlign(2, 0.5, 2)),
             (ops.PSRoIPool((2, 2), 1.0), tvops.PSRoIPool((2, 2), 1.0))]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert_close(ours(ember.from_numpy(x), ours_boxes),
                     theirs(torch.from_numpy(x), theirs_boxes), rtol=1e-5, atol=1e-6,
                     equal_nan=True)
    for fn in (ops.ps_roi_align, ops.ps_roi_pool):
        assert fn(ember.from_numpy(x), ember.zeros(0, 5), (2, 1)).shape == (0, 4, 2, 1)
        with pytest.raises(RuntimeError, match="input channels must be a multiple of pooling "
                                               "height \\* pooling width"):
            fn(ember.from_numpy(x), ember.zeros(1, 5), 3)
        with pytest.raises(AssertionError, match=r"Tensor\[K, 5\]"):
            fn(ember.from_numpy(x), ember.zeros(3, 4), 2)
        with pytest.raises(RuntimeError):
            fn(ember.from_numpy(x), ember.zeros(1, 5, dtype=ember.float64), 2)


def test_ps_roi_gradcheck() -> None:
    rng = np.random.default_rng(9)
    x = ember.tensor(rng.standard_normal((1, 8, 7, 8)), requires_grad=True)
    rois = ember.tensor([[0, 0.3, 0.6, 4.2, 5.1], [0, 2.2, 1.1, 5.4, 3.3]], dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda t: ops.ps_roi_align(t, rois, 2, 1.0, 2), (x,))
    assert ember.autograd.gradcheck(lambda t: ops.ps_roi_align(t, rois, (2, 1), 0.5, -1), (x,))
    # windows off the last row and column, where forward and gradient agree
    assert ember.autograd.gradcheck(lambda t: ops.ps_roi_pool(t, rois, 2, 1.0), (x,))


# ------------------------------------------------------------------ DropBlock
@pytest.mark.parametrize("block_size,p", [(3, 0.2), (5, 0.5), (1, 0.1), (20, 0.3), (3, 1.0)])
def test_drop_block2d_matches_torchvision_seeded(torch: Any, tvops: Any, block_size: int,
                                                 p: float) -> None:
    x = np.random.default_rng(block_size).random((2, 3, 11, 9)).astype(np.float32)
    ex, tx = _pair(torch, x, True)
    for seed in (0, 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        out = ops.drop_block2d(ex, p, block_size)
        expected = tvops.drop_block2d(tx, p, block_size)
        assert_close(out, expected)
    _backward_both(out, expected, np.random.default_rng(0))
    assert_close(ex.grad, tx.grad)


def test_drop_block3d_matches_torchvision_seeded(torch: Any, tvops: Any) -> None:
    x = np.random.default_rng(1).random((2, 3, 6, 7, 5))
    for block_size, p in [(3, 0.3), (1, 0.5), (9, 0.2)]:
        ember.manual_seed(5)
        torch.manual_seed(5)
        assert_close(ops.drop_block3d(ember.from_numpy(x), p, block_size),
                     tvops.drop_block3d(torch.from_numpy(x), p, block_size))


def test_drop_block_statistics_identity_and_inplace() -> None:
    ember.manual_seed(0)
    x = ember.ones(8, 4, 32, 32)
    out = ops.drop_block2d(x, 0.3, 5)
    dropped = (out == 0).double().mean().item()
    assert 0.2 < dropped < 0.35  # blocks overlap, so a little under p
    assert abs(out.mean().item() - 1.0) < 1e-4  # rescaled to keep the mean
    kept = out[out != 0]
    assert ember.allclose(kept, kept[0].expand_as(kept))
    zeros = (out == 0).reshape(8 * 4, 32, 32)
    assert zeros.any(dim=1).sum().item() > 0  # dropped in blocks: whole 5-wide column runs
    assert ops.drop_block2d(x, 0.0, 3) is x
    assert ops.drop_block2d(x, 0.5, 3, training=False) is x
    module = ops.DropBlock3d(0.4, 3).eval()
    y = ember.ones(1, 2, 4, 4, 4)
    assert module(y) is y
    z = ember.ones(2, 2, 9, 9)
    ember.manual_seed(1)
    same = ops.drop_block2d(z, 0.4, 3, inplace=True)
    assert same is z and (z == 0).any().item()
    ember.manual_seed(2)
    out3 = ops.DropBlock3d(0.3, 3)(ember.ones(4, 2, 10, 10, 10))
    assert 0.15 < (out3 == 0).double().mean().item() < 0.35


def test_drop_block_errors_and_reprs(torch: Any, tvops: Any) -> None:
    cases = [(ops.drop_block2d, tvops.drop_block2d, (3, 4, 4), 0.1, 3),
             (ops.drop_block2d, tvops.drop_block2d, (1, 1, 4, 4), 1.5, 3),
             (ops.drop_block2d, tvops.drop_block2d, (1, 1, 6, 6), 0.1, 4),
             (ops.drop_block3d, tvops.drop_block3d, (1, 1, 4, 4), 0.1, 3),
             (ops.drop_block3d, tvops.drop_block3d, (1, 1, 4, 4, 4), -0.1, 3)]
    for ours_fn, theirs_fn, shape, p, block in cases:
        with pytest.raises(ValueError) as theirs:
            theirs_fn(torch.ones(shape), p, block)
        with pytest.raises(ValueError, match=str(theirs.value).replace(".", r"\.")):
            ours_fn(ember.ones(shape), p, block)
    for args in [(0.1, 3), (0.5, 5, True, 1e-3)]:
        assert repr(ops.DropBlock2d(*args)) == repr(tvops.DropBlock2d(*args))
        assert repr(ops.DropBlock3d(*args)) == repr(tvops.DropBlock3d(*args))


# ------------------------------------------------------------------ FPN
def _extra(lib_ops: Any, kind: str) -> Any:
    if kind == "none":
        return None
    if kind == "pool":
        return lib_ops.feature_pyramid_network.LastLevelMaxPool()
    return lib_ops.feature_pyramid_network.LastLevelP6P7(*{"p6p7_c5": (8, 5),
                                                           "p6p7_p5": (5, 5)}[kind])


@pytest.mark.parametrize("extra", ["none", "pool", "p6p7_c5", "p6p7_p5"])
def test_fpn_loads_torchvision_weights_and_matches(torch: Any, tvops: Any, extra: str) -> None:
    theirs = tvops.FeaturePyramidNetwork([3, 6, 8], 5, extra_blocks=_extra(tvops, extra))
    ours = ops.FeaturePyramidNetwork([3, 6, 8], 5, extra_blocks=_extra(ops, extra))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: ember.from_numpy(v.numpy()) for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(2)
    shapes = [(2, 3, 17, 15), (2, 6, 9, 8), (2, 8, 5, 4)]
    xs = [rng.random(s).astype(np.float32) for s in shapes]
    ex = OrderedDict((f"feat{i}", ember.tensor(x, requires_grad=True)) for i, x in enumerate(xs))
    tx = OrderedDict((f"feat{i}", torch.tensor(x, requires_grad=True)) for i, x in enumerate(xs))
    out, expected = ours(ex), theirs(tx)
    assert isinstance(out, OrderedDict) and list(out) == list(expected)
    for key in expected:
        assert_close(out[key], expected[key], rtol=1e-5, atol=1e-5)
    sum(v.sum() for v in out.values()).backward()
    sum(v.sum() for v in expected.values()).backward()
    for key in tx:
        assert_close(ex[key].grad, tx[key].grad, rtol=1e-4, atol=1e-4)
    assert repr(ours) == repr(theirs)


def test_fpn_seeded_init_norm_layer_old_keys_and_errors(torch: Any, tvops: Any) -> None:
    ember.manual_seed(4)
    ours = ops.FeaturePyramidNetwork([3, 4], 5, extra_blocks=LastLevelP6P7(4, 5))
    torch.manual_seed(4)
    theirs = tvops.FeaturePyramidNetwork(
        [3, 4], 5, extra_blocks=tvops.feature_pyramid_network.LastLevelP6P7(4, 5))
    for key, value in theirs.state_dict().items():
        assert_close(ours.state_dict()[key], value)
    ours_bn = ops.FeaturePyramidNetwork([3, 4], 5, norm_layer=ember.nn.BatchNorm2d)
    theirs_bn = tvops.FeaturePyramidNetwork([3, 4], 5, norm_layer=torch.nn.BatchNorm2d)
    assert list(ours_bn.state_dict()) == list(theirs_bn.state_dict())
    assert repr(ours_bn) == repr(theirs_bn)
    # a version-1 checkpoint (bare convolutions) loads under the new names
    old = {k.replace(".0.", "."): ember.full_like(v, 0.5) for k, v in
           ops.FeaturePyramidNetwork([3, 4], 5).state_dict().items()}
    fresh = ops.FeaturePyramidNetwork([3, 4], 5)
    fresh.load_state_dict(old)
    assert (fresh.inner_blocks[1][0].weight == 0.5).all().item()
    with pytest.raises(ValueError, match="in_channels=0 is currently not supported"):
        ops.FeaturePyramidNetwork([3, 0], 5)
    with pytest.raises(TypeError, match="extra_blocks should be of type ExtraFPNBlock"):
        ops.FeaturePyramidNetwork([3], 5, extra_blocks=ember.nn.ReLU())
    pooled = LastLevelMaxPool()([ember.ones(1, 2, 5, 5)], [], ["a"])
    assert pooled[1] == ["a", "pool"] and pooled[0][1].shape == (1, 2, 3, 3)


# ------------------------------------------------------------------ names and loss modules
def test_public_names_and_loss_submodules(torch: Any, tvops: Any) -> None:
    public = {n for n in dir(tvops) if not n.startswith("_")}
    assert public <= set(dir(ops))
    assert set(tvops.__all__) == set(ops.__all__)
    rng = np.random.default_rng(6)
    xy = rng.random((7, 2)) * 10
    b1 = np.concatenate([xy, xy + rng.random((7, 2)) * 5 + 0.1], 1).astype(np.float32)
    b2 = np.concatenate([xy + 1, xy + rng.random((7, 2)) * 5 + 1.1], 1).astype(np.float32)
    for module, fn in [("giou_loss", "generalized_box_iou_loss"),
                       ("diou_loss", "distance_box_iou_loss"),
                       ("ciou_loss", "complete_box_iou_loss")]:
        ours = getattr(getattr(ops, module), fn)
        assert ours is getattr(ops, fn)
        for reduction in ("none", "mean", "sum"):
            assert_close(ours(ember.from_numpy(b1), ember.from_numpy(b2), reduction),
                         getattr(getattr(tvops, module), fn)(torch.from_numpy(b1),
                                                             torch.from_numpy(b2), reduction))
    logits, targets = rng.standard_normal(9).astype(np.float32), (rng.random(9) > 0.5) * 1.0
    assert_close(ops.focal_loss.sigmoid_focal_loss(ember.from_numpy(logits),
                                                   ember.tensor(targets, dtype=ember.float32)),
                 tvops.focal_loss.sigmoid_focal_loss(torch.from_numpy(logits),
                                                     torch.tensor(targets, dtype=torch.float32)))
    assert ops.deform_conv.DeformConv2d is ops.DeformConv2d
    assert ops.drop_block.drop_block2d is ops.drop_block2d
    assert ops.feature_pyramid_network.FeaturePyramidNetwork is ops.FeaturePyramidNetwork
