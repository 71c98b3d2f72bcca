"""More ember.vision.models against torchvision (ShuffleNetV2, MNASNet, RegNet, ConvNeXt,
GoogLeNet, Inception3, Swin, MaxViT): a torchvision checkpoint with random weights and random
BatchNorm statistics loads strictly by path into the Ember builder, the keys, shapes and
children match, eval-mode logits agree, and the weight enums and registry match
torchvision's."""

from __future__ import annotations

import enum
import importlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _vision_helpers import randomise_batch_norm

import ember
from ember.testing import assert_close
from ember.vision import models

FAMILIES = {"shufflenetv2": "shufflenet_v2_*", "mnasnet": "mnasnet*", "regnet": "regnet_*",
            "convnext": "convnext_*", "googlenet": "googlenet", "inception": "inception_v3",
            "swin_transformer": "swin_*", "maxvit": "maxvit_t"}


def _randomise(torch: Any, tm: Any) -> None:
    """Non-trivial eval-mode BatchNorm statistics and affine parameters, and O(1) layer
    scales (ConvNeXt starts them at 1e-6, which would hide its blocks from the comparison)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in tm.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                randomise_batch_norm(torch, m, g)
        for name, p in tm.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=g) + 0.5)


def _same_structure(em: Any, tm: Any) -> None:
    assert [n for n, _ in em.named_children()] == [n for n, _ in tm.named_children()]
    esd, tsd = em.state_dict(), tm.state_dict()
    assert list(esd.keys()) == list(tsd.keys())
    assert [tuple(v.shape) for v in esd.values()] == [tuple(v.shape) for v in tsd.values()]
    assert [str(v.dtype).split(".")[-1] for v in esd.values()] == [
        str(v.dtype).split(".")[-1] for v in tsd.values()]


# (builder, input size, extra keyword arguments): the smallest variant of each family
_AUX = {"aux_logits": True, "transform_input": True, "init_weights": False}
FORWARD = [("shufflenet_v2_x0_5", 64, {}), ("mnasnet0_5", 64, {}), ("regnet_x_400mf", 64, {}),
           ("regnet_y_400mf", 64, {}), ("convnext_tiny", 64, {}), ("googlenet", 64, _AUX),
           ("inception_v3", 80, _AUX), ("swin_t", 64, {}), ("swin_v2_t", 64, {})]


@pytest.mark.filterwarnings("ignore:auxiliary heads")
@pytest.mark.parametrize("name,size,kw", FORWARD, ids=[f[0] for f in FORWARD])
def test_torchvision_checkpoint_gives_the_same_logits(torch: Any, tv: Any, no_init: None,
                                                      tmp_path: Path, name: str, size: int,
                                                      kw: dict) -> None:
    torch.manual_seed(0)
    tm = getattr(tv.models, name)(num_classes=10, **kw).eval()
    _randomise(torch, tm)
    path = tmp_path / f"{name}.pth"
    torch.save(tm.state_dict(), path)
    em = getattr(models, name)(weights=str(path), num_classes=10, **kw).eval()
    _same_structure(em, tm)
    x = np.random.default_rng(0).standard_normal((1, 3, size, size), dtype=np.float32)
    with torch.no_grad():
        expected = tm(torch.from_numpy(x))
    with ember.no_grad():
        actual = em(ember.from_numpy(x))
    scale = float(expected.abs().max())
    assert_close(actual, expected, rtol=1e-4, atol=1e-4 * max(scale, 1e-3))


KEYS_ONLY = ["shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "mnasnet0_75",
             "mnasnet1_0", "mnasnet1_3", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_x_800mf",
             "regnet_x_1_6gf", "regnet_x_3_2gf", "convnext_small", "convnext_base",
             "convnext_large", "swin_s", "swin_b", "swin_v2_s", "swin_v2_b", "maxvit_t"]


@pytest.mark.parametrize("name", KEYS_ONLY)
def test_state_dict_keys_order_and_shapes_match(torch: Any, tv: Any, no_init: None,
                                                name: str) -> None:
    if name.startswith("regnet"):  # its stage rule needs real tensors
        tm = getattr(tv.models, name)()
    else:
        with torch.device("meta"):
            tm = getattr(tv.models, name)()
    _same_structure(getattr(models, name)(), tm)


REGNET_PARAMS = dict(
    y_400mf=(16, 48, 27.89, 2.09, 8), y_800mf=(14, 56, 38.84, 2.4, 16),
    y_1_6gf=(27, 48, 20.71, 2.65, 24), y_3_2gf=(21, 80, 42.63, 2.66, 24),
    y_8gf=(17, 192, 76.82, 2.19, 56), y_16gf=(18, 200, 106.23, 2.48, 112),
    y_32gf=(20, 232, 115.89, 2.53, 232), y_128gf=(27, 456, 160.83, 2.52, 264),
    x_400mf=(22, 24, 24.48, 2.54, 16), x_800mf=(16, 56, 35.73, 2.28, 16),
    x_1_6gf=(18, 80, 34.01, 2.25, 24), x_3_2gf=(25, 88, 26.31, 2.25, 48),
    x_8gf=(23, 80, 49.56, 2.88, 120), x_16gf=(22, 216, 55.59, 2.1, 128),
    x_32gf=(23, 320, 69.86, 2.0, 168))


@pytest.mark.parametrize("arch", list(REGNET_PARAMS))
def test_regnet_stage_parameters_match(tv: Any, arch: str) -> None:
    from torchvision.models.regnet import BlockParams as TVBlockParams

    depth, w_0, w_a, w_m, gw = REGNET_PARAMS[arch]
    se = 0.25 if arch.startswith("y") else None
    ours = models.regnet.BlockParams.from_init_params(depth, w_0, w_a, w_m, gw, se_ratio=se)
    theirs = TVBlockParams.from_init_params(depth, w_0, w_a, w_m, gw, se_ratio=se)
    assert vars(ours) == vars(theirs)


def _enums(module: Any) -> dict[str, type]:
    return {n: c for n, c in vars(module).items() if isinstance(c, type)
            and issubclass(c, enum.Enum) and n.endswith("_Weights") and c.__module__ ==
            module.__name__}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_weight_enums_match_torchvision(tv: Any, family: str) -> None:
    ours = _enums(importlib.import_module(f"ember.vision.models.{family}"))
    theirs = _enums(importlib.import_module(f"torchvision.models.{family}"))
    assert set(ours) == set(theirs)
    for name, enum_cls in ours.items():
        tv_cls = theirs[name]
        assert list(enum_cls.__members__) == list(tv_cls.__members__)
        assert enum_cls.DEFAULT.name == tv_cls.DEFAULT.name
        assert getattr(models, name) is enum_cls
        for member, tv_member in zip(enum_cls, tv_cls):
            assert repr(member) == repr(tv_member)
            assert member.url == tv_member.url
            meta = {k: v for k, v in member.meta.items() if k != "_docs"}
            tv_meta = {k: v for k, v in tv_member.meta.items() if k != "_docs"}
            assert meta == tv_meta, (name, member.name)
            assert isinstance(member.meta["_docs"], str) and member.meta["_docs"]
            kw = {k: getattr(v, "value", v) for k, v in member.transforms.keywords.items()}
            tv_kw = {k: getattr(v, "value", v) for k, v in tv_member.transforms.keywords.items()}
            assert kw == tv_kw


@pytest.mark.parametrize("family", list(FAMILIES))
def test_registry_lists_the_builders_like_torchvision(tv: Any, family: str) -> None:
    pattern = FAMILIES[family]
    names = tv.models.list_models(module=tv.models, include=pattern)
    assert models.list_models(include=pattern) == names
    for name in names:
        builder = models.get_model_builder(name)
        assert builder is getattr(models, name)
        assert builder.__module__ == f"ember.vision.models.{family}"
        expected = tv.models.get_model_weights(name).__name__
        assert models.get_model_weights(name) is getattr(models, expected)
        assert models.get_weight(f"{expected}.DEFAULT") is getattr(models, expected).DEFAULT


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
@pytest.mark.filterwarnings("ignore:auxiliary heads")
def test_aux_heads_in_training_mode_and_after_loading(torch: Any, tv: Any, no_init: None,
                                                      tmp_path: Path, name: str) -> None:
    torch.manual_seed(0)
    # Inception's auxiliary head needs the full 17x17 grid: 299x299 inputs
    size = 64 if name == "googlenet" else 299
    kw: dict[str, Any] = dict(num_classes=10, init_weights=False, dropout=0.0)
    if name == "googlenet":
        kw["dropout_aux"] = 0.0
    tm = getattr(tv.models, name)(**kw).train()
    _randomise(torch, tm)
    path = tmp_path / f"{name}.pth"
    torch.save(tm.state_dict(), path)
    em = getattr(models, name)(**kw).train()
    em.load_state_dict(ember.load(str(path)))
    # BatchNorm on running statistics: batch statistics of two samples on a 1x1 grid (the
    # auxiliary heads) are too ill-conditioned to compare two float32 implementations
    for m in (*tm.modules(), *em.modules()):
        if "BatchNorm" in type(m).__name__:
            m.eval()
    x = np.random.default_rng(1).standard_normal((2, 3, size, size), dtype=np.float32)
    expected = tm(torch.from_numpy(x))
    actual = em(ember.from_numpy(x))
    assert type(actual).__name__ == type(expected).__name__
    assert actual._fields == expected._fields
    for a, e in zip(actual, expected):
        e = e.detach()
        assert_close(a.detach(), e, rtol=1e-4, atol=1e-4 * max(float(e.abs().max()), 1e-3))
    # with weights (here a path) inputs are re-normalised and the auxiliary heads are loaded;
    # GoogLeNet then drops them unless aux_logits=True was asked for, Inception keeps its own
    kept = getattr(models, name)(weights=str(path), num_classes=10, aux_logits=True)
    assert kept.aux_logits is True and kept.transform_input is True
    with pytest.raises(ValueError, match="'aux_logits' expected value True"):
        getattr(models, name)(weights=str(path), num_classes=10, aux_logits=False)
    if name == "inception_v3":
        assert models.inception_v3(weights=str(path), num_classes=10).aux_logits is True
        loaded = models.inception_v3(weights=str(path), num_classes=10)
        loaded.aux_logits, loaded.AuxLogits = False, None  # as the builder would drop it
    else:
        loaded = models.googlenet(weights=str(path), num_classes=10)
    assert loaded.aux_logits is False and loaded.transform_input is True
    plain = getattr(tv.models, name)(num_classes=10, aux_logits=False, init_weights=False)
    assert [n for n, _ in loaded.named_children()] == [n for n, _ in plain.named_children()]
    assert list(loaded.state_dict()) == list(plain.state_dict())
    assert not isinstance(loaded.train()(ember.from_numpy(x)), tuple)
    with pytest.warns(FutureWarning, match="default weight initialization"):
        getattr(models, name)(num_classes=3, aux_logits=False)


# a MaxViT small enough for a quick forward: 64x64 inputs, grids of 16 and 8, partitions of 4
SMALL_MAXVIT = dict(input_size=(64, 64), stem_channels=16, partition_size=4,
                    block_channels=[16, 32], block_layers=[2, 1], head_dim=8,
                    stochastic_depth_prob=0.2, num_classes=10)


def test_small_maxvit_gives_the_same_logits(torch: Any, tv: Any, no_init: None) -> None:
    torch.manual_seed(0)
    tm = tv.models.MaxVit(**SMALL_MAXVIT).eval()
    _randomise(torch, tm)
    em = models.MaxVit(**SMALL_MAXVIT).eval()
    _same_structure(em, tm)
    buf = io.BytesIO()
    torch.save(tm.state_dict(), buf)
    buf.seek(0)
    em.load_state_dict(ember.load(buf), strict=True)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64), dtype=np.float32)
    with torch.no_grad():
        expected = tm(torch.from_numpy(x))
    with ember.no_grad():
        actual = em(ember.from_numpy(x))
    assert_close(actual, expected, rtol=1e-4, atol=1e-4 * max(float(expected.abs().max()), 1e-3))
    with pytest.raises(ValueError, match="not divisible by partition size"):
        models.MaxVit(**{**SMALL_MAXVIT, "input_size": (48, 48)})
