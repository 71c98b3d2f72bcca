"""Pre-trained weights: the enums match torchvision's (URLs, meta, presets), names and paths
resolve, named weights come from ember.hub's cache (with a clear offline error), local
checkpoints load, and the ImageClassification preset matches torchvision's."""

from __future__ import annotations

import copy
import enum
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.vision import models
from ember.vision.models._presets import ImageClassification, InterpolationMode

FAMILIES = ["alexnet", "vgg", "resnet", "mobilenetv2", "mobilenetv3", "squeezenet", "densenet",
            "efficientnet", "vision_transformer", "shufflenetv2", "mnasnet", "regnet", "convnext",
            "googlenet", "inception", "swin_transformer", "maxvit"]


@pytest.fixture
def offline_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EMBER_HOME", str(tmp_path))
    monkeypatch.setenv("EMBER_OFFLINE", "1")
    monkeypatch.setattr(ember.hub, "_hub_dir", None)
    return tmp_path / "hub" / "checkpoints"


@pytest.fixture
def no_fill(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "xavier_uniform_"):
        monkeypatch.setattr(ember.nn.init, name, lambda t, *a, **k: t)


def _enums(module: Any) -> dict[str, type]:
    return {n: c for n, c in vars(module).items() if isinstance(c, type)
            and issubclass(c, enum.Enum) and n.endswith("_Weights") and c.__module__ ==
            module.__name__}


@pytest.mark.parametrize("family", FAMILIES)
def test_weight_enums_match_torchvision(tv: Any, family: str) -> None:
    import importlib

    ours = _enums(importlib.import_module(f"ember.vision.models.{family}"))
    theirs = _enums(importlib.import_module(f"torchvision.models.{family}"))
    assert set(ours) == set(theirs)
    for name, enum_cls in ours.items():
        tv_cls = theirs[name]
        assert list(enum_cls.__members__) == list(tv_cls.__members__)
        assert enum_cls.DEFAULT.name == tv_cls.DEFAULT.name
        for member, tv_member in zip(enum_cls, tv_cls):
            assert repr(member) == repr(tv_member)
            assert member.url == tv_member.url
            meta = {k: v for k, v in member.meta.items() if k != "_docs"}
            tv_meta = {k: v for k, v in tv_member.meta.items() if k != "_docs"}
            assert meta.keys() == tv_meta.keys()
            for key in meta:
                if key == "_metrics":  # NaN for the VGG16 features-only weights
                    np.testing.assert_equal(meta[key], tv_meta[key])
                else:
                    assert meta[key] == tv_meta[key], (name, member.name, key)
            assert isinstance(member.meta["_docs"], str) and member.meta["_docs"]
            kw = {k: getattr(v, "value", v) for k, v in member.transforms.keywords.items()}
            tv_kw = {k: getattr(v, "value", v) for k, v in tv_member.transforms.keywords.items()}
            assert kw == tv_kw


def test_imagenet_categories() -> None:
    cats = models.ResNet50_Weights.DEFAULT.meta["categories"]
    assert len(cats) == 1000 and len(set(cats)) == 1000
    assert cats[0] == "tench" and cats[-1] == "toilet tissue"


def test_names_resolve_to_members_and_builders_to_enums() -> None:
    W = models.ResNet18_Weights
    assert W.verify("IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert W.verify("DEFAULT") is W.IMAGENET1K_V1 is W.DEFAULT
    assert W.verify("ResNet18_Weights.DEFAULT") is W.IMAGENET1K_V1
    assert W.verify(None) is None
    with pytest.raises(KeyError):
        W.verify("IMAGENET1K_V9")
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received"):
        W.verify(models.ResNet34_Weights.DEFAULT)
    assert models.get_weight("ResNet18_Weights.IMAGENET1K_V1") is W.IMAGENET1K_V1
    assert models.get_weight("ViT_H_14_Weights.DEFAULT") is (
        models.ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1)
    with pytest.raises(ValueError, match="Invalid weight name"):
        models.get_weight("ResNet18_Weights")
    with pytest.raises(ValueError, match="couldn't be retrieved"):
        models.get_weight("NoSuch_Weights.DEFAULT")
    assert models.get_model_weights("resnet18") is W
    assert models.get_model_weights(models.efficientnet_b3) is models.EfficientNet_B3_Weights
    assert models.get_model_weights("vit_b_16") is models.ViT_B_16_Weights
    assert copy.deepcopy(W.DEFAULT) is W.DEFAULT
    assert pickle.loads(pickle.dumps(W.DEFAULT)) is W.DEFAULT


def test_offline_error_names_the_file_and_the_folder(offline_home: Path, no_fill: None) -> None:
    url = models.ResNet18_Weights.IMAGENET1K_V1.url
    expected = offline_home / "resnet18-f37072fd.pth"
    with pytest.raises(RuntimeError) as info:
        models.resnet18(weights="DEFAULT")
    message = str(info.value)
    assert url in message and str(expected) in message and "EMBER_OFFLINE" in message


def test_weights_in_the_cache_folder_are_loaded(offline_home: Path) -> None:
    ember.manual_seed(0)
    source = models.squeezenet1_1()
    offline_home.mkdir(parents=True)
    name = os.path.basename(models.SqueezeNet1_1_Weights.IMAGENET1K_V1.url)
    ember.save(source.state_dict(), offline_home / name)
    loaded = models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.IMAGENET1K_V1,
                                  progress=False)
    for (k, a), b in zip(loaded.state_dict().items(), source.state_dict().values()):
        assert_close(a, b, rtol=0, atol=0, msg=k)
    assert loaded.num_classes == 1000
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.squeezenet1_1(weights="DEFAULT", num_classes=10)


