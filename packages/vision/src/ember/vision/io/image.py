"""Image files to ``uint8`` tensors (C, H, W) and back, through Pillow.

Decoding follows torchvision's decoders (libpng, libjpeg) rather than Pillow's own
conversions where they differ: ``GRAY`` from colour PNG uses libpng's weights with
truncation, ``GRAY`` from JPEG is libjpeg's luma plane, a palette PNG read
``UNCHANGED`` gives its indices, tRNS chunks of non-palette PNGs are ignored, and
JPEG refuses the alpha modes. Beyond torchvision, any other format Pillow reads
(BMP, TIFF, ...) decodes too. 16-bit greyscale PNG gives ``uint16``; 16-bit colour
PNG is not supported (Pillow reduces it to 8 bits) and raises.
"""

from __future__ import annotations

import io
import os
import warnings
from enum import Enum
from typing import Any

import numpy as np

import ember
from ember.dtypes import _c10_name

from ._png_encode import encode_png_bytes

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_png", "encode_png", "write_png",
           "decode_jpeg", "encode_jpeg", "write_jpeg", "decode_gif", "decode_webp",
           "decode_image", "read_image"]


class ImageReadMode(Enum):
    """The channels to decode into; strings such as ``"RGB"`` work too.

    UNCHANGED keeps the file's channels; GRAY, GRAY_ALPHA, RGB and RGB_ALPHA (alias
    RGBA) convert.
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PNG_SIG = b"\x89PNG\r\n\x1a\n"
# libpng's png_set_rgb_to_gray(.., 0.2989, 0.587) in 1/32768 steps, truncated
_GRAY_WEIGHTS = (9794, 19234, 3740)


def _read_mode(mode: ImageReadMode | str) -> ImageReadMode:
    return ImageReadMode[mode.upper()] if isinstance(mode, str) else ImageReadMode(mode)


# torchvision's C++ checks name the op and their source line before the message
_CSRC = "/__w/vision/vision/pytorch/vision/torchvision/csrc/io/image/"


def _check_failed(op: str, where: str, msg: str) -> RuntimeError:
    """torchvision's failed ``STD_TORCH_CHECK``: ``op, <file>:<line>, msg``."""
    return RuntimeError(f"{op}, {_CSRC}{where}, {msg}")


def _encoded_bytes(op: str, input: Any) -> bytes:
    """The bytes of a 1-D uint8 tensor, checked as torchvision's decoders check them."""
    if not isinstance(input, ember.Tensor):
        raise TypeError(f"{op}: expected a tensor of encoded bytes, got {type(input).__name__}")
    if op == "decode_image":
        if input.dtype != ember.uint8:
            raise _check_failed(op, "cpu/decode_image.cpp:23", "Expected a ember.uint8 tensor")
        if input.dim() != 1 or input.numel() == 0:
            raise _check_failed(op, "cpu/decode_image.cpp:27",
                                "Expected a non empty 1-dimensional tensor")
    elif input.dtype != ember.uint8:
        raise _check_failed("validate_encoded_data", "common_stable.cpp:29",
                            f"Input tensor must have uint8 data type, got {_c10_name(input.dtype)}")
    elif input.dim() != 1 or input.numel() == 0:
        raise _check_failed("validate_encoded_data", "common_stable.cpp:33",
                            f"Input tensor must be 1-dimensional and non-empty, got "
                            f"{input.dim()} dims  and {input.numel()} numels.")
    return input.cpu().numpy().tobytes()


def _from_hwc(arr: np.ndarray) -> ember.Tensor:
    """(H, W, C) array -> (C, H, W) tensor, a permuted view as torchvision returns."""
    h, w = arr.shape[:2]
    # decoders may hand back read-only buffers: copy those, as the tensor must be writable;
    # a single channel added as [..., None] has stride 0 in NumPy: reshape gives it a real
    # one (torchvision's strides are (1, W, 1))
    arr = np.require(arr, requirements=["C", "W"])
    return ember.from_numpy(arr.reshape(h, w, -1)).permute(2, 0, 1)


def _bytes_tensor(data: bytes) -> ember.Tensor:
    return ember.from_numpy(np.frombuffer(data, dtype=np.uint8).copy())


