"""Whole torchvision models saved with torch.save(model) load as Ember's models."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
tv = pytest.importorskip("torchvision")


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "squeezenet1_1"])
def test_torch_save_of_a_torchvision_model_loads_as_embers(name):
    torch.manual_seed(0)
    model = getattr(tv.models, name)().eval()
    buf = io.BytesIO()
    torch.save(model, buf)
    buf.seek(0)
    loaded = ember.load(buf, weights_only=False)
    assert type(loaded).__module__ == f"ember.vision.models.{type(model).__module__.split('.')[-1]}"
    assert type(loaded).__name__ == type(model).__name__
    assert list(loaded.state_dict()) == list(model.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.tensor(x)).numpy()
    with ember.no_grad():
        got = loaded.eval()(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_torchvision_class_without_a_counterpart_is_named():
    import pickle

    from ember.serialization import _map_torch_global

    with pytest.raises(pickle.UnpicklingError, match=r"torchvision\.nowhere\.Gadget has no Ember"):
        _map_torch_global("torchvision.nowhere", "Gadget")