def test_local_checkpoints_load_by_path(tmp_path: Path, torch: Any, tv: Any) -> None:
    torch.manual_seed(0)
    tm = tv.models.mobilenet_v3_small(num_classes=5)
    pth = tmp_path / "mnv3.pth"
    torch.save(tm.state_dict(), pth)
    em = models.mobilenet_v3_small(weights=str(pth), num_classes=5)
    for (k, a), b in zip(em.state_dict().items(), tm.state_dict().values()):
        assert_close(a, b, rtol=0, atol=0, msg=k)
    from ember.serialization import save_file

    st = tmp_path / "mnv3.safetensors"
    save_file(em.state_dict(), st)
    again = models.mobilenet_v3_small(weights=st, num_classes=5)
    assert_close(again.classifier[3].weight, em.classifier[3].weight)
    wrapped = tmp_path / "trainer.pt"
    ember.save({"epoch": 3, "state_dict": em.state_dict()}, wrapped)
    assert_close(models.mobilenet_v3_small(weights=str(wrapped), num_classes=5)
                 .classifier[0].bias, em.classifier[0].bias)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        models.squeezenet1_1(weights=str(tmp_path / "missing.pth"))
    lenet_file = tmp_path / "lenet.pt"
    ember.save(models.lenet().state_dict(), lenet_file)
    assert isinstance(models.get_model("lenet", weights=str(lenet_file)), models.LeNet)


def test_vit_weights_fix_the_image_size(no_fill: None) -> None:
    W = models.ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1
    assert W.meta["min_size"] == (384, 384)
    with pytest.raises(ValueError, match="'image_size' expected value 384 but got 224"):
        models.vit_b_16(weights=W, image_size=224)


@pytest.mark.parametrize("interpolation", ["BILINEAR", "BICUBIC", "NEAREST"])
def test_preset_matches_torchvision(tv: Any, torch: Any, interpolation: str) -> None:
    from PIL import Image
    from torchvision.transforms import InterpolationMode as TvMode
    from torchvision.transforms._presets import ImageClassification as TvPreset

    ours = ImageClassification(crop_size=96, resize_size=100,
                               interpolation=getattr(InterpolationMode, interpolation))
    theirs = TvPreset(crop_size=96, resize_size=100, interpolation=getattr(TvMode, interpolation))
    rng = np.random.default_rng(0)
    for shape in [(3, 120, 150), (2, 3, 130, 110)]:
        x = rng.random(shape, dtype=np.float32)
        out = ours(ember.from_numpy(x))
        assert_close(out, theirs(torch.from_numpy(x)), rtol=0, atol=1e-5)
        assert out.shape == (*shape[:-3], 3, 96, 96)
        xu = (x * 255).astype(np.uint8)  # float32 sums in another order: rare one-level flips
        got, want = ours(ember.from_numpy(xu)), theirs(torch.from_numpy(xu))
        assert_close(got, want, rtol=0, atol=1.01 / 255 / 0.224)
        assert (got.numpy() != want.numpy()).mean() < 1e-3
    img = Image.fromarray((rng.random((90, 140, 3)) * 255).astype(np.uint8))
    assert_close(ours(img), theirs(img), rtol=0, atol=1e-6)
    assert "crop_size=[96]" in repr(ours) and "resize_size=[100]" in ours.describe()


def test_weights_transforms_build_the_preset() -> None:
    preset = models.EfficientNet_B3_Weights.DEFAULT.transforms()
    assert isinstance(preset, ImageClassification)
    assert preset.crop_size == [300] and preset.resize_size == [320]
    assert preset.interpolation == InterpolationMode.BICUBIC
    out = preset(ember.rand(3, 340, 330))
    assert out.shape == (3, 300, 300) and out.dtype == ember.float32


def test_deprecated_pretrained_argument(offline_home: Path, no_fill: None) -> None:
    with pytest.warns(UserWarning) as record:
        m = models.squeezenet1_1(pretrained=False, num_classes=3)
    assert m.num_classes == 3
    assert "'pretrained' is deprecated" in str(record[0].message)
    assert "equivalent to passing `weights=None`" in str(record[1].message)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="squeezenet1_1-b8a52dc0"):
        models.squeezenet1_1(pretrained=True)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="resnet50-0676ba61"):
        models.resnet50(pretrained=True)  # the legacy weights, not DEFAULT (V2)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="together with 'weights'"):
        models.resnet18(pretrained=True, weights="DEFAULT")


def test_meta_and_transforms_match_torchvision(tv: Any) -> None:
    """Every classification weights entry: meta keys in torchvision's order, equal values
    (``_docs`` aside), the same URL and the same preset repr."""
    tvm = tv.models
    for name in tvm.list_models(module=tvm):
        enum = tvm.get_model_weights(name)
        for w in enum:
            ours = models.get_weight(f"{enum.__name__}.{w.name}")
            assert list(ours.meta) == list(w.meta), (enum.__name__, w.name)
            for key, value in w.meta.items():
                if key != "_docs":  # reprs, since NaN metrics compare unequal
                    assert repr(ours.meta[key]) == repr(value), (enum.__name__, w.name, key)
            assert ours.url == w.url
            assert repr(ours.transforms()) == repr(w.transforms())
