"""ember.vision.io against torchvision.io and Pillow: decoding in every read mode,
encoding, file round trips and errors."""

from __future__ import annotations

import io
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

MODES = ["UNCHANGED", "GRAY", "GRAY_ALPHA", "RGB", "RGB_ALPHA"]
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (23, 31, 3), dtype=np.uint8)
ALPHA = RNG.integers(0, 256, (23, 31), dtype=np.uint8)
GREY = RNG.integers(0, 256, (23, 31), dtype=np.uint8)


@pytest.fixture
def tio() -> Any:
    tv = torchvision_or_skip()
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # torchvision.io's notice
    return tv.io


def _encode(img: Image.Image, fmt: str, **options: Any) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **options)
    return buf.getvalue()


def _ember_bytes(data: bytes) -> ember.Tensor:
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def _same(ours: ember.Tensor, theirs: Any) -> None:
    a, b = ours.numpy(), theirs.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


PNG_SOURCES = {
    "RGB": lambda: Image.fromarray(RGB),
    "RGBA": lambda: Image.fromarray(np.dstack([RGB, ALPHA])),
    "L": lambda: Image.fromarray(GREY),
    "LA": lambda: Image.fromarray(np.dstack([GREY, ALPHA])),
    "1-bit": lambda: Image.fromarray(GREY > 128),
    "P": lambda: Image.fromarray(RGB).quantize(200),
}


@pytest.mark.parametrize("source", list(PNG_SOURCES))
@pytest.mark.parametrize("mode", MODES)
def test_decode_png_matches_torchvision(tio, source: str, mode: str) -> None:
    if source == "P" and mode in ("GRAY_ALPHA", "RGB_ALPHA"):
        pytest.skip("torchvision reads 3 palette channels into 4 there (its bug)")
    data = _encode(PNG_SOURCES[source](), "PNG")
    theirs = tio.decode_png(tio_bytes(data), mode=getattr(tio.ImageReadMode, mode))
    _same(eio.decode_png(_ember_bytes(data), mode=getattr(eio.ImageReadMode, mode)), theirs)
    _same(eio.decode_image(_ember_bytes(data), mode=mode.lower()), theirs)


def tio_bytes(data: bytes) -> Any:
    import torch

    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def test_decode_png_special_cases(tio) -> None:
    palette = Image.fromarray(RGB).quantize(200)
    data = _encode(palette, "PNG", transparency=3)  # a tRNS chunk gives the palette alpha
    for mode in ("RGB_ALPHA", "GRAY_ALPHA", "UNCHANGED", "RGB"):
        _same(eio.decode_image(_ember_bytes(data), mode), tio.decode_image(tio_bytes(data), mode))
    wide = RNG.integers(0, 65536, (9, 11)).astype(np.uint16)
    data = _encode(Image.fromarray(wide), "PNG")
    for mode in ("UNCHANGED", "GRAY", "RGB", "GRAY_ALPHA", "RGB_ALPHA"):
        ours = eio.decode_png(_ember_bytes(data), mode)
        assert ours.dtype == ember.uint16
        _same(ours, tio.decode_png(tio_bytes(data), mode))
    # libpng's grey weights: truncated (9794 R + 19234 G + 3740 B) / 2**15
    grey = eio.decode_png(_ember_bytes(_encode(Image.fromarray(RGB), "PNG")), "GRAY").numpy()[0]
    r, g, b = (RGB[..., i].astype(np.int64) for i in range(3))
    np.testing.assert_array_equal(grey, (9794 * r + 19234 * g + 3740 * b) >> 15)


@pytest.mark.parametrize("source", ["RGB", "L"])
def test_decode_jpeg_matches_torchvision(tio, source: str) -> None:
    data = _encode(Image.fromarray(RGB if source == "RGB" else GREY), "JPEG", quality=87)
    pil = np.asarray(Image.open(io.BytesIO(data)))
    for mode in ("UNCHANGED", "GRAY", "RGB"):
        theirs = tio.decode_jpeg(tio_bytes(data), mode=mode)
        _same(eio.decode_jpeg(_ember_bytes(data), mode=mode), theirs)
        _same(eio.decode_image(_ember_bytes(data), mode=mode), theirs)
    ours = eio.decode_jpeg(_ember_bytes(data)).numpy()
    np.testing.assert_array_equal(ours.transpose(1, 2, 0) if ours.shape[0] == 3 else ours[0], pil)
    for mode in ("GRAY_ALPHA", "RGB_ALPHA"):
        with pytest.raises(RuntimeError, match="not supported for JPEG"):
            eio.decode_jpeg(_ember_bytes(data), mode=mode)
        with pytest.raises(RuntimeError, match="not supported for JPEG"):
            tio.decode_jpeg(tio_bytes(data), mode=mode)
    listed = eio.decode_jpeg([_ember_bytes(data), _ember_bytes(data)], device="cpu")
    assert isinstance(listed, list) and len(listed) == 2
    _same(listed[1], tio.decode_jpeg(tio_bytes(data)))
    with pytest.raises(ValueError, match="at least one element"):
        eio.decode_jpeg([])


