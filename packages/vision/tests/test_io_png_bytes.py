"""encode_png/write_png give torchvision's (libpng's) bytes, and decoded images are
writable tensors (no read-only buffer warning)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))  # the helper module, under --import-mode=importlib
from _vision_helpers import torchvision_or_skip  # noqa: E402

import ember  # noqa: E402
from ember.vision import io as eio  # noqa: E402


@pytest.fixture
def tio() -> Any:
    return torchvision_or_skip().io


def _images() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (3, 13, 11), dtype=np.uint8)
    smooth = np.cumsum(rng.integers(0, 16, (3, 150, 200)), 2).astype(np.uint8)
    gray = np.cumsum(rng.integers(0, 9, (1, 97, 41)), 1).astype(np.uint8)
    return [noise, noise[:1], smooth, gray, noise[:, :1, :1]]


@pytest.mark.parametrize("level", [1, 6, 9])
def test_encode_png_bytes_match_torchvision(tio: Any, level: int) -> None:
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for chw in _images():
            ours = eio.encode_png(ember.from_numpy(chw), compression_level=level)
            theirs = tio.encode_png(torch.from_numpy(chw), compression_level=level)
            assert ours.numpy().tobytes() == theirs.numpy().tobytes(), chw.shape
    # a strided view encodes like its contiguous copy
    view = ember.from_numpy(np.ascontiguousarray(_images()[0].transpose(1, 2, 0)))
    assert (eio.encode_png(view.permute(2, 0, 1)).numpy().tobytes()
            == eio.encode_png(ember.from_numpy(_images()[0])).numpy().tobytes())


def test_write_png_bytes_match_torchvision(tio: Any, tmp_path: Path) -> None:
    import torch

    chw = _images()[2]
    eio.write_png(ember.from_numpy(chw), tmp_path / "a.png")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tio.write_png(torch.from_numpy(chw), str(tmp_path / "b.png"))
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_decoded_images_are_writable(tmp_path: Path, fmt: str) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    path = tmp_path / f"a.{fmt}"
    Image.fromarray(rgb).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        img = eio.read_image(path)
        gray = eio.read_image(path, eio.ImageReadMode.GRAY)
    assert img.numpy().flags.writeable and gray.numpy().flags.writeable
    img[0, 0, 0] = 7
    gray.add_(1)
    assert img[0, 0, 0].item() == 7
