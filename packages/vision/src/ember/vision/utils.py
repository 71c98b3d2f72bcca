"""``ember.vision.utils``: image grids and drawing on image tensors.

``make_grid`` works on the tensor's own backend arrays and reproduces torchvision's
numbers exactly (the normalisation is rounded like PyTorch's scalar kernels). The
drawing functions draw with Pillow, as torchvision does, and return a tensor on the
input's device.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any, BinaryIO

import numpy as np

import ember
from ember._tensor import make

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks",
           "draw_keypoints", "flow_to_image"]

_Color = str | tuple[int, int, int]

# PyTorch's names of integer dtypes in its cast errors: the C++ type (in-place clamp of
# make_grid's normalize) and the ScalarType (save_image's in-place add)
_CPP_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int",
              "int32": "int", "int64": "long int", "bool": "bool"}
_SCALAR_NAMES = {"uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                 "int64": "Long", "bool": "Long"}  # bool * 255 is int64


def _opmath(dtype: np.dtype) -> np.dtype:
    """The type PyTorch computes in for a floating dtype (float32 for half types)."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def _is_float(dtype: np.dtype) -> bool:
    """Floating dtypes, bfloat16 (a void-kind NumPy extension dtype) included."""
    return dtype.kind == "f" or dtype.name == "bfloat16"


def _op(x: Any, dtype: np.dtype) -> Any:
    """One PyTorch elementwise result in ``dtype``: computed in the opmath type, rounded to
    ``dtype`` (a no-op for float32/float64; half types round after every operation) and
    handed back in the opmath type for the next one."""
    return x.astype(dtype).astype(_opmath(dtype))


def _integer_normalize_error(dtype: np.dtype, value_range: tuple | None) -> str:
    """PyTorch's error for normalizing an integer grid in place: float bounds fail in
    ``clamp_`` (C++ type name), int bounds pass it unless they overflow the dtype (bool
    fails on the Long scalar), then ``div_`` fails (ScalarType name)."""
    if value_range is None or not all(isinstance(v, int) for v in value_range):
        return (f"result type Float can't be cast to the desired output type "
                f"{_CPP_NAMES.get(dtype.name, dtype.name)}")
    if dtype == np.bool_:
        return "result type Long can't be cast to the desired output type bool"
    info = np.iinfo(dtype)
    for v in value_range:  # c10's checked conversion lets -v wrap into an unsigned type
        if v > info.max or (v < info.min and not (info.min == 0 and -v <= info.max)):
            return f"value cannot be converted to type {dtype.name}_t without overflow"
    return (f"result type Float can't be cast to the desired output type "
            f"{_SCALAR_NAMES[dtype.name]}")


def _complex_clamp_error(dtype: np.dtype, min_all: bool) -> str:
    """PyTorch's NotImplementedError for a complex image: its min (normalizing without
    ``value_range``) or its clamp_."""
    if min_all:
        name = "ComplexDouble" if dtype == np.complex128 else "ComplexFloat"
        return f"\"min_all\" not implemented for '{name}'"
    return "clamp is not supported for complex types"


def _normalize(x: Any, xp: Any, value_range: tuple | None, scale_each: bool) -> Any:
    """Clamp to [low, high], subtract low and divide by max(high - low, 1e-5) (per image
    with ``scale_each``); low/high default to the min/max. Rounds as PyTorch does."""
    if not _is_float(x.dtype):
        if x.dtype.kind == "c":  # min() / clamp_() have no complex kernels
            raise NotImplementedError(_complex_clamp_error(x.dtype, value_range is None))
        raise RuntimeError(_integer_normalize_error(x.dtype, value_range))
    op = _opmath(x.dtype)
    axes = tuple(range(1, x.ndim)) if scale_each else None
    shape = (-1,) + (1,) * (x.ndim - 1) if scale_each else ()
    if value_range is not None:
        low = xp.asarray(float(value_range[0]), dtype=np.float64)
        high = xp.asarray(float(value_range[1]), dtype=np.float64)
    else:  # the min and max are exact in Python floats
        low = x.min(axis=axes).astype(np.float64)
        high = x.max(axis=axes).astype(np.float64)
    span = xp.maximum(high - low, 1e-5).astype(op).reshape(shape)  # computed in Python floats
    lo, hi = low.astype(x.dtype).reshape(shape), high.astype(x.dtype).reshape(shape)
    clamped = xp.minimum(xp.maximum(x, lo), hi).astype(op)
    # in-place sub_ (PyTorch adds a scalar in the tensor's dtype, so a half/bfloat16 image
    # subtracts the rounded low), then div_ (by the span in opmath)
    shifted = _op(clamped - lo.astype(op), x.dtype)
    return (shifted / span).astype(x.dtype)


