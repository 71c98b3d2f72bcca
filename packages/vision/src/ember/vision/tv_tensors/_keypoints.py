"""``KeyPoints``: points (..., 2) on a canvas."""

from __future__ import annotations

from typing import Any

from ember import Tensor

from ._tv_tensor import TVTensor, _flat, _rebuild_sequence

__all__ = ["KeyPoints"]


class KeyPoints(TVTensor):
    """Points (..., 2) as (x, y) on an image of ``canvas_size`` (height, width): single points
    (N, 2), polygons or chains (N, P, 2), skeletons (N, B, 2, 2); a 1-D (2,) becomes (1, 2)."""

    canvas_size: tuple[int, int]

    @classmethod
    def _wrap(cls, tensor: Tensor, *, canvas_size: tuple[int, int],
              check_dims: bool = True) -> KeyPoints:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        points = tensor.as_subclass(cls)
        points.canvas_size = canvas_size
        return points

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Results as key points on the canvas of the first key points among the arguments."""
        first = next(x for x in _flat([args, kwargs or {}]) if isinstance(x, KeyPoints))
        if isinstance(output, Tensor) and not isinstance(output, KeyPoints):
            output = KeyPoints._wrap(output, canvas_size=first.canvas_size, check_dims=False)
        elif isinstance(output, (tuple, list)):
            output = _rebuild_sequence(output, [
                KeyPoints._wrap(p, canvas_size=first.canvas_size, check_dims=False)
                for p in output])
        return output

    @classmethod
    def wrap(cls, tensor: Tensor, like: KeyPoints, **kwargs: Any) -> KeyPoints:
        return cls._wrap(tensor, canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         check_dims=False)

    def __new__(cls, data: Any, *, canvas_size: tuple[int, int], dtype: Any = None,
                device: Any = None, requires_grad: bool | None = None) -> KeyPoints:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return cls._wrap(tensor, canvas_size=canvas_size)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr(canvas_size=self.canvas_size)
