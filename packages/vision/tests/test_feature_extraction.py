"""models.feature_extraction against torchvision's: with the same weights, the extractor of
ResNet-18 and MobileNetV3-small returns the same keys (in torchvision's order) and values,
holds the same state_dict keys as torchvision's truncated graph module, follows train/eval
node sets, and rejects functional nodes with a clear error. get_graph_node_names lists the
module nodes of torchvision's traced names, in the same order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close
from ember.vision import models as EM
from ember.vision.models.feature_extraction import (
    create_feature_extractor,
    get_graph_node_names,
)


def _models(torch: Any, name: str) -> tuple[Any, Any]:
    import torchvision.models as TM

    torch.manual_seed(0)
    ref = getattr(TM, name)()
    with torch.no_grad():  # BatchNorm statistics that are not the identity
        for module in ref.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 1.5)
    model = getattr(EM, name)()
    model.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in ref.state_dict().items()})
    return model.eval(), ref.eval()


def _input(torch: Any, size: int = 64) -> tuple[Any, Any]:
    x = np.random.default_rng(0).random((2, 3, size, size)).astype(np.float32)
    return ember.from_numpy(x), torch.from_numpy(x)


def _compare(torch: Any, model: Any, ref: Any, nodes: Any, state_keys: bool = True) -> None:
    from torchvision.models.feature_extraction import create_feature_extractor as tv_create

    ours, theirs = create_feature_extractor(model, nodes), tv_create(ref, nodes)
    x, tx = _input(torch)
    out = ours(x)
    with torch.no_grad():
        expected = theirs(tx)
    assert isinstance(out, dict)
    assert list(out) == list(expected)
    for key in expected:
        assert_close(out[key], expected[key], atol=2e-5, rtol=1e-4)
    if state_keys:
        assert list(ours.state_dict()) == list(theirs.state_dict())


@pytest.mark.parametrize("nodes", [
    {"layer1": "feat1", "layer4": "out"},
    ["layer2", "avgpool"],
    {"layer4": "b", "layer1": "a"},  # outputs come in execution order, as torchvision's
    ["x", "conv1", "layer1.0.relu", "layer1.0.relu_1", "layer3.1.bn2"],
    ["fc"],
])
def test_resnet18_matches_torchvision(torch: Any, tv: Any, nodes: Any) -> None:
    model, ref = _models(torch, "resnet18")
    _compare(torch, model, ref, nodes)


@pytest.mark.parametrize("nodes", [
    ["features.0", "features.3", "features.12"],
    {"features.4.block.1": "se", "avgpool": "pool"},
    ["features.9.block.0"],
])
def test_mobilenet_v3_small_matches_torchvision(torch: Any, tv: Any, nodes: Any) -> None:
    model, ref = _models(torch, "mobilenet_v3_small")
    _compare(torch, model, ref, nodes)


def test_graph_node_names_are_torchvisions_module_nodes(torch: Any, tv: Any) -> None:
    from torchvision.models.feature_extraction import get_graph_node_names as tv_names

    for name in ("resnet18", "mobilenet_v3_small"):
        model, ref = _models(torch, name)
        train, evaluation = get_graph_node_names(model)
        expected = tv_names(ref)[0]
        assert train == evaluation
        # every module node of torchvision's trace, in its order; the rest are functional ops
        assert train == [n for n in expected if n in set(train)]
        missing = [n for n in expected if n not in set(train)]
        assert all(n.rsplit(".", 1)[-1].split("_")[0] in ("add", "flatten", "relu", "mul")
                   for n in missing), missing


def test_weights_are_shared_and_modes_follow(torch: Any, tv: Any) -> None:
    model, _ = _models(torch, "resnet18")
    extractor = create_feature_extractor(model, ["layer1"])
    assert extractor.conv1 is model.conv1
    assert type(extractor).__name__ == "FeatureExtractor" and repr(extractor).startswith("ResNet(")
    extractor.train()
    assert model.training and model.layer1.training
    extractor.eval()
    assert not model.training and not model.bn1.training


def test_train_and_eval_return_nodes(torch: Any, tv: Any) -> None:
    model, _ = _models(torch, "resnet18")
    extractor = create_feature_extractor(model, train_return_nodes=["layer1"],
                                         eval_return_nodes={"layer2": "deep"})
    x, _ = _input(torch)
    extractor.eval()
    assert list(extractor(x)) == ["deep"]
    extractor.train()
    with ember.no_grad():
        assert list(extractor(x)) == ["layer1"]
    assert "layer2.1.bn2.weight" in extractor.state_dict()


def test_functional_nodes_and_bad_arguments_raise(torch: Any, tv: Any) -> None:
    model, _ = _models(torch, "resnet18")
    for node in ("layer1.0.add", "flatten", "add", "layer9"):
        with pytest.raises(ValueError, match=f"node: '{node}'.*only module outputs"):
            create_feature_extractor(model, [node])
    with pytest.raises(ValueError, match="Either `return_nodes`"):
        create_feature_extractor(model)
    with pytest.raises(ValueError, match="both should be specified"):
        create_feature_extractor(model, train_return_nodes=["layer1"])
    with pytest.raises(ValueError, match="both should be specified"):
        create_feature_extractor(model, ["layer1"], ["layer1"], ["layer1"])
    extractor = create_feature_extractor(model, ["layer1.0.relu_7"])
    with pytest.raises(RuntimeError, match="never produced"):
        extractor(_input(torch)[0])
