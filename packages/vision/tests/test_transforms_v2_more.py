"""GaussianNoise, JPEG and UniformTemporalSubsample (and their functionals) against
torchvision.transforms.v2: seeded runs give the same values (Ember's generator follows
PyTorch's CPU stream), the noise has the asked statistics, the JPEG round trip matches
torchvision's bytes-level codec, and the reprs and argument errors are torchvision's."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import ember
import ember.vision.transforms.v2 as E2
import ember.vision.transforms.v2.functional as EF2
from ember.vision import tv_tensors as EV

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules, under --import-mode=importlib
from _transforms_helpers import (  # noqa: E402
    assert_same,
    both,
    float_array,
    oracle,
    pil_image,
    seed_all,
    uint8_array,
)


@pytest.fixture
def tv() -> tuple[Any, Any]:
    return oracle()


def _smooth_uint8(*shape: int, seed: int = 0) -> np.ndarray:
    """An image JPEG can compress (ramps plus noise), so the round trip changes it a little."""
    rng = np.random.default_rng(seed)
    ramp = np.cumsum(rng.integers(0, 20, shape), axis=-1) % 256
    return ramp.astype(np.uint8)


def _seeded(seed: int, fn: Any, *args: Any, **kwargs: Any) -> Any:
    seed_all(seed)
    return fn(*args, **kwargs)


# ------------------------------------------------------------------ gaussian noise
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8"])
@pytest.mark.parametrize("clip", [True, False])
@pytest.mark.parametrize("mean,sigma", [(0.0, 0.1), (0.3, 0.5), (-0.2, 0.0)])
def test_gaussian_noise_matches_torchvision(tv: Any, dtype: str, clip: bool, mean: float,
                                            sigma: float) -> None:
    torch, torchvision = tv
    TF = torchvision.transforms.v2.functional
    arr = uint8_array(2, 3, 9, 11, seed=3) if dtype == "uint8" else float_array(
        2, 3, 9, 11, seed=3, dtype=np.dtype(dtype))
    ours_in, theirs_in = both(arr)
    for seed in (0, 4):
        ours = _seeded(seed, EF2.gaussian_noise, ours_in, mean=mean, sigma=sigma, clip=clip)
        theirs = _seeded(seed, TF.gaussian_noise, theirs_in, mean=mean, sigma=sigma, clip=clip)
        assert_same(ours, theirs, 0.0, f"seed {seed}")
    assert_same(ours_in, theirs_in)  # not in place


def test_gaussian_noise_kernels_and_types(tv: Any) -> None:
    torch, torchvision = tv
    TF, TV = torchvision.transforms.v2.functional, torchvision.tv_tensors
    arr = float_array(4, 3, 6, 5, seed=1)
    ours_video, theirs_video = EV.Video(ember.from_numpy(arr)), TV.Video(torch.from_numpy(arr))
    ours = _seeded(2, EF2.gaussian_noise_video, ours_video, 0.1, 0.2)
    theirs = _seeded(2, TF.gaussian_noise_video, theirs_video, 0.1, 0.2)
    assert_same(ours, theirs)
    ours = _seeded(2, EF2.gaussian_noise, ours_video, sigma=0.2)
    assert isinstance(ours, EV.Video)
    assert_same(ours, _seeded(2, TF.gaussian_noise, theirs_video, sigma=0.2))
    image = EV.Image(ember.from_numpy(arr[0]))
    assert isinstance(EF2.gaussian_noise(image), EV.Image)
    assert_same(_seeded(5, EF2.gaussian_noise_image, image.as_subclass(ember.Tensor)),
                _seeded(5, TF.gaussian_noise_image, torch.from_numpy(arr[0])))
    mask = EV.Mask(ember.ones(6, 5, dtype=ember.uint8))
    with pytest.raises(TypeError):  # as torchvision's functional: no kernel for masks
        EF2.gaussian_noise(mask)
    assert E2.GaussianNoise()(mask) is mask  # the transform passes them through


def test_gaussian_noise_errors(tv: Any) -> None:
    torch, torchvision = tv
    TF = torchvision.transforms.v2.functional
    cases = [
        (lambda F, t: F.gaussian_noise(t.zeros(3, 4, 4), sigma=-1.0), "float"),
        (lambda F, t: F.gaussian_noise(t.zeros(3, 4, 4, dtype=t.int16)), "int16"),
        (lambda F, t: F.gaussian_noise(pil_image(4, 4)), "pil"),
    ]
    for call, what in cases:
        with pytest.raises(Exception) as theirs:
            call(TF, torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(EF2, ember)
        expected = str(theirs.value).replace("torch.", "ember.")
        assert str(ours.value) == expected, what


@pytest.mark.parametrize("dtype", [ember.float32, ember.uint8])
def test_gaussian_noise_statistics(dtype: Any) -> None:
    ember.manual_seed(0)
    base = ember.full((4, 3, 64, 64), 0.5 if dtype.is_floating_point else 128, dtype=dtype)
    out = EF2.gaussian_noise(base, mean=0.1, sigma=0.05, clip=False)
    scale = 1.0 if dtype.is_floating_point else 255.0
    noise = (out.double() - base.double()) / scale
    assert out.dtype == dtype and out.shape == base.shape
    tol = 0.003 if dtype.is_floating_point else 0.006  # uint8 noise is truncated to integers
    assert abs(noise.mean().item() - (0.1 if dtype.is_floating_point else 0.1 - 0.5 / 255)) < tol
    assert abs(noise.std().item() - 0.05) < tol
    clipped = EF2.gaussian_noise(ember.zeros(3, 32, 32), mean=0.0, sigma=1.0)
    assert clipped.min().item() == 0.0 and clipped.max().item() <= 1.0
    assert (clipped == 0).double().mean().item() > 0.4  # about half fall below 0


def test_gaussian_noise_transform(tv: Any) -> None:
    torch, torchvision = tv
    T2, TV = torchvision.transforms.v2, torchvision.tv_tensors
    img, mask = float_array(3, 10, 12, seed=7), uint8_array(10, 12, seed=8) % 2
    boxes = np.array([[1, 2, 8, 9]], np.float32)
    ours_sample = {"image": EV.Image(ember.from_numpy(img)), "mask": EV.Mask(ember.from_numpy(mask)),
                   "boxes": EV.BoundingBoxes(ember.from_numpy(boxes), format="XYXY",
                                             canvas_size=(10, 12))}
    theirs_sample = {"image": TV.Image(torch.from_numpy(img)), "mask": TV.Mask(torch.from_numpy(mask)),
                     "boxes": TV.BoundingBoxes(torch.from_numpy(boxes), format="XYXY",
                                               canvas_size=(10, 12))}
    for args in [(), (0.2, 0.3, False)]:
        ours = _seeded(3, E2.GaussianNoise(*args), ours_sample)
        theirs = _seeded(3, T2.GaussianNoise(*args), theirs_sample)
        assert_same(ours, theirs)
        assert repr(E2.GaussianNoise(*args)) == repr(T2.GaussianNoise(*args))
    with pytest.raises(ValueError, match="not implemented for PIL"):
        E2.GaussianNoise()(pil_image(5, 5))


# ------------------------------------------------------------------ JPEG
@pytest.mark.parametrize("shape", [(3, 17, 23), (1, 16, 16), (2, 3, 9, 30), (2, 2, 1, 8, 8),
                                   (0, 3, 8, 8)])
@pytest.mark.parametrize("quality", [1, 35, 75, 100])
def test_jpeg_matches_torchvision(tv: Any, shape: tuple, quality: int) -> None:
    torch, torchvision = tv
    TF = torchvision.transforms.v2.functional
    ours_in, theirs_in = both(_smooth_uint8(*shape, seed=quality))
    ours = EF2.jpeg(ours_in, quality)
    assert_same(ours, TF.jpeg(theirs_in, quality))
    assert_same(ours_in, theirs_in)
    if ours_in.numel() and quality < 100:
        assert not ember.equal(ours, ours_in)  # lossy: the round trip changes pixels


def test_jpeg_kernels_pil_and_errors(tv: Any) -> None:
    torch, torchvision = tv
    TF, TV = torchvision.transforms.v2.functional, torchvision.tv_tensors
    arr = _smooth_uint8(3, 3, 12, 14, seed=1)
    ours = EF2.jpeg(EV.Video(ember.from_numpy(arr)), quality=40)
    assert isinstance(ours, EV.Video)
    assert_same(ours, TF.jpeg(TV.Video(torch.from_numpy(arr)), quality=40))
    assert_same(EF2.jpeg_video(ember.from_numpy(arr), 40), TF.jpeg_video(torch.from_numpy(arr), 40))
    assert_same(EF2.jpeg_image(ember.from_numpy(arr[0]), 60),
                TF.jpeg_image(torch.from_numpy(arr[0]), 60))
    for mode in ("RGB", "L"):
        pil = pil_image(13, 11, mode, seed=2)
        ours_pil, theirs_pil = EF2.jpeg(pil, 50), TF.jpeg(pil, 50)
        assert type(ours_pil) is Image.Image
        assert_same(ours_pil, theirs_pil)
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=50)
        assert np.array_equal(np.asarray(ours_pil), np.asarray(Image.open(buffer)))
    boxes = EV.BoundingBoxes(ember.tensor([[1.0, 1, 4, 4]]), format="XYXY", canvas_size=(8, 8))
    with pytest.raises(TypeError):  # as torchvision's functional: no kernel for boxes
        EF2.jpeg(boxes, 50)
    with pytest.raises(Exception) as theirs:
        TF.jpeg(torch.zeros(3, 8, 8), 50)
    with pytest.raises(type(theirs.value)):
        EF2.jpeg(ember.zeros(3, 8, 8), 50)


def test_jpeg_transform_draws_quality_like_torchvision(tv: Any) -> None:
    torch, torchvision = tv
    T2 = torchvision.transforms.v2
    ours_in, theirs_in = both(_smooth_uint8(3, 24, 24, seed=4))
    for quality in [(5, 95), 30, [20, 21]]:
        assert repr(E2.JPEG(quality)) == repr(T2.JPEG(quality))
        for seed in (0, 1, 2, 3):
            assert_same(_seeded(seed, E2.JPEG(quality), ours_in),
                        _seeded(seed, T2.JPEG(quality), theirs_in), what=f"{quality} {seed}")
    seen = set()
    transform = E2.JPEG((10, 12))
    for seed in range(30):
        ember.manual_seed(seed)
        seen.add(transform.make_params([])["quality"])
    assert seen == {10, 11, 12}


@pytest.mark.parametrize("quality", [True, (1, 2, 3), 5.0, (0, 5), (5, 3), (2.0, 5), (50, 101),
                                     "ab"])
def test_jpeg_argument_errors(tv: Any, quality: Any) -> None:
    torch, torchvision = tv
    with pytest.raises(Exception) as theirs:
        torchvision.transforms.v2.JPEG(quality)
    with pytest.raises(type(theirs.value)) as ours:
        E2.JPEG(quality)
    assert str(ours.value) == str(theirs.value)


# ------------------------------------------------------------------ temporal subsampling
@pytest.mark.parametrize("frames,num_samples", [(8, 4), (7, 3), (5, 5), (3, 7), (1, 4), (16, 1),
                                                (30, 13)])
def test_uniform_temporal_subsample_matches_torchvision(tv: Any, frames: int,
                                                        num_samples: int) -> None:
    torch, torchvision = tv
    TF, TV = torchvision.transforms.v2.functional, torchvision.tv_tensors
    # frame t holds the value t, so the picked frames are visible in the result
    arr = np.broadcast_to(np.arange(frames, dtype=np.float32)[:, None, None, None],
                          (frames, 2, 3, 4)).copy()
    ours_in, theirs_in = both(arr)
    assert_same(EF2.uniform_temporal_subsample(ours_in, num_samples),
                TF.uniform_temporal_subsample(theirs_in, num_samples))
    batched = np.stack([arr, arr + 100])
    ours = EF2.uniform_temporal_subsample(EV.Video(ember.from_numpy(batched)), num_samples)
    assert isinstance(ours, EV.Video)
    assert_same(ours, TF.uniform_temporal_subsample(TV.Video(torch.from_numpy(batched)),
                                                    num_samples))
    assert_same(EF2.uniform_temporal_subsample_video(ember.from_numpy(batched), num_samples),
                TF.uniform_temporal_subsample_video(torch.from_numpy(batched), num_samples))


def test_uniform_temporal_subsample_transform(tv: Any) -> None:
    torch, torchvision = tv
    T2, TV = torchvision.transforms.v2, torchvision.tv_tensors
    video, image = float_array(2, 9, 3, 4, 5, seed=5), float_array(3, 4, 5, seed=6)
    ours = E2.UniformTemporalSubsample(4)({"video": EV.Video(ember.from_numpy(video)),
                                          "image": EV.Image(ember.from_numpy(image))})
    theirs = T2.UniformTemporalSubsample(4)({"video": TV.Video(torch.from_numpy(video)),
                                            "image": TV.Image(torch.from_numpy(image))})
    assert_same(ours, theirs)  # the image passes through
    assert_same(E2.UniformTemporalSubsample(3)(ember.from_numpy(video[0])),
                T2.UniformTemporalSubsample(3)(torch.from_numpy(video[0])))
    assert repr(E2.UniformTemporalSubsample(4)) == repr(T2.UniformTemporalSubsample(4))


def test_public_names_match_torchvision(tv: Any) -> None:
    torch, torchvision = tv
    names = ["gaussian_noise", "gaussian_noise_image", "gaussian_noise_video", "jpeg",
             "jpeg_image", "jpeg_video", "uniform_temporal_subsample",
             "uniform_temporal_subsample_video"]
    for name in names:
        assert hasattr(torchvision.transforms.v2.functional, name)
        assert name in EF2.__all__ and callable(getattr(EF2, name))
    for name in ["GaussianNoise", "JPEG", "UniformTemporalSubsample"]:
        assert name in E2.__all__ and hasattr(torchvision.transforms.v2, name)
