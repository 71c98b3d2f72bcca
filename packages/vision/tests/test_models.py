"""ember.vision.models against torchvision: a torchvision checkpoint (random weights, random
BatchNorm statistics) loads strictly into the Ember model with the same keys in the same
order, the children are the same, and eval-mode logits agree; same-seed initialisation
reproduces torchvision's weights; the registry and the plugin hook list the models."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from _vision_helpers import randomise_batch_norm

import ember
from ember.testing import assert_close
from ember.vision import models

SMALL_VIT = dict(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                 mlp_dim=64)


def _randomise(torch: Any, tm: Any) -> None:
    """Non-trivial eval-mode BatchNorm (statistics and affine) and, for the zero-initialised
    ViT head, random parameters."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in tm.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                randomise_batch_norm(torch, m, g)
        if isinstance(tm, _tv_vit(torch)):
            for p in tm.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)


def _tv_vit(torch: Any) -> type:
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer


def _to_ember(torch: Any, tm: Any) -> dict:
    buf = io.BytesIO()
    torch.save(tm.state_dict(), buf)
    buf.seek(0)
    return ember.load(buf)


def _same_structure(em: Any, tm: Any) -> None:
    assert [n for n, _ in em.named_children()] == [n for n, _ in tm.named_children()]
    esd, tsd = em.state_dict(), tm.state_dict()
    assert list(esd.keys()) == list(tsd.keys())
    assert [tuple(v.shape) for v in esd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert [str(v.dtype).split(".")[-1] for v in esd.values()] == [
        str(v.dtype).split(".")[-1] for v in tsd.values()]


# the smallest input each accepts: 224 is never needed with adaptive pooling
FORWARD = [("resnet18", 64), ("resnet50", 64), ("mobilenet_v2", 64), ("mobilenet_v3_small", 64),
           ("squeezenet1_1", 64), ("densenet121", 32), ("efficientnet_b0", 64), ("alexnet", 64),
           ("vgg11_bn", 32), ("vit_small", 32)]


@pytest.mark.parametrize("name,size", FORWARD)
def test_torchvision_checkpoint_gives_the_same_logits(torch: Any, tv: Any, no_init: None,
                                                      name: str, size: int) -> None:
    torch.manual_seed(0)
    if name == "vit_small":
        tm = tv.models.VisionTransformer(**SMALL_VIT)
        em = models.VisionTransformer(**SMALL_VIT)
    else:
        tm = getattr(tv.models, name)()
        em = getattr(models, name)()
    _randomise(torch, tm)
    tm.eval()
    em.eval()
    _same_structure(em, tm)
    em.load_state_dict(_to_ember(torch, tm), strict=True)
    x = np.random.default_rng(0).standard_normal((2, 3, size, size), dtype=np.float32)
    with torch.no_grad():
        expected = tm(torch.from_numpy(x))
    with ember.no_grad():
        actual = em(ember.from_numpy(x))
    scale = float(expected.abs().max())
    assert_close(actual, expected, rtol=1e-4, atol=1e-4 * max(scale, 1e-3))


KEYS_ONLY = ["resnet34", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
             "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "densenet161",
             "densenet169", "densenet201", "vgg11", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
             "vgg19", "vgg19_bn", "squeezenet1_0", "mobilenet_v3_large", "efficientnet_b1",
             "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_b5",
             "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s", "efficientnet_v2_m",
             "efficientnet_v2_l", "vit_b_16", "vit_b_32"]


@pytest.mark.parametrize("name", KEYS_ONLY)
def test_state_dict_keys_order_and_shapes_match(torch: Any, tv: Any, no_init: None,
                                                name: str) -> None:
    with torch.device("meta"):
        tm = getattr(tv.models, name)()
    _same_structure(getattr(models, name)(), tm)


def test_options_change_the_structure_like_torchvision(torch: Any, tv: Any,
                                                       no_init: None) -> None:
    cases = [("resnet50", dict(num_classes=10, replace_stride_with_dilation=[False, True, True])),
             ("mobilenet_v2", dict(width_mult=0.5, num_classes=7)),
             ("mobilenet_v3_large", dict(reduced_tail=True, dilated=True, width_mult=0.75)),
             ("vit_b_16", dict(image_size=64, num_classes=3, representation_size=16))]
    for name, kw in cases:
        with torch.device("meta"):
            tm = getattr(tv.models, name)(**kw)
        _same_structure(getattr(models, name)(**kw), tm)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "squeezenet1_1",
                                  "efficientnet_b0", "densenet121", "vit_small"])
