"""ember.vision models and ops under ember.fx, against torchvision's under torch.fx: the
traced graphs list the same nodes (op, name, target) in the same order, which needs the
same computation order (ResNet's downsample after the last BatchNorm, ShuffleNet's channel
shuffle), the same wrapped functions (stochastic_depth, the RoI ops, DropBlock, Swin's
helpers) and ``ember._assert`` where torchvision calls ``torch._assert`` (ViT); the traced
modules compute what the models compute."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import ember
from ember import fx
from ember.testing import assert_close
from ember.vision import models as EM
from ember.vision import ops as EO


def _signature(gm: Any) -> list[tuple[str, str, str]]:
    return [(n.op, n.name, n.target if isinstance(n.target, str) else n.target.__name__)
            for n in gm.graph.nodes]


def _assert_same_graph(model: Any, ref: Any, torch: Any) -> Any:
    traced = fx.symbolic_trace(model)
    assert _signature(traced) == _signature(torch.fx.symbolic_trace(ref))
    return traced


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "shufflenet_v2_x0_5",
                                  "efficientnet_b0", "convnext_tiny", "googlenet"])
def test_model_graphs_match_torchvision(torch: Any, tv: Any, name: str) -> None:
    import torchvision.models as TM

    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    _assert_same_graph(getattr(EM, name)(**kwargs), getattr(TM, name)(**kwargs), torch)


def test_inception_v3_graph_matches_torchvision(torch: Any, tv: Any) -> None:
    import torchvision.models as TM

    kwargs = {"aux_logits": False, "init_weights": False}
    _assert_same_graph(EM.inception_v3(**kwargs), TM.inception_v3(**kwargs), torch)


def _same_weights(model: Any, ref: Any) -> None:
    model.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                           for k, v in ref.state_dict().items()})


def test_vision_transformer_traces_with_assert_nodes(torch: Any, tv: Any) -> None:
    from torchvision.models import vision_transformer as TV

    from ember.vision.models import vision_transformer as EV

    config = dict(image_size=32, patch_size=16, num_layers=2, num_heads=2, hidden_dim=16,
                  mlp_dim=32)
    torch.manual_seed(0)
    ref = TV.VisionTransformer(**config).eval()
    model = EV.VisionTransformer(**config).eval()
    _same_weights(model, ref)
    traced = _assert_same_graph(model, ref, torch)
    asserts = [n for n in traced.graph.nodes if n.target is ember._assert]
    assert len(asserts) == 5 and "ember._assert(" in traced.code
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with ember.no_grad():
        out = traced(ember.from_numpy(x))
        assert_close(out, model(ember.from_numpy(x)))
    with torch.no_grad():
        assert_close(out, ref(torch.from_numpy(x)), atol=2e-5, rtol=1e-4)
    # the recorded checks run when the traced module runs, with torchvision's message
    wrong = np.zeros((1, 3, 48, 32), dtype=np.float32)
    with pytest.raises(AssertionError) as theirs:
        torch.fx.symbolic_trace(ref)(torch.from_numpy(wrong))
    with pytest.raises(AssertionError, match=f"^{re.escape(str(theirs.value))}$"):
        traced(ember.from_numpy(wrong))
    with pytest.raises(AssertionError, match="^Input shape indivisible by patch size!$"):
        EV.VisionTransformer(**dict(config, image_size=40))


def test_swin_transformer_graphs_match_torchvision(torch: Any, tv: Any) -> None:
    from torchvision.models import swin_transformer as TS

    from ember.vision.models import swin_transformer as ES

    config = dict(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                  window_size=[4, 4], num_classes=10)
    for extra, tv_extra in (({}, {}),
                            ({"block": ES.SwinTransformerBlockV2,
                              "downsample_layer": ES.PatchMergingV2},
                             {"block": TS.SwinTransformerBlockV2,
                              "downsample_layer": TS.PatchMergingV2})):
        torch.manual_seed(0)
        ref = TS.SwinTransformer(**config, **tv_extra).eval()
        model = ES.SwinTransformer(**config, **extra).eval()
        _same_weights(model, ref)
        traced = _assert_same_graph(model, ref, torch)
        x = np.random.default_rng(1).standard_normal((1, 3, 36, 36)).astype(np.float32)
        with ember.no_grad():
            out = traced(ember.from_numpy(x))
        with torch.no_grad():
            assert_close(out, ref(torch.from_numpy(x)), atol=2e-5, rtol=1e-4)


def _ops_module(nn: Any, ops: Any, pooler: bool = True) -> Any:
    """The torchvision.ops modules whose functions torchvision wraps for torch.fx."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.align = ops.RoIAlign(2, 0.5, 2, True)
            self.pool = ops.RoIPool((2, 2), 0.5)
            self.ps_align = ops.PSRoIAlign(2, 1.0, 2)
            self.ps_pool = ops.PSRoIPool(2, 1.0)
            # p=0: the traced module's outputs can be compared (the draws are random)
            self.block2d = ops.DropBlock2d(0.0, 3)
            self.block3d = ops.DropBlock3d(0.0, 1)
            self.depth = ops.StochasticDepth(0.0, "row")
            if pooler:
                self.multi = ops.MultiScaleRoIAlign(["a", "b"], 2, 2)

        def forward(self, x: Any, boxes: Any) -> Any:
            out = [self.align(x, boxes), self.pool(x, boxes), self.ps_align(x, boxes),
                   self.ps_pool(x, boxes), self.block2d(x), self.block3d(x.unsqueeze(2)),
                   self.depth(x)]
            if pooler:
                out.append(self.multi({"a": x, "b": x[:, :, ::2, ::2]}, [boxes[:, 1:]],
                                      [(12, 12)]))
            return tuple(out)

    return Net


