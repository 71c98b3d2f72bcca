"""PNG encoding that gives torchvision's bytes (its ``encode_png`` is libpng's default
writer): per row the adaptive filter with the smallest sum of absolute signed bytes,
zlib at the asked level with ``Z_FILTERED`` and a window shrunk to the image data,
libpng's rewrite of the zlib header's window field, and IDAT chunks of 8192 bytes.
Level 0 (stored blocks) decodes to the same pixels but its block split may differ."""

from __future__ import annotations

import struct
import zlib

import numpy as np

_IDAT_SIZE = 8192  # libpng's compression buffer: one IDAT chunk per full buffer


def _filter_rows(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Each row prefixed by its filter type, filtered the way libpng's heuristic picks."""
    h, width = rows.shape
    x = rows.astype(np.int16)
    up = np.vstack([np.zeros((1, width), np.int16), x[:-1]])
    left = np.hstack([np.zeros((h, bpp), np.int16), x[:, :-bpp]])
    upleft = np.hstack([np.zeros((h, bpp), np.int16), up[:, :-bpp]])
    p = left + up - upleft
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
    filtered = np.stack([x, x - left, x - up, x - (left + up) // 2, x - paeth]) & 0xFF
    cost = np.where(filtered > 127, 256 - filtered, filtered).sum(-1, dtype=np.int64)
    best = np.argmin(cost, 0)  # ties keep the first: None, Sub, Up, Average, Paeth
    chosen = filtered[best, np.arange(h)].astype(np.uint8)
    return np.hstack([best[:, None].astype(np.uint8), chosen])


def _window_bits(size: int) -> int:
    bits, half = 15, 1 << 14
    if size <= 16384:
        while size + 262 <= half:
            half >>= 1
            bits -= 1
    return max(bits, 9)  # zlib's deflate treats 8 as 9


def _fix_cmf(z: bytearray, size: int) -> None:
    """libpng's ``optimize_cmf``: the header names the smallest window the data needs."""
    cmf = z[0]
    if (cmf & 0x0F) != 8 or (cmf & 0xF0) > 0x70 or size > 16384:
        return
    cinfo = cmf >> 4
    half = 1 << (cinfo + 7)
    if size > half:
        return
    while True:
        half >>= 1
        cinfo -= 1
        if not (cinfo > 0 and size <= half):
            break
    z[0] = (cmf & 0x0F) | (cinfo << 4)
    z[1] &= 0xE0
    z[1] += 0x1F - ((z[0] << 8) + z[1]) % 0x1F


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png_bytes(hwc: np.ndarray, level: int) -> bytes:
    """PNG bytes of a uint8 (H, W, C) array, C = 1 (gray) or 3 (RGB)."""
    h, w, c = hwc.shape
    raw = _filter_rows(np.ascontiguousarray(hwc).reshape(h, w * c), c).tobytes()
    comp = zlib.compressobj(level, zlib.DEFLATED, _window_bits(len(raw)), 8, zlib.Z_FILTERED)
    z = bytearray(comp.compress(raw) + comp.flush())
    _fix_cmf(z, len(raw))
    header = struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 0, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header)]
    parts += [_chunk(b"IDAT", bytes(z[i:i + _IDAT_SIZE])) for i in range(0, len(z), _IDAT_SIZE)]
    parts.append(_chunk(b"IEND", b""))
    return b"".join(parts)