def _grid_shape_error(ndim: int, shape: tuple) -> None:
    """torchvision's errors for a batch that is not 4-D: reading ``size(2)`` of a 1-D tensor,
    copying a 4-D image into a 3-D grid cell."""
    if ndim < 4:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got 2)")
    # the same copy_ as torchvision's: its broadcast error names the mismatched sizes
    ember.empty(*shape[1:4]).copy_(ember.zeros(()).expand(*shape[1:]))
    raise RuntimeError(f"output with shape {list(shape[1:4])} doesn't match the broadcast "
                       f"shape {list(shape[1:])}")


def make_grid(tensor: ember.Tensor | list[ember.Tensor], nrow: int = 8, padding: int = 2,
              normalize: bool = False, value_range: tuple[int, int] | None = None,
              scale_each: bool = False, pad_value: float = 0.0) -> ember.Tensor:
    """Tile a mini-batch (B, C, H, W) or a list of images into one (C, H', W') image.

    Args:
        tensor: a 4-D batch, a list of same-sized images, or one 2-D/3-D image.
        nrow: images per row of the grid.
        padding: pixels between (and around) the images.
        normalize: shift and scale to [0, 1] by ``value_range`` or the min and max.
        value_range: ``(min, max)`` used by ``normalize``.
        scale_each: normalize each image by its own min and max.
        pad_value: value of the padding pixels.
    """
    if not ember.is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not ember.is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing "
                                    f"{type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    with ember.no_grad():
        if isinstance(tensor, list):
            tensor = ember.stack(tensor, dim=0)
        if tensor.dim() == 2:
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 3:
            if tensor.size(0) == 1:
                tensor = ember.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 4 and tensor.size(1) == 1:
            tensor = ember.cat((tensor, tensor, tensor), 1)
        xp = tensor._device._backend.xp
        if normalize is True:
            if value_range is not None and not isinstance(value_range, tuple):
                raise TypeError("value_range has to be a tuple (min, max) if specified. min and "
                                "max are numbers")
            tensor = make(_normalize(tensor._data, xp, value_range, scale_each), tensor._device)
        if tensor.size(0) == 1:
            return tensor.squeeze(0)
        x = tensor._data
        if x.ndim != 4:
            _grid_shape_error(x.ndim, tuple(tensor.shape))
        n, c, h, w = x.shape
        xmaps = min(nrow, n)
        ymaps = int(math.ceil(float(n) / xmaps))
        height, width = h + padding, w + padding
        # every cell holds its image at the bottom right of `padding` pad pixels
        cells = xp.full((ymaps * xmaps, c, height, width), pad_value, dtype=x.dtype)
        cells[:n, :, padding:, padding:] = x
        tiled = cells.reshape(ymaps, xmaps, c, height, width).transpose(2, 0, 3, 1, 4).reshape(
            c, ymaps * height, xmaps * width)
        grid = xp.full((c, height * ymaps + padding, width * xmaps + padding), pad_value,
                       dtype=x.dtype)
        grid[:, :ymaps * height, :xmaps * width] = tiled
        return make(grid, tensor._device)


