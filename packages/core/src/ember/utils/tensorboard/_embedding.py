"""The projector plugin's files for ``add_embedding``: ``tensors.tsv``, ``metadata.tsv``,
``sprite.png`` and the run's ``projector_config.pbtxt``, written as PyTorch writes them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tensorboard.compat import tf
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo

from ._convert import make_grid, make_np

__all__ = ["make_tsv", "make_sprite", "get_embedding_info", "write_pbtxt", "make_mat"]


def _join(a: str, b: str) -> str:
    """``gfile.join`` where the TensorFlow stub has it, else the filesystem's own join."""
    if hasattr(tf.io.gfile, "join"):
        return tf.io.gfile.join(a, b)
    return tf.io.gfile.get_filesystem(a).join(a, b)


def _write(path: str, data: bytes) -> None:
    with tf.io.gfile.GFile(path, "wb") as f:
        f.write(data)


def make_tsv(metadata: list, save_path: str, metadata_header: list | None = None) -> None:
    """``metadata.tsv``: one label per line, or a header line and tab-separated columns."""
    if not metadata_header:
        lines = [str(x) for x in metadata]
    else:
        if len(metadata_header) != len(metadata[0]):
            raise AssertionError("len of header must be equal to the number of columns in "
                                 "metadata")
        lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
    _write(_join(save_path, "metadata.tsv"), tf.compat.as_bytes("\n".join(lines) + "\n"))


def make_sprite(label_img: Any, save_path: str) -> None:
    """``sprite.png``: the label images (``N x C x H x W`` in [0, 1]) in a square grid of
    ``ceil(sqrt(N))`` columns, padded below to a square."""
    from io import BytesIO

    from PIL import Image

    array = make_np(label_img)
    nrow = math.ceil(array.shape[0] ** 0.5)
    grid_hwc = make_grid(array, ncols=nrow).transpose(1, 2, 0)
    square = np.zeros((grid_hwc.shape[1], grid_hwc.shape[1], 3))
    square[:grid_hwc.shape[0]] = grid_hwc
    img = Image.fromarray(np.uint8((square * 255).clip(0, 255)))
    with BytesIO() as buf:
        img.save(buf, format="PNG")
        _write(_join(save_path, "sprite.png"), buf.getvalue())


def get_embedding_info(metadata: Any, label_img: Any, subdir: str, global_step: int,
                       tag: str) -> EmbeddingInfo:
    """The projector-config entry of one embedding: its tensor name and file paths."""
    info = EmbeddingInfo()
    info.tensor_name = f"{tag}:{str(global_step).zfill(5)}"
    info.tensor_path = _join(subdir, "tensors.tsv")
    if metadata is not None:
        info.metadata_path = _join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = _join(subdir, "sprite.png")
        info.sprite.single_image_dim.extend([int(label_img.shape[3]), int(label_img.shape[2])])
    return info


def write_pbtxt(save_path: str, contents: str) -> None:
    """The run's ``projector_config.pbtxt``."""
    _write(_join(save_path, "projector_config.pbtxt"), tf.compat.as_bytes(contents))


def make_mat(matlist: np.ndarray, save_path: str) -> None:
    """``tensors.tsv``: one row of ``matlist`` per line, values tab-separated (Python's
    ``str`` of each element)."""
    rows = ["\t".join(str(v) for v in row) for row in np.asarray(matlist).tolist()]
    _write(_join(save_path, "tensors.tsv"),
           tf.compat.as_bytes("".join(r + "\n" for r in rows)))
