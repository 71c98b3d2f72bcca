"""models.feature_extraction against torchvision's, both built on symbolic tracing: the same
node names (functional operations and ``_<k>`` repeats included) in train and eval mode,
extractors returning the same keys and values from the same weights (ResNet-18,
MobileNetV3-small, EfficientNet-B0), the same state_dict keys, train/eval graphs, the
train/eval difference warning, tracer_kwargs (leaf modules, autowrapped functions),
concrete_args, and torchvision's errors."""

from __future__ import annotations

import copy
import re
import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember import fx
from ember.testing import assert_close
from ember.vision import models as EM
from ember.vision.models.feature_extraction import (
    create_feature_extractor,
    get_graph_node_names,
)


def _models(torch: Any, name: str, **kwargs: Any) -> tuple[Any, Any]:
    """torchvision's model with random weights and BatchNorm statistics, and Ember's with
    the same state."""
    import torchvision.models as TM

    torch.manual_seed(0)
    ref = getattr(TM, name)(**kwargs)
    with torch.no_grad():  # BatchNorm statistics that are not the identity
        for module in ref.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    model = getattr(EM, name)(**kwargs)
    model.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in ref.state_dict().items()})
    return model.eval(), ref.eval()


def _input(torch: Any, size: int = 64) -> tuple[Any, Any]:
    x = np.random.default_rng(0).random((2, 3, size, size)).astype(np.float32)
    return ember.from_numpy(x), torch.from_numpy(x)


def _compare(torch: Any, model: Any, ref: Any, nodes: Any, state_keys: bool = True) -> Any:
    from torchvision.models.feature_extraction import create_feature_extractor as tv_create

    ours, theirs = create_feature_extractor(model, nodes), tv_create(ref, nodes)
    x, tx = _input(torch)
    with ember.no_grad():
        out = ours(x)
    with torch.no_grad():
        expected = theirs(tx)
    assert isinstance(out, dict)
    assert list(out) == list(expected)
    for key in expected:
        assert_close(out[key], expected[key], atol=2e-5, rtol=1e-4)
    if state_keys:
        assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours


@pytest.mark.parametrize("nodes", [
    {"layer1": "feat1", "layer4": "out"},
    ["layer2", "avgpool"],
    {"layer4": "b", "layer1": "a"},  # outputs come in execution order, as torchvision's
    ["x", "conv1", "layer1.0.relu", "layer1.0.relu_1", "layer3.1.bn2"],
    ["fc"],
    # functional nodes: residual additions, flatten, and a downsample computed after bn2
    {"layer1.0.add": "res", "layer2.1.add": "res2", "flatten": "feat"},
    ["layer2.0.downsample.1", "layer2.0.bn2", "layer3.0.add"],
])
def test_resnet18_matches_torchvision(torch: Any, tv: Any, nodes: Any) -> None:
    model, ref = _models(torch, "resnet18")
    _compare(torch, model, ref, nodes)


@pytest.mark.parametrize("nodes", [
    ["features.0", "features.3", "features.12"],
    {"features.4.block.1": "se", "avgpool": "pool"},
    ["features.9.block.0"],
    ["features.3.add", "flatten", "classifier.0"],
])
def test_mobilenet_v3_small_matches_torchvision(torch: Any, tv: Any, nodes: Any) -> None:
    model, ref = _models(torch, "mobilenet_v3_small")
    _compare(torch, model, ref, nodes)


@pytest.mark.parametrize("nodes", [
    ["features.1", "features.3.1.stochastic_depth", "features.3.1.add"],
    {"features.5.2.block.2": "se", "features.8": "last", "flatten": "flat"},
])
def test_efficientnet_b0_matches_torchvision(torch: Any, tv: Any, nodes: Any) -> None:
    model, ref = _models(torch, "efficientnet_b0")
    _compare(torch, model, ref, nodes)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "efficientnet_b0",
                                  "shufflenet_v2_x0_5", "regnet_y_400mf", "squeezenet1_0"])
def test_graph_node_names_match_torchvision(torch: Any, tv: Any, name: str) -> None:
    import torchvision.models as TM
    from torchvision.models.feature_extraction import get_graph_node_names as tv_names

    model = getattr(EM, name)()
    ours = get_graph_node_names(model)
    expected = tv_names(getattr(TM, name)())
    assert ours[0] == expected[0]
    assert ours[1] == expected[1]
    assert model.training  # the mode is restored


def test_graph_node_names_of_transformers_match_torchvision(torch: Any, tv: Any) -> None:
    from torchvision.models import swin_transformer as TS
    from torchvision.models import vision_transformer as TV
    from torchvision.models.feature_extraction import get_graph_node_names as tv_names

    from ember.vision.models import swin_transformer as ES
    from ember.vision.models import vision_transformer as EV

    vit = dict(image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=16,
               mlp_dim=32)
    assert get_graph_node_names(EV.VisionTransformer(**vit)) == tv_names(
        TV.VisionTransformer(**vit))
    swin = dict(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                window_size=[4, 4], num_classes=10)
    assert get_graph_node_names(ES.SwinTransformer(**swin)) == tv_names(
        TS.SwinTransformer(**swin))
    v2 = dict(swin, block=ES.SwinTransformerBlockV2, downsample_layer=ES.PatchMergingV2)
    tv2 = dict(swin, block=TS.SwinTransformerBlockV2, downsample_layer=TS.PatchMergingV2)
    assert get_graph_node_names(ES.SwinTransformer(**v2)) == tv_names(TS.SwinTransformer(**tv2))


