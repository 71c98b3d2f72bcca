"""Pairwise IoU of rotated boxes ``(cx, cy, w, h, angle in degrees)``, as torchvision's
``box_iou_rotated`` kernel (from Detectron2) computes it, vectorised over all pairs.

Each pair's overlap polygon is found from its candidate corners: the crossings of the two
boxes' edges and the corners of each box inside the other (with the kernel's tolerance
``1e-5``). Their convex hull is the kernel's Graham scan replayed step by step for all pairs
at once (its exchange sort, thresholds and summation order), so that even boxes small enough
for those absolute tolerances to matter get the kernel's IoU, to the last bit in float64."""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["box_iou_rotated_arrays"]

_EPS = 1e-5  # the kernel's tolerance on edge parameters and projections
_CHUNK_PAIRS = 1 << 16  # box pairs per chunk (their 24 candidate corners: about 25 MB)


def _quiet(xp: Any) -> Any:
    """NumPy's silencing of 0/0 (other namespaces do not warn)."""
    return xp.errstate(divide="ignore", invalid="ignore") if hasattr(
        xp, "errstate") else contextlib.nullcontext()


def _vertices(xp: Any, cx: Any, cy: Any, w: Any, h: Any, a: Any) -> Any:
    """Corners ``(..., 4, 2)`` of rotated boxes, in the kernel's order."""
    dt = cx.dtype
    theta = a.astype(xp.float64) * 0.01745329251  # the kernel's degrees-to-radians constant
    cos2 = xp.cos(theta).astype(dt) * dt.type(0.5)
    sin2 = xp.sin(theta).astype(dt) * dt.type(0.5)
    x0, y0 = cx + sin2 * h + cos2 * w, cy + cos2 * h - sin2 * w
    x1, y1 = cx - sin2 * h + cos2 * w, cy - cos2 * h - sin2 * w
    xs = xp.stack([x0, x1, 2 * cx - x0, 2 * cx - x1], axis=-1)
    ys = xp.stack([y0, y1, 2 * cy - y0, 2 * cy - y1], axis=-1)
    return xp.stack([xs, ys], axis=-1)


def _f64(a: Any) -> Any:
    return a.astype("float64")


def _cross(a: Any, b: Any) -> Any:
    return a[..., 0] * b[..., 1] - b[..., 0] * a[..., 1]


def _dot(a: Any, b: Any) -> Any:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _corners_inside(pts: Any, rect: Any, edges: Any) -> Any:
    """Which of ``pts`` ``(..., 4, 2)`` lie in the rectangle ``rect`` (within the tolerance)."""
    ab, da = edges[..., 0:1, :], edges[..., 3:4, :]
    ap = pts - rect[..., 0:1, :]
    # the kernel compares in double (its tolerance is a double)
    along_ab, along_ad = _f64(_dot(ap, ab)), _f64(-_dot(ap, da))
    return ((along_ab > -_EPS) & (along_ad > -_EPS) & (along_ab < _f64(_dot(ab, ab)) + _EPS)
            & (along_ad < _f64(_dot(da, da)) + _EPS))


def _candidates(xp: Any, pts1: Any, pts2: Any) -> tuple[Any, Any]:
    """The overlap polygon's candidate corners ``(..., 24, 2)`` and which of them count."""
    vec1 = xp.roll(pts1, -1, axis=-2) - pts1
    vec2 = xp.roll(pts2, -1, axis=-2) - pts2
    v1, p1 = vec1[..., :, None, :], pts1[..., :, None, :]  # edge i of box 1
    v2, p2 = vec2[..., None, :, :], pts2[..., None, :, :]  # edge j of box 2
    det = _cross(v2, v1)
    v12 = p2 - p1
    with _quiet(xp):  # parallel edges are masked out
        t1 = _cross(v2, v12) / det
        t2 = _cross(v1, v12) / det
    t1d, t2d = _f64(t1), _f64(t2)
    crossing = ((_f64(xp.abs(det)) > 1e-14) & (t1d > -_EPS) & (t1d < 1 + _EPS) & (t2d > -_EPS)
                & (t2d < 1 + _EPS))
    t1 = xp.where(crossing, t1, 0)
    shape = pts1.shape[:-2]
    points = xp.concatenate([(p1 + v1 * t1[..., None]).reshape(*shape, 16, 2), pts1, pts2],
                            axis=-2)
    valid = xp.concatenate([crossing.reshape(*shape, 16), _corners_inside(pts1, pts2, vec2),
                            _corners_inside(pts2, pts1, vec1)], axis=-1)
    return points, valid


