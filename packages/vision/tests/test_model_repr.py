"""``print(model)`` of every ember.vision model equals torchvision's, string for string.

The repr is what users diff when they port a model: layer order, names, every layer's
options (eps/momentum of BatchNorm, ``inplace`` of activations, collapsed ModuleList runs).
Weights are not initialised on Ember's side; PyTorch builds on the meta device where it can.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ember.nn")
import ember.vision as ev  # noqa: E402

_NAMES = sorted(ev.models.list_models(module=ev.models))


def _torch_repr(torch: Any, tv: Any, name: str, **kwargs: Any) -> str:
    try:
        with torch.device("meta"):
            return repr(tv.models.get_model(name, **kwargs))
    except NotImplementedError:  # RegNet reads tensor values while it builds
        return repr(tv.models.get_model(name, **kwargs))


@pytest.mark.parametrize("name", _NAMES)
def test_model_repr_matches_torchvision(torch, tv, no_init, name):
    if name not in tv.models.list_models(module=tv.models):
        pytest.skip(f"{name} is Ember's own (torchvision has no such model)")
    assert repr(ev.models.get_model(name)) == _torch_repr(torch, tv, name)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("resnet18", {"num_classes": 10}),
    ("resnet50", {"replace_stride_with_dilation": [False, True, True]}),
    ("mobilenet_v2", {"width_mult": 0.5, "num_classes": 7}),
    ("mobilenet_v3_small", {"dropout": 0.5}),
    ("vit_b_16", {"image_size": 32, "num_classes": 3}),
    ("efficientnet_b0", {"stochastic_depth_prob": 0.3}),
    ("densenet121", {"memory_efficient": True, "drop_rate": 0.1}),
    ("inception_v3", {"aux_logits": False, "init_weights": False}),
    ("googlenet", {"aux_logits": False, "init_weights": False}),
    ("squeezenet1_1", {"num_classes": 5}),
    ("vgg11_bn", {"num_classes": 4, "dropout": 0.3}),
    ("shufflenet_v2_x0_5", {"num_classes": 2}),
    ("swin_t", {"num_classes": 3}),
])
def test_model_repr_with_options(torch, tv, no_init, name, kwargs):
    assert repr(ev.models.get_model(name, **kwargs)) == _torch_repr(torch, tv, name, **kwargs)