def test_ops_functions_are_single_nodes(torch: Any, tv: Any) -> None:
    import torchvision.ops as TO

    ours = fx.symbolic_trace(_ops_module(ember.nn, EO)())
    theirs = torch.fx.symbolic_trace(_ops_module(torch.nn, TO)())
    assert _signature(ours) == _signature(theirs)
    assert [n.meta.get("is_wrapped") for n in ours.graph.nodes] == [
        n.meta.get("is_wrapped") for n in theirs.graph.nodes]
    # the traced module computes what the functions compute
    rng = np.random.default_rng(2)
    x = rng.random((2, 8, 6, 6)).astype(np.float32)
    boxes = np.array([[0, 0.5, 0.5, 4.0, 5.0], [1, 1.0, 0.0, 6.0, 3.0]], dtype=np.float32)
    out = ours(ember.from_numpy(x), ember.from_numpy(boxes))
    expected = theirs(torch.from_numpy(x), torch.from_numpy(boxes))
    for o, e in zip(out, expected):
        assert_close(o, e, atol=1e-5, rtol=1e-5)


def test_multiscale_roi_align_caches_scales_as_torchvision(torch: Any, tv: Any) -> None:
    import torchvision.ops as TO

    rng = np.random.default_rng(3)
    feats = {k: rng.random((1, 2, s, s)).astype(np.float32) for k, s in (("a", 16), ("b", 8))}
    boxes = np.array([[1.0, 1.0, 30.0, 30.0], [2.0, 3.0, 9.0, 12.0]], dtype=np.float32)
    results = []
    for ops, wrap in ((EO, ember.from_numpy), (TO, torch.from_numpy)):
        pooler = ops.MultiScaleRoIAlign(["a", "b"], 2, 2)
        x = {k: wrap(v) for k, v in feats.items()}
        first = pooler(x, [wrap(boxes)], [(32, 32)])
        # a second call with other image sizes keeps the scales of the first
        second = pooler(x, [wrap(boxes)], [(64, 64)])
        results.append((first, second, list(pooler.scales)))
    assert results[0][2] == results[1][2]
    assert_close(results[0][0], results[1][0], atol=1e-5, rtol=1e-5)
    assert_close(results[0][1], results[1][1], atol=1e-5, rtol=1e-5)


def test_ember_assert_is_torch_assert(torch: Any) -> None:
    ember._assert(True, "unused")
    ember._assert(ember.tensor([1.0]) > 0, "unused")
    for condition in (False, 0, ember.tensor(0) == 1):
        with pytest.raises(AssertionError, match="^shape mismatch$"):
            ember._assert(condition, "shape mismatch")
    with pytest.raises(TypeError):
        ember._assert(True)  # the message is required, as in torch._assert
    with pytest.raises(TypeError):
        torch._assert(True)


def test_maxvit_graph_matches_torchvision(torch: Any, tv: Any) -> None:
    from torchvision.models import maxvit as TMV

    from ember.vision.models import maxvit as EMV

    config = dict(input_size=(32, 32), stem_channels=8, partition_size=2,
                  block_channels=[8, 16], block_layers=[1, 2], head_dim=4,
                  stochastic_depth_prob=0.2, num_classes=10)
    torch.manual_seed(0)
    ref = TMV.MaxVit(**config).eval()
    model = EMV.MaxVit(**config).eval()
    _same_weights(model, ref)
    traced = _assert_same_graph(model, ref, torch)
    x = np.random.default_rng(4).standard_normal((2, 3, 32, 32)).astype(np.float32)
    with ember.no_grad():
        out = traced(ember.from_numpy(x))
    with torch.no_grad():
        assert_close(out, ref(torch.from_numpy(x)), atol=2e-5, rtol=1e-4)