def _gather(xp: Any, a: Any, i: Any) -> Any:
    """``a[p, i[p]]`` for every pair ``p`` (``a`` of shape ``(P, 24, ...)``)."""
    idx = i.reshape(i.shape + (1,) * (a.ndim - 1))
    return xp.take_along_axis(a, idx, axis=1)[:, 0]


def _put(xp: Any, a: Any, i: Any, value: Any, where: Any) -> Any:
    """``a`` with ``a[p, i[p]] = value[p]`` for the pairs ``p`` in ``where``."""
    hit = (xp.arange(a.shape[1])[None, :] == i[:, None]) & where[:, None]
    return xp.where(hit[..., None], value[:, None, :], a)


def _convex_area(xp: Any, points: Any, valid: Any) -> Any:
    """The area of the convex hull of the valid ``points`` ``(P, 24, 2)`` (0 with fewer than
    three), only for the pairs that have three or more."""
    num = valid.sum(axis=1)
    area = xp.zeros(num.shape, dtype=points.dtype)
    some = xp.nonzero(num > 2)[0]
    if some.shape[0]:
        area[some] = _graham_area(xp, points[some], valid[some])
    return area


def _graham_area(xp: Any, points: Any, valid: Any) -> Any:
    """The area of the convex hull of the valid ``points`` ``(P, 24, 2)``, step by step as the
    kernel's Graham scan (its tolerances, swaps and summation order) for all pairs at once."""
    num = valid.sum(axis=1)
    slots = int(num.max())  # valid points first, in the kernel's order; the rest is unused
    order = xp.argsort(~valid, axis=1, kind="stable")[:, :slots]
    q = _from_lowest(xp, xp.take_along_axis(points, order[..., None], axis=1), num)
    q = _angle_sorted(xp, q, num)
    hull, m, k = _scan(xp, q, num)
    area = xp.zeros(num.shape, dtype=points.dtype)
    for i in range(1, slots - 1):  # the kernel's fan, summed in its order
        term = xp.abs(_cross(hull[:, i] - hull[:, 0], hull[:, i + 1] - hull[:, 0]))
        area = area + xp.where(i < m - 1, term, 0)
    return xp.where((k < slots) & (m > 2), area / 2.0, 0).astype(points.dtype)


def _from_lowest(xp: Any, p: Any, num: Any) -> Any:
    """The points relative to the first lowest one (least y, then x), which is swapped to
    the front."""
    slots = p.shape[1]
    y = xp.where(xp.arange(slots)[None, :] < num[:, None], p[..., 1], xp.inf)
    lowest = y == y.min(axis=1, keepdims=True)
    x = xp.where(lowest, p[..., 0], xp.inf)
    t = xp.argmax(lowest & (x == x.min(axis=1, keepdims=True)), axis=1)
    q = p - _gather(xp, p, t)[:, None, :]
    everyone = num > 0
    front = q[:, 0]
    q = _put(xp, q, xp.zeros_like(t), _gather(xp, q, t), everyone)
    return _put(xp, q, t, front, everyone)


def _angle_sorted(xp: Any, q: Any, num: Any) -> Any:
    """The kernel's exchange sort of points 1.. by angle (cross products beyond 1e-6), then
    by distance; its thresholds are compared in double, as there."""
    q = q.copy()
    dist = _dot(q, q)
    slots = q.shape[1]
    for i in range(1, slots - 1):
        for j in range(i + 1, slots):
            cross = _f64(_cross(q[:, i], q[:, j]))
            swap = (j < num) & ((cross < -1e-6)
                                | ((xp.abs(cross) < 1e-6) & (dist[:, i] > dist[:, j])))
            if swap.any():
                qi, di = q[:, i].copy(), dist[:, i].copy()
                q[:, i] = xp.where(swap[:, None], q[:, j], qi)
                q[:, j] = xp.where(swap[:, None], qi, q[:, j])
                dist[:, i] = xp.where(swap, dist[:, j], di)
                dist[:, j] = xp.where(swap, di, dist[:, j])
    return q