def save_image(tensor: ember.Tensor | list[ember.Tensor],
               fp: str | os.PathLike | BinaryIO, format: str | None = None,
               **kwargs: Any) -> None:
    """Save a float image (or a batch, as a :func:`make_grid` grid) in [0, 1] to ``fp``.

    ``format`` is needed when ``fp`` is a file object; ``kwargs`` go to ``make_grid``.
    """
    from PIL import Image

    grid = make_grid(tensor, **kwargs)
    arr = grid._host()
    if grid.is_complex():
        raise NotImplementedError(_complex_clamp_error(arr.dtype, False))
    if not grid.is_floating_point():
        name = str(grid.dtype).rsplit(".", 1)[-1]
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_SCALAR_NAMES.get(name, name)}")
    op = _opmath(arr.dtype)
    # scale to [0, 255] and add 0.5 so that the cast to uint8 rounds to nearest (each step
    # rounded to the image's dtype, as PyTorch's in-place ops do)
    scaled = _op(_op(arr.astype(op) * op.type(255), arr.dtype) + op.type(0.5), arr.dtype)
    ndarr = np.clip(scaled, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr[:, :, 0] if ndarr.shape[2] == 1 else ndarr).save(fp, format=format)


# --------------------------------------------------------------------------- colours

def _generate_color_palette(num_objects: int) -> list[tuple[int, int, int]]:
    palette = (2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1)
    return [tuple((i * p) % 255 for p in palette) for i in range(num_objects)]


def _parse_colors(colors: None | _Color | list[_Color], *, num_objects: int,
                  floating: bool = False) -> list[tuple]:
    """One RGB tuple per object: generated, repeated from one colour, or from a list."""
    from PIL import ImageColor

    generated = colors is None
    if generated:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:
        colors = [colors] * num_objects
    parsed = [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]
    if floating and generated:  # torchvision's palette is int64 tensors: v / 255 in float32
        parsed = [tuple(float(np.float32(v) / np.float32(255)) for v in c) for c in parsed]
    elif floating:  # [0, 255] -> [0, 1]
        parsed = [tuple(v / 255 for v in c) for c in parsed]
    return parsed


# --------------------------------------------------------------------------- images <-> PIL