def _open(op: str, data: bytes, draft: str | None = None) -> Any:
    from PIL import Image

    try:
        im = Image.open(io.BytesIO(data))
        if draft is not None:
            im.draft(draft, im.size)
        im.load()
    except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError on bad data
        if op in _DECODE_FAILED:
            raise _check_failed(*_DECODE_FAILED[op]) from e
        raise RuntimeError(f"{op}: could not decode the image, it is corrupt or truncated "
                           f"({type(e).__name__}: {e})") from e
    return im


# what torchvision's decoders (libpng, libjpeg, giflib, libwebp) report for bytes that pass
# the signature checks but do not decode: mostly truncated files
_DECODE_FAILED = {
    "decode_png": ("operator()", "cpu/decode_png.cpp:79",
                   "Out of bound read in decode_png. Probably, the input image is corrupted"),
    "decode_jpeg": ("decode_jpeg", "cpu/decode_jpeg.cpp:171", "Image is incomplete or truncated"),
    "decode_gif": ("decode_gif", "cpu/decode_gif.cpp:84", "DGifSlurp() failed - 102"),
    "decode_webp": ("decode_webp", "cpu/decode_webp.cpp:85", "WebPDecodeRGB[A] failed."),
}


def _png_chunks_fit(data: bytes) -> bool:
    """Whether every chunk up to the image data's end lies within ``data`` (libpng reads
    them all, CRCs included; a missing IEND is not read, so not missed)."""
    pos, n, seen_idat = 8, len(data), False
    while pos < n:
        if pos + 8 > n:
            return seen_idat
        length, kind = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8]
        if kind != b"IDAT" and seen_idat or kind == b"IEND":
            return seen_idat
        if pos + 12 + length > n:
            return False
        seen_idat |= kind == b"IDAT"
        pos += 12 + length
    return seen_idat


def _orient(im: Any, apply_exif_orientation: bool) -> Any:
    if not apply_exif_orientation:
        return im
    from PIL import ImageOps

    return ImageOps.exif_transpose(im)


def _rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    wr, wg, wb = _GRAY_WEIGHTS
    return ((wr * r + wg * g + wb * b) >> 15).astype(rgb.dtype)


