"""Turn what users log (Ember tensors, NumPy arrays, Python numbers, matplotlib figures)
into NumPy arrays, and lay images out as TensorBoard shows them (HWC, grids of images).

Nothing here imports torch: the writer must work with Ember and NumPy alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._tensor import Tensor

__all__ = ["make_np", "make_grid", "convert_to_HWC", "prepare_video", "figure_to_image"]


def make_np(x: Any) -> np.ndarray:
    """A NumPy array of ``x``: arrays pass through, a scalar becomes a 1-element array and an
    Ember tensor is detached and copied to the host (bfloat16 as float16, as PyTorch does)."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if isinstance(x, Tensor):
        if x.device.type == "meta":
            return np.random.randn(1)
        if str(x.dtype) == "ember.bfloat16":
            x = x.to(dtype=_float16())
        return x.detach().cpu().numpy()
    raise NotImplementedError(
        f"Got {type(x)}, but numpy array or torch tensor are expected.")


def _float16() -> Any:
    from ... import dtypes
    return dtypes.float16


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Tile ``N x C x H x W`` images (C of 1 or 3) row by row into one ``3 x H' x W'`` image,
    ``min(N, ncols)`` per row, the last row padded with zeros."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.ndim == 4 and images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = int(np.ceil(float(n) / ncols)) if n else 0
    padded = np.zeros((nrows * ncols, 3, h, w), dtype=images.dtype)
    padded[:n] = images
    # (rows, cols, C, H, W) -> (C, rows, H, cols, W): one copy, no loop over images
    grid = padded.reshape(nrows, ncols, 3, h, w).transpose(2, 0, 3, 1, 4)
    return np.ascontiguousarray(grid.reshape(3, nrows * h, ncols * w))


def convert_to_HWC(tensor: np.ndarray, input_format: str) -> np.ndarray:  # noqa: N802
    """An ``H x W x 3`` (or ``x 4``) image of ``tensor`` laid out as ``input_format``
    (``NCHW``/``NHWC`` make a grid, ``CHW``/``HWC`` keep it, ``HW`` is grey)."""
    if len(set(input_format)) != len(input_format):
        raise AssertionError("You can not use the same dimension shorthand twice. "
                             f"input_format: {input_format}")
    if len(tensor.shape) != len(input_format):
        raise AssertionError("size of input tensor and input format are different. "
                             f"tensor shape: {tensor.shape}, input_format: {input_format}")
    input_format = input_format.upper()
    if len(input_format) == 4:
        nchw = tensor.transpose([input_format.find(c) for c in "NCHW"])
        return make_grid(nchw).transpose(1, 2, 0)
    if len(input_format) == 3:
        hwc = tensor.transpose([input_format.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        return hwc
    if len(input_format) == 2:
        hw = tensor.transpose([input_format.find(c) for c in "HW"])
        return np.stack([hw, hw, hw], 2)
    return tensor


def prepare_video(video: np.ndarray) -> np.ndarray:
    """``B x T x C x H x W`` clips to ``T x H' x W' x C`` frames, the batch tiled in a grid
    whose size is padded to a power of two (rows ``2**(floor(log2 B) // 2)``)."""
    b, t, c, h, w = video.shape
    if video.dtype == np.uint8:
        video = np.float32(video) / 255.0
    n = video.shape[0]
    if n & (n - 1):  # not a power of two: pad with blank clips
        extra = int(2 ** n.bit_length() - n)
        video = np.concatenate((video, np.zeros((extra, t, c, h, w))), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = video.shape[0] // n_rows
    video = video.reshape(n_rows, n_cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return video.reshape(t, n_rows * h, n_cols * w, c)


def figure_to_image(figures: Any, close: bool = True) -> np.ndarray:
    """Render a matplotlib figure (``C x H x W`` uint8 RGB) or a list of them (``N x C x H x
    W``) with the Agg canvas; ``close`` closes the figures afterwards."""
    import matplotlib.backends.backend_agg as backend_agg
    import matplotlib.pyplot as plt

    def render(figure: Any) -> np.ndarray:
        canvas = backend_agg.FigureCanvasAgg(figure)
        canvas.draw()
        data = np.frombuffer(canvas.buffer_rgba(), dtype=np.uint8)
        w, h = figure.canvas.get_width_height()
        chw = np.moveaxis(data.reshape(h, w, 4)[:, :, :3], 2, 0)
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)