def _scan(xp: Any, q: Any, num: Any) -> tuple[Any, Any, Any]:
    """The hull stack, its height ``m`` and the index ``k`` of the first point apart from the
    start (``slots`` when there is none): pop while the turn is not convex, then push."""
    slots = q.shape[1]
    at = xp.arange(slots)[None, :]
    apart = (_f64(_dot(q, q)) > 1e-8) & (at >= 1) & (at < num[:, None])
    k = xp.where(apart.any(axis=1), xp.argmax(apart, axis=1), slots)
    hull = q.copy()
    hull[:, 1] = _gather(xp, q, xp.minimum(k, slots - 1))
    m = xp.full(num.shape, 2)
    for i in range(2, slots):
        active = (i > k) & (i < num)
        qi = q[:, i]
        while True:
            a = _gather(xp, hull, xp.maximum(m - 2, 0))
            q1, q2 = qi - a, _gather(xp, hull, xp.maximum(m - 1, 0)) - a
            pop = active & (m > 1) & (q1[:, 0] * q2[:, 1] >= q2[:, 0] * q1[:, 1])
            if not pop.any():
                break
            m = m - pop
        hull = _put(xp, hull, m, qi, active)
        m = m + active
    return hull, m, k


def box_iou_rotated_arrays(xp: Any, boxes1: Any, boxes2: Any) -> Any:
    """IoU ``(N, M)`` (float32, as the kernel returns) of rotated boxes ``(N, 5)`` and
    ``(M, 5)`` in the 'cxcywhr' format, computed in their floating dtype, in chunks of rows
    that keep the candidate corners of a chunk under ``_CHUNK_PAIRS`` pairs."""
    step = max(1, _CHUNK_PAIRS // max(boxes2.shape[0], 1))
    parts = [_iou_rows(xp, boxes1[i:i + step], boxes2) for i in range(0, boxes1.shape[0], step)]
    if not parts:
        return xp.zeros((0, boxes2.shape[0]), dtype=xp.float32)
    return parts[0] if len(parts) == 1 else xp.concatenate(parts, axis=0)


def _iou_rows(xp: Any, boxes1: Any, boxes2: Any) -> Any:
    dt = boxes1.dtype
    b1, b2 = boxes1[:, None, :], boxes2[None, :, :]
    # the kernel moves each pair's midpoint to the origin (in double) for precision
    shift = (b1[..., :2].astype(xp.float64) + b2[..., :2].astype(xp.float64)) / 2.0
    c1 = (b1[..., :2] - shift).astype(dt)
    c2 = (b2[..., :2] - shift).astype(dt)
    pts1 = _vertices(xp, c1[..., 0], c1[..., 1], b1[..., 2], b1[..., 3], b1[..., 4])
    pts2 = _vertices(xp, c2[..., 0], c2[..., 1], b2[..., 2], b2[..., 3], b2[..., 4])
    pts1, pts2 = xp.broadcast_arrays(pts1, pts2)
    points, valid = _candidates(xp, pts1, pts2)
    pairs = points.shape[:2]
    inter = _convex_area(xp, points.reshape(-1, 24, 2), valid.reshape(-1, 24)).reshape(pairs)
    area1, area2 = b1[..., 2] * b1[..., 3], b2[..., 2] * b2[..., 3]
    union = area1 + area2 - inter
    with _quiet(xp):
        iou = xp.where(union > 1e-14, inter / union, 0)
    iou = xp.where((area1 < 1e-14) | (area2 < 1e-14), 0, xp.clip(iou, 0, 1))
    return iou.astype(xp.float32)