def _planes(im: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """The image as (grey (H, W, 1) or colour (H, W, 3), alpha (H, W, 1) or None)."""
    mode = im.mode
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"))[:, :, None], None
    if mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey ("I" in older Pillow)
        return np.asarray(im).astype(np.uint16)[:, :, None], None
    if mode == "LA":
        a = np.asarray(im)
        return a[:, :, :1], a[:, :, 1:]
    if mode == "RGB":
        return np.asarray(im), None
    if mode == "P" and "transparency" not in im.info:
        return np.asarray(im.convert("RGB")), None
    a = np.asarray(im.convert("RGBA"))
    return a[:, :, :3], a[:, :, 3:]


def _convert(color: np.ndarray, alpha: np.ndarray | None, mode: ImageReadMode,
             opaque: int | None = None) -> np.ndarray:
    """Apply a read mode to planes from :func:`_planes`; a missing alpha is ``opaque``
    (default: the dtype's maximum)."""
    if mode == ImageReadMode.UNCHANGED:
        return color if alpha is None else np.concatenate([color, alpha], axis=2)
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        color = color if color.shape[2] == 1 else _rgb_to_gray(color)[:, :, None]
    else:
        color = color if color.shape[2] == 3 else np.repeat(color, 3, axis=2)
    if mode in (ImageReadMode.GRAY, ImageReadMode.RGB):
        return color
    if alpha is None:
        fill = np.iinfo(color.dtype).max if opaque is None else opaque
        alpha = np.full(color.shape[:2] + (1,), fill, dtype=color.dtype)
    return np.concatenate([color, alpha.astype(color.dtype)], axis=2)


# --------------------------------------------------------------------------- files

def read_file(path: str | os.PathLike) -> ember.Tensor:
    """The bytes of a file as a 1-D ``uint8`` tensor; an empty file is a RuntimeError, as
    in torchvision."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _check_failed("read_file", "cpu/read_write_file.cpp:78", str(e)) from e
    if not data:
        raise _check_failed("read_file", "cpu/read_write_file.cpp:83", "Expected a non empty file")
    return _bytes_tensor(data)


def write_file(filename: str | os.PathLike, data: ember.Tensor) -> ember.Tensor:
    """Write a 1-D ``uint8`` tensor's bytes to ``filename``; returns ``data``."""
    if data.dtype != ember.uint8:
        raise _check_failed("write_file", "cpu/read_write_file.cpp:118",
                            "Input tensor dtype should be uint8")
    if data.dim() != 1:
        raise _check_failed("write_file", "cpu/read_write_file.cpp:123",
                            "Input data should be a 1-dimensional tensor")
    raw = data.cpu().numpy().tobytes()
    with open(filename, "wb") as f:
        f.write(raw)
    return data


# --------------------------------------------------------------------------- PNG

def decode_png(input: ember.Tensor, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode PNG bytes into a (C, H, W) ``uint8`` tensor (``uint16`` for 16-bit grey)."""
    return _from_hwc(_decode_png(_encoded_bytes("decode_png", input), _read_mode(mode),
                                 apply_exif_orientation))


def _decode_png(data: bytes, mode: ImageReadMode, exif: bool) -> np.ndarray:
    if len(data) < 8:
        raise _check_failed("decode_png", "cpu/decode_png.cpp:64", "Content is too small for png!")
    if not data.startswith(_PNG_SIG):
        raise _check_failed("decode_png", "cpu/decode_png.cpp:66", "Content is not png!")
    if len(data) >= 26 and data[24] == 16 and data[25] != 0:
        raise RuntimeError("decode_png: 16-bit colour PNGs are not supported (Pillow reads "
                           "them as 8-bit); only 16-bit greyscale is")
    if not _png_chunks_fit(data):
        raise _check_failed(*_DECODE_FAILED["decode_png"])
    im = _orient(_open("decode_png", data), exif)
    if mode == ImageReadMode.UNCHANGED and im.mode == "P":
        return np.asarray(im)  # palette indices, as libpng gives them untransformed
    color, alpha = _planes(im)
    # libpng's added alpha is (1 << bit_depth) - 1 even for 1/2/4-bit grey expanded to 8
    bit_depth, color_type = (data[24], data[25]) if len(data) >= 26 else (8, 2)
    opaque = (1 << bit_depth) - 1 if color_type == 0 and bit_depth < 8 else None
    return _convert(color, alpha, mode, opaque)


# source lines of the encoders' dtype, dim and channel checks
_IMAGE_CHECK_LINES = {"encode_png": (126, 131, 140), "encode_jpeg": (74, 79, 88)}


def _check_image(op: str, input: Any) -> np.ndarray:
    """A (C, H, W) ``uint8`` tensor with C in {1, 3} as an (H, W, C) array."""
    if not isinstance(input, ember.Tensor):
        raise TypeError(f"{op}: expected a tensor, got {type(input).__name__}")
    lines = _IMAGE_CHECK_LINES[op]
    if input.dtype != ember.uint8:
        raise _check_failed(op, f"cpu/{op}.cpp:{lines[0]}", "Input tensor dtype should be uint8")
    if input.dim() != 3:
        raise _check_failed(op, f"cpu/{op}.cpp:{lines[1]}",
                            "Input data should be a 3-dimensional tensor")
    if input.shape[0] not in (1, 3):
        raise _check_failed(op, f"cpu/{op}.cpp:{lines[2]}",
                            f"The number of channels should be 1 or 3, got: {input.shape[0]}")
    arr = input.cpu().numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)


def _encode(arr: np.ndarray, fmt: str, **options: Any) -> ember.Tensor:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt, **options)
    return _bytes_tensor(buf.getvalue())


def encode_png(input: ember.Tensor, compression_level: int = 6) -> ember.Tensor:
    """Encode a (C, H, W) ``uint8`` tensor (C = 1 or 3) as PNG bytes (1-D ``uint8``)."""
    if not 0 <= compression_level <= 9:
        raise _check_failed("encode_png", "cpu/encode_png.cpp:118",
                            "Compression level should be between 0 and 9")
    arr = _check_image("encode_png", input)
    return _bytes_tensor(encode_png_bytes(arr if arr.ndim == 3 else arr[:, :, None],
                                          compression_level))


def write_png(input: ember.Tensor, filename: str | os.PathLike,
              compression_level: int = 6) -> ember.Tensor:
    """Encode as PNG and write to ``filename``; returns the encoded bytes."""
    return write_file(filename, encode_png(input, compression_level))


# --------------------------------------------------------------------------- JPEG

def _decode_jpeg(data: bytes, mode: ImageReadMode, exif: bool) -> np.ndarray:
    if data[:2] != b"\xff\xd8":
        first = " ".join(f"0x{b:02x}" for b in data[:2])
        raise _check_failed("decode_jpeg", "cpu/decode_jpeg.cpp:171",
                            f"Not a JPEG file: starts with {first}")
    if mode in (ImageReadMode.GRAY_ALPHA, ImageReadMode.RGB_ALPHA):
        raise _check_failed("decode_jpeg", "cpu/decode_jpeg.cpp:212",
                            "The provided mode is not supported for JPEG files")
    im = _open("decode_jpeg", data)
    if mode == ImageReadMode.GRAY and im.mode not in ("L", "CMYK"):
        im = _open("decode_jpeg", data, draft="L")  # libjpeg's own luma output
    im = _orient(im, exif)
    if im.mode == "CMYK":
        if mode == ImageReadMode.UNCHANGED:
            cmyk = np.asarray(im)
            # Pillow inverts Adobe CMYK; the decoder's raw samples are the stored ones
            return 255 - cmyk if "adobe" in im.info else cmyk
        im = im.convert("RGB")
        if mode == ImageReadMode.GRAY:  # via RGB, with the ITU-R 601 luma weights
            return np.asarray(im.convert("L"))[:, :, None]
    color, _ = _planes(im)
    return _convert(color, None, mode)


def decode_jpeg(input: ember.Tensor | list[ember.Tensor],
                mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
                device: str | ember.device = "cpu",
                apply_exif_orientation: bool = False) -> ember.Tensor | list[ember.Tensor]:
    """Decode JPEG bytes (or a list of them) into (C, H, W) ``uint8`` tensors on ``device``."""
    read_mode = _read_mode(mode)
    if isinstance(input, list):
        if len(input) == 0:
            raise ValueError("Input list must contain at least one element")
        if not all(isinstance(t, ember.Tensor) for t in input):
            raise ValueError("All elements of the input list must be tensors.")
        return [decode_jpeg(t, read_mode, device, apply_exif_orientation) for t in input]
    out = _from_hwc(_decode_jpeg(_encoded_bytes("decode_jpeg", input), read_mode,
                                 apply_exif_orientation))
    return out if ember.device(device).type == "cpu" else out.to(device)


def encode_jpeg(input: ember.Tensor | list[ember.Tensor],
                quality: int = 75) -> ember.Tensor | list[ember.Tensor]:
    """Encode (C, H, W) ``uint8`` tensors (C = 1 or 3) as JPEG bytes at ``quality`` 1..100."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    if isinstance(input, list):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [encode_jpeg(t, quality) for t in input]
    return _encode(_check_image("encode_jpeg", input), "JPEG", quality=quality)


def write_jpeg(input: ember.Tensor, filename: str | os.PathLike,
               quality: int = 75) -> ember.Tensor:
    """Encode as JPEG and write to ``filename``; returns the encoded bytes."""
    return write_file(filename, encode_jpeg(input, quality))


# --------------------------------------------------------------------------- GIF, WebP, any

def _decode_gif(data: bytes) -> ember.Tensor:
    from PIL import ImageSequence

    head = 13 + ((3 << ((data[10] & 7) + 1)) if len(data) > 10 and data[10] & 0x80 else 0)
    if len(data) < head:  # the screen descriptor and global colour table
        raise _check_failed("decode_gif", "cpu/decode_gif.cpp:76",
                            "DGifOpenFileName() failed - 104")
    im = _open("decode_gif", data)
    try:
        frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    except Exception as e:  # noqa: BLE001 - a later frame cut short (OSError, IndexError)
        raise _check_failed(*_DECODE_FAILED["decode_gif"]) from e
    if len(frames) == 1:
        return _from_hwc(frames[0])
    return ember.from_numpy(np.ascontiguousarray(np.stack(frames))).permute(0, 3, 1, 2)


def decode_gif(input: ember.Tensor) -> ember.Tensor:
    """Decode a GIF into (3, H, W), or (N, 3, H, W) for N > 1 frames, ``uint8``."""
    data = _encoded_bytes("decode_gif", input)
    # giflib's DGifOpen codes: 102 read failed, 103 not a GIF, 104 no screen descriptor
    if len(data) < 6 or not data.startswith((b"GIF87a", b"GIF89a")):
        code = 102 if len(data) < 6 else 103
        raise _check_failed("decode_gif", "cpu/decode_gif.cpp:76", f"DGifOpenFileName() failed - {code}")
    return _decode_gif(data)


def _decode_webp(data: bytes, mode: ImageReadMode) -> np.ndarray:
    # libwebp's WebPGetFeatures: 7 (not enough data) for a RIFF start too short to hold the
    # bitstream's header, 3 (bad data) for anything that is not RIFF/WEBP
    riff = data[:4] == b"RIFF"[:len(data)] and data[8:12] == b"WEBP"[:max(len(data) - 8, 0)]
    if not riff or len(data) < (25 if data[12:16] == b"VP8L" else 30):
        raise _check_failed("decode_webp", "cpu/decode_webp.cpp:56",
                            f"WebPGetFeatures failed with error code {7 if riff else 3}")
    if mode in (ImageReadMode.GRAY, ImageReadMode.GRAY_ALPHA):
        warnings.warn("Webp does not support grayscale conversions. The returned tensor will "
                      "be in the colorspace of the original image.", stacklevel=3)
        mode = ImageReadMode.UNCHANGED
    color, alpha = _planes(_open("decode_webp", data))
    return _convert(color, alpha, mode)


def decode_webp(input: ember.Tensor,
                mode: ImageReadMode | str = ImageReadMode.UNCHANGED) -> ember.Tensor:
    """Decode WebP bytes into a (3 or 4, H, W) ``uint8`` tensor."""
    return _from_hwc(_decode_webp(_encoded_bytes("decode_webp", input), _read_mode(mode)))


def decode_image(input: ember.Tensor | str | os.PathLike,
                 mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> ember.Tensor:
    """Decode an image, from a path or from a 1-D ``uint8`` tensor of its bytes.

    JPEG, PNG, GIF and WebP decode as torchvision does; other formats that Pillow
    reads are converted to the requested ``mode`` in the same way as PNG.
    """
    if not isinstance(input, ember.Tensor):
        input = read_file(str(input))
    data = _encoded_bytes("decode_image", input)
    read_mode = _read_mode(mode)
    # torchvision checks each signature only once there are bytes enough for it, refusing
    # shorter data at the check's own line
    n = len(data)
    if n < 3:
        raise _unsupported(37)
    if data[:3] == b"\xff\xd8\xff":
        return _from_hwc(_decode_jpeg(data, read_mode, apply_exif_orientation))
    if n < 4:
        raise _unsupported(43)
    if data[:4] == _PNG_SIG[:4]:
        return _from_hwc(_decode_png(data, read_mode, apply_exif_orientation))
    if n < 6:
        raise _unsupported(52)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _decode_gif(data)
    if n < 15:
        raise _unsupported(61)
    if data[:4] == b"RIFF" and data[8:15] == b"WEBPVP8":
        return _from_hwc(_decode_webp(data, read_mode))
    try:
        im = _orient(_open("decode_image", data), apply_exif_orientation)
    except RuntimeError as e:
        raise _unsupported(67) from e
    color, alpha = _planes(im if im.mode in ("1", "L", "LA", "RGB", "RGBA", "P", "I;16")
                           else im.convert("RGBA" if "A" in im.mode else "RGB"))
    return _from_hwc(_convert(color, alpha, read_mode))


def _unsupported(line: int) -> RuntimeError:
    return _check_failed("decode_image", f"cpu/decode_image.cpp:{line}",
                         "Unsupported image file. Only jpeg, png, webp and gif are currently "
                         "supported. For avif and heic format, please rely on `decode_avif` "
                         "and `decode_heic` directly.")


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> ember.Tensor:
    """Read an image file into a (C, H, W) ``uint8`` tensor (see :func:`decode_image`)."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)