def _check_drawable(image: Any, channels: tuple[int, ...], what: str) -> None:
    if not isinstance(image, ember.Tensor):
        raise TypeError(f"{what}, got {type(image)}")
    if not (image.dtype == ember.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.size(0) not in channels:
        raise ValueError("Only grayscale and RGB images are supported" if len(channels) > 1
                         else "Pass an RGB image. Other Image formats are not supported")


def _to_uint8_hwc(image: ember.Tensor) -> np.ndarray:
    """(C, H, W) uint8 or float in [0, 1] -> (H, W, C) uint8, as to_dtype(scale=True)."""
    arr = image._host()
    if _is_float(arr.dtype):
        op = _opmath(arr.dtype)
        arr = _op(arr.astype(op) * op.type(255 + 1.0 - 1e-3), arr.dtype).astype(np.uint8)
    return np.ascontiguousarray(arr.transpose(1, 2, 0))


def _from_uint8_hwc(arr: np.ndarray, like: ember.Tensor) -> ember.Tensor:
    """(H, W, C) uint8 -> (C, H, W) in ``like``'s dtype (floats scaled to [0, 1]): a permuted
    view of a channels-last array (strides ``(1, W * C, C)``), as torchvision returns."""
    hwc = np.array(arr)  # a writable copy of PIL's buffer
    if like.is_floating_point():
        np_dtype = like._host().dtype
        op = _opmath(np_dtype)
        hwc = (hwc.astype(op) * op.type(1.0 / 255)).astype(np_dtype)
    out = ember.from_numpy(hwc).permute(2, 0, 1)
    return out if like.device.type == "cpu" else out.to(like.device)


def _dashed_line(draw: Any, start: tuple, end: tuple, fill: Any, width: int,
                 dash: float = 5.0, gap: float = 5.0) -> None:
    """A line of ``dash``-long strokes separated by ``gap``-long spaces, walked stroke by
    stroke from the current point (so that rounding, and the pixels, follow torchvision)."""
    (x, y), (x2, y2) = start, end
    remaining = math.hypot(x2 - x, y2 - y)
    stroke = True
    while remaining > 0:
        step = min(remaining, dash if stroke else gap)
        angle = math.atan2(y2 - y, x2 - x)
        nx, ny = x + math.cos(angle) * step, y + math.sin(angle) * step
        if stroke:
            draw.line([(x, y), (nx, ny)], fill=fill, width=width)
        remaining -= step
        x, y = nx, ny
        stroke = not stroke


def _oriented_rectangle(draw: Any, xy: list, outline: Any, fill: Any, width: int) -> None:
    """A rotated box (x1, y1, ..., x4, y4): first edge dashed to mark the orientation; the
    fill is blended over the edges (drawn last, as torchvision does)."""
    points = [(xy[i], xy[i + 1]) for i in range(0, len(xy), 2)]
    _dashed_line(draw, points[0], points[1], outline, width)
    for i in range(1, len(points)):
        draw.line([points[i], points[(i + 1) % len(points)]], fill=outline, width=width)
    if fill is not None:
        draw.polygon(points, fill=fill, outline=None, width=0)


# --------------------------------------------------------------------------- drawing

def draw_bounding_boxes(image: ember.Tensor, boxes: ember.Tensor,
                        labels: list[str] | None = None,
                        colors: list[_Color] | _Color | None = None, fill: bool | None = False,
                        width: int = 1, font: str | None = None, font_size: int | None = None,
                        label_colors: list[_Color] | _Color | None = None,
                        label_background_colors: list[_Color] | _Color | None = None,
                        fill_labels: bool = False) -> ember.Tensor:
    """Draw boxes (N, 4) as ``(xmin, ymin, xmax, ymax)``, or rotated boxes (N, 8), on a
    (C, H, W) ``uint8`` or float image (C = 1 or 3); returns a new (3, H, W) image.

    Colours are PIL names, ``"#RRGGBB"`` or RGB tuples (generated when None); ``fill``
    fills the boxes with the colour at alpha 100; ``labels`` are written at each box's
    top left in ``font`` (a TrueType file; ``font_size`` needs it) or Pillow's default.
    """
    from PIL import Image, ImageDraw, ImageFont

    _check_drawable(image, (1, 3), "Tensor expected")
    barr = boxes._host()
    if barr.shape[-1] == 4 and barr.ndim < 2:  # torchvision indexes boxes[:, 0]
        raise IndexError(f"too many indices for tensor of dimension {barr.ndim}")
    if barr.shape[-1] == 4 and barr.size and (
            (barr[:, 0] > barr[:, 2]).any() or (barr[:, 1] > barr[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "ember.vision.ops.box_convert to convert them")
    num_boxes = barr.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn", stacklevel=2)
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
                         "Please specify labels for each box.")
    box_colors = _parse_colors(colors, num_objects=num_boxes)
    if label_colors or fill_labels:
        text_colors = _parse_colors(label_colors if label_colors else "black",
                                    num_objects=num_boxes)
    else:
        text_colors = list(box_colors)
    if fill_labels and label_background_colors:
        bg_colors = _parse_colors(label_background_colors, num_objects=num_boxes)
    else:
        bg_colors = list(box_colors)
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.",
                          stacklevel=2)
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)

    hwc = _to_uint8_hwc(image)
    if hwc.shape[2] == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    canvas = Image.fromarray(hwc, mode="RGB")
    draw = ImageDraw.Draw(canvas, "RGBA" if fill else None)
    # float boxes are truncated toward zero, like .to(int64)
    for bbox, color, label, text_color, bg_color in zip(
            barr.astype(np.int64).tolist(), box_colors, labels, text_colors, bg_colors):
        fill_color = color + (100,) if fill else None
        if len(bbox) > 4:
            _oriented_rectangle(draw, bbox, outline=color, fill=fill_color, width=width)
        else:
            draw.rectangle(bbox, width=width, outline=color, fill=fill_color)
        if label is not None:
            box_margin = 1
            margin = width + box_margin
            origin = (bbox[0] + margin, bbox[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(origin, label, font=txt_font)
                draw.rectangle((left - box_margin, top - box_margin, right + box_margin,
                                bottom + box_margin), fill=bg_color)
            draw.text(origin, label, fill=text_color, font=txt_font)
    return _from_uint8_hwc(np.asarray(canvas), image)


def draw_segmentation_masks(image: ember.Tensor, masks: ember.Tensor, alpha: float = 0.8,
                            colors: list[_Color] | _Color | None = None) -> ember.Tensor:
    """Blend boolean masks (N, H, W) or (H, W) onto a (3, H, W) ``uint8`` or float image.

    Each mask's pixels take its colour (later masks win; pixels under several masks
    become black), then ``out = image * (1 - alpha) + painted * alpha``.
    """
    _check_drawable(image, (3,), "The image must be a tensor")
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks.dtype != ember.bool:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError("The image and the masks must have the same height and width")
    num_masks = masks.size(0)
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn", stacklevel=2)
        return image
    img = image._host()
    m = masks._host()
    floating = _is_float(img.dtype)
    palette = np.asarray(_parse_colors(colors, num_objects=num_masks, floating=floating),
                         dtype=np.float64).astype(img.dtype)  # (N, 3), as torch.tensor(color)
    # the last mask covering a pixel gives its colour; overlaps are painted black
    last = num_masks - 1 - np.argmax(m[::-1], axis=0)
    covered, overlap = m.any(axis=0), m.sum(axis=0) > 1
    painted = np.where(covered[None], palette[last].transpose(2, 0, 1), img)
    painted = np.where(overlap[None], np.zeros((), img.dtype), painted)
    # uint8 images blend in float32 (the product's dtype); float ones round every operation
    dt = img.dtype if floating else np.dtype(np.float32)
    op = _opmath(dt)
    out = (_op(img.astype(op) * op.type(1 - alpha), dt)
           + _op(painted.astype(op) * op.type(alpha), dt))
    result = ember.from_numpy(out.astype(dt).astype(img.dtype))
    return result if image.device.type == "cpu" else result.to(image.device)


def draw_keypoints(image: ember.Tensor, keypoints: ember.Tensor,
                   connectivity: list[tuple[int, int]] | None = None,
                   colors: _Color | None = None, radius: int = 2, width: int = 3,
                   visibility: ember.Tensor | None = None) -> ember.Tensor:
    """Draw keypoints (num_instances, K, 2) as ``(x, y)`` discs of ``radius``, joined by
    lines of ``width`` for the ``connectivity`` pairs, on a (3, H, W) image.

    Invisible keypoints (``visibility`` False) and their connections are not drawn.
    """
    from PIL import Image, ImageDraw

    _check_drawable(image, (3,), "The image must be a tensor")
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        vis = np.ones(tuple(keypoints.shape[:-1]), dtype=bool)
    else:
        vis = visibility._host()
        if vis.ndim == 3:
            vis = vis.squeeze(-1)
        if vis.ndim != 2:
            raise ValueError(f"visibility must be of shape (num_instances, K). Got "
                             f"ndim={vis.ndim}")
        if vis.shape != tuple(keypoints.shape[:-1]):
            raise ValueError("keypoints and visibility must have the same dimensionality for "
                             f"num_instances and K. Got visibility.shape={ember.Size(vis.shape)!r}"
                             f" and keypoints.shape={keypoints.shape!r}")
        vis = vis.astype(bool)
    canvas = Image.fromarray(_to_uint8_hwc(image))
    draw = ImageDraw.Draw(canvas)
    points = keypoints._host().astype(np.int64).tolist()
    for inst, inst_vis in zip(points, vis.tolist()):
        for (x, y), visible in zip(inst, inst_vis):
            if visible:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for a, b in connectivity or ():
            if inst_vis[a] and inst_vis[b]:
                draw.line((tuple(inst[a]), tuple(inst[b])), width=width)
    return _from_uint8_hwc(np.asarray(canvas), image)


# --------------------------------------------------------------------------- optical flow

def flow_to_image(flow: ember.Tensor) -> ember.Tensor:
    """Colour an optical flow (2, H, W) or (N, 2, H, W) float32: the hue gives the direction
    (Middlebury colour wheel) and the saturation the length relative to the longest vector.
    Returns uint8 images (3, H, W) or (N, 3, H, W)."""
    if flow.dtype != ember.float32:
        raise ValueError(f"Flow should be of dtype ember.float, got {flow.dtype}.")
    orig_shape = flow.shape
    if flow.ndim == 3:
        flow = flow[None]
    if flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(f"Input flow should have shape (2, H, W) or (N, 2, H, W), got "
                         f"{orig_shape}.")
    with ember.no_grad():
        max_norm = ember.sum(flow.pow(2), dim=1).sqrt().max()
        img = _normalized_flow_to_image(flow / (max_norm + ember.finfo(flow.dtype).eps))
    return img[0] if len(orig_shape) == 3 else img


def _normalized_flow_to_image(flow: ember.Tensor) -> ember.Tensor:
    """(N, 2, H, W) flow of length at most 1 -> (N, 3, H, W) uint8 colours: the direction
    interpolates linearly between the two nearest wheel colours, and shorter vectors are
    paler (``1 - length * (1 - colour)``)."""
    wheel = _make_colorwheel().to(flow.device)
    num_cols = wheel.shape[0]
    norm = ember.sum(flow.pow(2), dim=1).sqrt()
    angle = ember.atan2(-flow[:, 1, :, :], -flow[:, 0, :, :]) / ember.pi
    fk = (angle + 1) / 2 * (num_cols - 1)
    k0 = ember.floor(fk).to(ember.int64)
    k1 = k0 + 1
    k1 = ember.where(k1 == num_cols, ember.zeros_like(k1), k1)
    f = fk - k0
    channels = []
    for c in range(wheel.shape[1]):  # the 3 colour channels
        tmp = wheel[:, c]
        col = (1 - f) * (tmp[k0] / 255.0) + f * (tmp[k1] / 255.0)
        col = 1 - norm * (1 - col)
        channels.append(ember.floor(255 * col).to(ember.uint8))
    return ember.stack(channels, dim=1)


def _make_colorwheel() -> ember.Tensor:
    """The 55 float32 RGB colours of the Middlebury flow colour wheel (Baker et al., ICCV
    2007): red-yellow 15, yellow-green 6, green-cyan 4, cyan-blue 11, blue-magenta 13,
    magenta-red 6, each a ramp of ``floor(255 * i / n)``."""
    def ramp(n: int) -> np.ndarray:
        return np.floor((np.arange(n) * 255).astype(np.float32) / np.float32(n))

    full = np.float32(255)
    parts = []
    for n, r, g, b in ((15, full, ramp, 0), (6, "down", full, 0), (4, 0, full, ramp),
                       (11, 0, "down", full), (13, ramp, 0, full), (6, full, 0, "down")):
        seg = np.zeros((n, 3), dtype=np.float32)
        for ch, spec in enumerate((r, g, b)):
            if spec is ramp:
                seg[:, ch] = ramp(n)
            elif isinstance(spec, str):
                seg[:, ch] = full - ramp(n)
            else:
                seg[:, ch] = spec
        parts.append(seg)
    return ember.from_numpy(np.concatenate(parts))