def test_initialisation_reproduces_torchvision_with_the_same_seed(torch: Any, tv: Any,
                                                                  name: str) -> None:
    torch.manual_seed(3)
    ember.manual_seed(3)
    if name == "vit_small":
        tm, em = tv.models.VisionTransformer(**SMALL_VIT), models.VisionTransformer(**SMALL_VIT)
    else:
        tm, em = getattr(tv.models, name)(), getattr(models, name)()
    for (key, actual), expected in zip(em.state_dict().items(), tm.state_dict().values()):
        if name == "vit_small" and key == "conv_proj.weight":
            # trunc_normal_: PyTorch 2.14 samples by rejection, ember.nn.init by inverse CDF
            assert abs(float(actual.std()) - float(expected.std())) < 0.02
            continue
        assert_close(actual, expected, rtol=1e-5, atol=1e-6, msg=key)


def test_dilated_resnet_and_representation_vit_run(no_init: None) -> None:
    m = models.resnet18(num_classes=5, zero_init_residual=True).eval()
    with ember.no_grad():
        assert m(ember.randn(1, 3, 32, 32)).shape == (1, 5)
    v = models.VisionTransformer(**SMALL_VIT, representation_size=8, num_classes=4).eval()
    with ember.no_grad():
        assert v(ember.randn(2, 3, 32, 32)).shape == (2, 4)
    with pytest.raises(AssertionError, match="Wrong image height"):
        v(ember.randn(1, 3, 16, 32))


def test_lenet_trains_on_28x28_digits() -> None:
    ember.manual_seed(0)
    m = models.lenet()
    assert [n for n, _ in m.named_children()] == ["features", "avgpool", "classifier"]
    assert sum(p.numel() for p in m.parameters()) == 61706  # the classic LeNet-5 count
    x, y = ember.randn(8, 1, 28, 28), ember.randint(0, 10, (8,))
    opt = ember.optim.SGD(m.parameters(), lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ember.nn.functional.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert models.get_model("lenet", num_classes=3)(x).shape == (8, 3)


def test_list_models_and_get_model(tv: Any, no_init: None) -> None:
    names = models.list_models()
    ours = {"alexnet", "lenet", "densenet*", "efficientnet_*", "mobilenet_v2", "mobilenet_v3_*",
            "resnet*", "resnext*", "wide_resnet*", "squeezenet*", "vgg*", "vit_*",
            "shufflenet_v2_*", "mnasnet*", "regnet_*", "convnext_*", "googlenet", "inception_v3",
            "swin_*", "maxvit_t"}
    expected = set(tv.models.list_models(module=tv.models, include=list(ours))) | {"lenet"}
    assert set(names) == expected
    assert names == sorted(names)
    assert models.list_models(include="resnet*", exclude=["resnet1*"]) == ["resnet34",
                                                                          "resnet50"]
    assert models.list_models(module=models) == names
    m = models.get_model("resnet18", num_classes=10)
    assert isinstance(m, models.ResNet) and m.fc.out_features == 10
    assert models.get_model_builder("ResNet18") is models.resnet18
    with pytest.raises(ValueError, match="Unknown model"):
        models.get_model("resnet19")


def test_hub_lists_vision_models_through_the_plugin_hook(no_init: None) -> None:
    import ember.vision._plugin as plugin
    from ember.extend import OpRegistry
    from ember.hub import ModelRegistry
    from ember.plugins import plugin_manager

    plugin_manager.register_module(plugin, "ember.plugins:vision")
    if ember.hub.models._loaded:  # read before this test registered the plugin
        plugin.ember_register_models(ember.hub.models)
    if ember.extend.ops._loaded:  # likewise the op registry (another test may have read it)
        plugin.ember_register_ops(ember.extend.ops)
    registry = ModelRegistry()  # a fresh one runs the hooks of every registered plugin
    names = registry.names("vision")
    assert set(models.list_models()) <= set(names)
    entry = registry.get("ResNet18")
    assert entry.builder is models.resnet18 and entry.domain == "vision"
    assert entry.weights is models.ResNet18_Weights
    assert set(models.list_models()) <= set(ember.hub.list_models("vision"))
    assert isinstance(ember.hub.get_model("resnet18", num_classes=4), models.ResNet)
    ops = OpRegistry()
    assert {"vision::nms", "vision::roi_align", "vision::roi_pool"} <= set(ops.names())
    from ember.vision.ops import nms

    assert ops.get("vision::nms") is nms
    assert ember.extend.ops.get("vision::roi_align") is ember.vision.ops.roi_align