def test_decode_cmyk_jpeg(tio) -> None:
    data = _encode(Image.fromarray(RGB).convert("CMYK"), "JPEG")
    for mode in ("UNCHANGED", "RGB", "GRAY"):
        _same(eio.decode_image(_ember_bytes(data), mode), tio.decode_image(tio_bytes(data), mode))


def test_exif_orientation(tio) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = _encode(Image.fromarray(RGB), "JPEG", exif=exif.tobytes())
    for flag in (False, True):
        ours = eio.decode_image(_ember_bytes(data), apply_exif_orientation=flag)
        _same(ours, tio.decode_image(tio_bytes(data), apply_exif_orientation=flag))
    assert tuple(ours.shape) == (3, 31, 23)


def test_decode_gif_and_webp(tio) -> None:
    data = _encode(Image.fromarray(RGB), "GIF")
    _same(eio.decode_gif(_ember_bytes(data)), tio.decode_gif(tio_bytes(data)))
    _same(eio.decode_image(_ember_bytes(data), "GRAY"), tio.decode_image(tio_bytes(data), "GRAY"))
    frames = [Image.fromarray(RNG.integers(0, 256, (7, 9, 3), dtype=np.uint8)) for _ in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    ours = eio.decode_image(_ember_bytes(buf.getvalue()))
    assert tuple(ours.shape) == (3, 3, 7, 9)
    _same(ours, tio.decode_image(tio_bytes(buf.getvalue())))
    for arr in (RGB, np.dstack([RGB, ALPHA])):
        data = _encode(Image.fromarray(arr), "WEBP", lossless=True)
        for mode in ("UNCHANGED", "RGB", "RGB_ALPHA"):
            _same(eio.decode_webp(_ember_bytes(data), mode), tio.decode_webp(tio_bytes(data), mode))
            _same(eio.decode_image(_ember_bytes(data), mode),
                  tio.decode_image(tio_bytes(data), mode))
        with pytest.warns(UserWarning, match="grayscale"):
            ours = eio.decode_image(_ember_bytes(data), "GRAY")
        assert ours.shape[0] == arr.shape[2]


def test_other_pillow_formats_decode() -> None:
    for fmt in ("BMP", "TIFF"):
        data = _encode(Image.fromarray(RGB), fmt)
        np.testing.assert_array_equal(eio.decode_image(_ember_bytes(data)).numpy(),
                                      RGB.transpose(2, 0, 1))
        assert tuple(eio.decode_image(_ember_bytes(data), "GRAY").shape) == (1, 23, 31)


@pytest.mark.parametrize("channels", [1, 3])
def test_encode_jpeg_matches_torchvision_bytes(tio, channels: int) -> None:
    import torch

    chw = np.ascontiguousarray(RGB.transpose(2, 0, 1)[:channels])
    for quality in (1, 40, 75, 100):
        ours = eio.encode_jpeg(ember.from_numpy(chw), quality=quality)
        theirs = tio.encode_jpeg(torch.from_numpy(chw), quality=quality)
        _same(ours, theirs)
    batch = eio.encode_jpeg([ember.from_numpy(chw)] * 2)
    _same(batch[0], tio.encode_jpeg(torch.from_numpy(chw)))
    # a strided view encodes like its contiguous copy
    view = ember.from_numpy(RGB).permute(2, 0, 1)[:channels]
    _same(eio.encode_jpeg(view), tio.encode_jpeg(torch.from_numpy(chw)))


@pytest.mark.parametrize("channels", [1, 3])
def test_encode_png_round_trips(tio, channels: int) -> None:
    chw = np.ascontiguousarray(RGB.transpose(2, 0, 1)[:channels])
    for level in (0, 6, 9):
        encoded = eio.encode_png(ember.from_numpy(chw), compression_level=level)
        assert encoded.dtype == ember.uint8 and encoded.dim() == 1
        np.testing.assert_array_equal(tio.decode_png(tio_bytes(encoded.numpy().tobytes()))
                                      .numpy(), chw)
        pil = np.asarray(Image.open(io.BytesIO(encoded.numpy().tobytes())))
        np.testing.assert_array_equal(pil if channels == 3 else pil[None], chw.transpose(
            1, 2, 0) if channels == 3 else chw)


def test_write_and_read_files(tio, tmp_path: Path) -> None:
    chw = ember.from_numpy(np.ascontiguousarray(RGB.transpose(2, 0, 1)))
    written = eio.write_png(chw, str(tmp_path / "a.png"))
    assert (tmp_path / "a.png").read_bytes() == written.numpy().tobytes()
    _same(eio.read_image(tmp_path / "a.png"), tio.read_image(str(tmp_path / "a.png")))
    np.testing.assert_array_equal(eio.read_image(str(tmp_path / "a.png")).numpy(), chw.numpy())
    eio.write_jpeg(chw, tmp_path / "b.jpg", quality=90)
    for mode in ("UNCHANGED", "GRAY", "RGB"):
        _same(eio.read_image(tmp_path / "b.jpg", mode), tio.read_image(str(tmp_path / "b.jpg"),
                                                                       mode))
    data = eio.read_file(tmp_path / "b.jpg")
    _same(data, tio.read_file(str(tmp_path / "b.jpg")))
    assert eio.write_file(tmp_path / "c.bin", data) is data
    assert (tmp_path / "c.bin").read_bytes() == (tmp_path / "b.jpg").read_bytes()
    with pytest.raises(RuntimeError, match="No such file"):
        eio.read_file(tmp_path / "missing.png")


def test_read_modes_enum(tio) -> None:
    assert [m.name for m in eio.ImageReadMode] == [m.name for m in tio.ImageReadMode]
    assert [m.value for m in eio.ImageReadMode] == [m.value for m in tio.ImageReadMode]
    assert eio.ImageReadMode.RGBA is eio.ImageReadMode.RGB_ALPHA
    assert eio.ImageReadMode["RGBA"] is eio.ImageReadMode.RGB_ALPHA


def test_errors(tio) -> None:
    png = _encode(Image.fromarray(RGB), "PNG")
    jpeg = _encode(Image.fromarray(RGB), "JPEG")
    bad_inputs = [
        (eio.decode_image, _ember_bytes(b"definitely not an image file"), "Unsupported"),
        (eio.decode_image, _ember_bytes(png[:200]), "Out of bound read in decode_png"),
        (eio.decode_image, _ember_bytes(jpeg[:200]), "Image is incomplete or truncated"),
        (eio.decode_png, _ember_bytes(jpeg), "not png"),
        (eio.decode_jpeg, _ember_bytes(png), "Not a JPEG file: starts with 0x89 0x50"),
        (eio.decode_image, ember.zeros(5), "uint8"),
        (eio.decode_image, ember.zeros(0, dtype=ember.uint8), "non empty"),
    ]
    for fn, arg, match in bad_inputs:
        with pytest.raises(RuntimeError, match=match):
            fn(arg)
    import torch

    for shape, dtype, match in (((2, 4, 4), ember.uint8, "1 or 3"), ((4, 4), ember.uint8,
                                "3-dimensional"), ((3, 4, 4), ember.float32, "uint8")):
        for encode in (eio.encode_png, eio.encode_jpeg):
            with pytest.raises(RuntimeError, match=match):
                encode(ember.zeros(*shape, dtype=dtype))
        with pytest.raises(RuntimeError):
            tio.encode_png(torch.zeros(*shape, dtype=getattr(torch, str(dtype).split(".")[1])))
    with pytest.raises(RuntimeError, match="between 0 and 9"):
        eio.encode_png(ember.zeros(3, 4, 4, dtype=ember.uint8), compression_level=10)
    with pytest.raises(ValueError, match="between 1 and 100"):
        eio.encode_jpeg(ember.zeros(3, 4, 4, dtype=ember.uint8), quality=0)
    with pytest.raises(ValueError, match="at least one input tensor"):
        eio.encode_jpeg([])