def test_weights_are_shared_and_modes_follow(torch: Any, tv: Any) -> None:
    model, _ = _models(torch, "resnet18")
    extractor = create_feature_extractor(model, ["layer1"])
    assert isinstance(extractor, fx.GraphModule)
    assert extractor.conv1 is model.conv1
    assert type(extractor).__name__ == "ResNet" and repr(extractor).startswith("ResNet(")
    assert not extractor.training  # the model's mode
    extractor.train()
    assert extractor.layer1.training
    extractor.eval()
    assert not extractor.bn1.training
    assert not model.training  # the model is left as it was


def test_train_and_eval_return_nodes(torch: Any, tv: Any) -> None:
    from torchvision.models.feature_extraction import create_feature_extractor as tv_create

    model, ref = _models(torch, "resnet18")
    nodes = dict(train_return_nodes=["layer1"], eval_return_nodes={"layer2.1.add": "deep"})
    extractor = create_feature_extractor(model, **nodes)
    theirs = tv_create(ref, **nodes)
    x, tx = _input(torch)
    extractor.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(tx)["deep"]
    assert list(extractor(x)) == ["deep"]
    assert_close(extractor(x)["deep"], expected, atol=2e-5, rtol=1e-4)
    extractor.train()
    with ember.no_grad():
        assert list(extractor(x)) == ["layer1"]
    # the module holds what either graph needs, as torchvision's
    assert list(extractor.state_dict()) == list(theirs.state_dict())
    assert extractor.code == extractor.train_graph.python_code("self").src


def test_copies_keep_both_graphs(torch: Any, tv: Any) -> None:
    model, _ = _models(torch, "resnet18")
    extractor = create_feature_extractor(model, train_return_nodes=["layer1"],
                                         eval_return_nodes=["layer2"])
    clone = copy.deepcopy(extractor)
    assert clone.conv1 is not model.conv1
    x = ember.randn(1, 3, 32, 32)
    clone.eval()
    extractor.eval()
    assert list(clone(x)) == ["layer2"]
    assert_close(clone(x)["layer2"], extractor(x)["layer2"])


def scale_by_sign(x: Any) -> Any:
    """Not traceable (data-dependent branch): kept whole through autowrap_functions."""
    return x * 2 if float(x.sum()) > 0 else x - 1


def _branching(nn: Any, torch_ns: Any) -> Any:
    """A module whose train and eval forward differ, calling the untraceable global
    function above and a submodule with data-dependent control flow."""

    class Gate(nn.Module):
        def forward(self, x: Any) -> Any:
            return x if float(x.mean()) > 0 else -x

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.gate = Gate()
            self.head = nn.Linear(4, 2)

        def forward(self, x: Any, scale: bool = True) -> Any:
            x = torch_ns.relu(self.conv(x))
            if self.training:
                x = x + 1
            x = self.gate(x)
            if scale:
                x = scale_by_sign(x)
            return self.head(x.mean((2, 3)))

    return Net, Gate


def test_tracer_kwargs_concrete_args_and_diff_warning(torch: Any, tv: Any) -> None:
    from torchvision.models import feature_extraction as TFE

    results = []
    for nn, ns, fe in ((torch.nn, torch, TFE), (ember.nn, ember, None)):
        net_cls, gate_cls = _branching(nn, ns)
        names = fe.get_graph_node_names if fe else get_graph_node_names
        create = fe.create_feature_extractor if fe else create_feature_extractor
        kwargs = {"leaf_modules": [gate_cls], "autowrap_functions": (scale_by_sign,)}
        net = net_cls()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nodes = names(net, tracer_kwargs=dict(kwargs), concrete_args={"scale": True})
        with warnings.catch_warnings(record=True) as quiet:
            warnings.simplefilter("always")
            names(net, tracer_kwargs=dict(kwargs), suppress_diff_warning=True,
                  concrete_args={"scale": False})
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            extractor = create(net.eval(), ["gate", "scale_by_sign", "head"],
                               tracer_kwargs=dict(kwargs), concrete_args={"scale": True})
        results.append((nodes, [str(w.message) for w in caught], len(quiet),
                        list(extractor.state_dict()), extractor.code))
    ours, theirs = results[1], results[0]
    assert ours[0] == theirs[0] and "gate" in ours[0][0] and "scale_by_sign" in ours[0][1]
    assert ours[1] == theirs[1] and "eval mode are a subsequence" in ours[1][0]
    assert ours[2] == theirs[2] == 0
    assert ours[3] == theirs[3]
    # the same generated code: guard of the concrete argument, the leaf, the wrapped function
    assert ours[4] == theirs[4].replace("torch", "ember")


def test_unknown_nodes_and_bad_arguments_raise(torch: Any, tv: Any) -> None:
    from torchvision.models.feature_extraction import create_feature_extractor as tv_create

    model, ref = _models(torch, "resnet18")
    for node in ("layer9", "layer1.0.add_1", "fc.weight", "add_3"):
        with pytest.raises(ValueError) as theirs:
            tv_create(ref, [node])
        with pytest.raises(ValueError, match=re.escape(str(theirs.value))):
            create_feature_extractor(model, [node])
    with pytest.raises(ValueError, match="^Either `return_nodes`"):
        create_feature_extractor(model)
    with pytest.raises(ValueError, match="^If any of .* both should be specified"):
        create_feature_extractor(model, train_return_nodes=["layer1"])
    with pytest.raises(ValueError, match="^If `train_return_nodes`.*both should be specified"):
        create_feature_extractor(model, ["layer1"], ["layer1"], ["layer1"])
    with pytest.raises(ValueError, match="eval_return_nodes` separately"):
        create_feature_extractor(model, train_return_nodes=["layer1"],
                                 eval_return_nodes=["nope"])
