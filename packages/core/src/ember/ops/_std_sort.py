"""libstdc++'s ``std::sort``, ``std::partial_sort`` and ``std::nth_element``, and ATen's
``quick_select_template``, replayed on integer ranks.

PyTorch's CPU kernels for sort (not stable), topk, kthvalue and mode run these
unstable algorithms, so the order they leave among equal elements (which index ``sort``
returns first, which of two equal maxima ``topk`` picks) is the algorithm's, not the input's.
Where a slice holds ties, Ember replays the algorithm on the slice's ranks (small ints, so
each comparison is one Python ``<``) to give the same indices; slices without ties, or larger
than ``REPLAY_MAX`` elements in all, keep NumPy's stable order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# the most elements replayed in one call (a Python loop): beyond it, NumPy's stable order
REPLAY_MAX = 1 << 15  # also where ATen's radix sort (stable) starts for 1-D ints
_THRESHOLD = 16  # libstdc++'s _S_threshold: shorter ranges are insertion-sorted


def ranks(x: Any, descending: bool = False) -> np.ndarray:
    """Dense ranks of ``x`` (last axis) as int64: equal values share one, NaN is the largest
    (every NaN one rank); negated when ``descending`` so that ``<`` orders as wanted."""
    x = np.asarray(x)
    if x.dtype.kind == "V":  # bfloat16: order its exact float32 copy
        x = x.astype(np.float32)
    _, inv = np.unique(x, return_inverse=True, equal_nan=True)
    r = inv.reshape(x.shape).astype(np.int64)
    return -r if descending else r


class _Replay:
    """One range of indices ``a`` ordered by ``key`` (a list of ints) under ``<``."""

    def __init__(self, key: list, a: list) -> None:
        self.k = key
        self.a = a

    # ---------------------------------------------------------------- heap (partial_sort)
    def _adjust_heap(self, first: int, hole: int, length: int, value: int) -> None:
        a, k = self.a, self.k
        top = second = hole
        while second < (length - 1) // 2:
            second = 2 * (second + 1)
            if k[a[first + second]] < k[a[first + second - 1]]:
                second -= 1
            a[first + hole] = a[first + second]
            hole = second
        if not length & 1 and second == (length - 2) // 2:
            second = 2 * (second + 1)
            a[first + hole] = a[first + second - 1]
            hole = second - 1
        parent = (hole - 1) // 2
        while hole > top and k[a[first + parent]] < k[value]:
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = value

    def _pop_heap(self, first: int, last: int, result: int) -> None:
        a = self.a
        value = a[result]
        a[result] = a[first]
        self._adjust_heap(first, 0, last - first, value)

    def heap_select(self, first: int, middle: int, last: int) -> None:
        length = middle - first
        if length >= 2:
            for parent in range((length - 2) // 2, -1, -1):
                self._adjust_heap(first, parent, length, self.a[first + parent])
        a, k = self.a, self.k
        for i in range(middle, last):
            if k[a[i]] < k[a[first]]:
                self._pop_heap(first, middle, i)

    def partial_sort(self, first: int, middle: int, last: int) -> None:
        self.heap_select(first, middle, last)
        while middle - first > 1:
            middle -= 1
            self._pop_heap(first, middle, middle)

    # ---------------------------------------------------------------- introsort
    def _median_to_first(self, result: int, x: int, y: int, z: int) -> None:
        a, k = self.a, self.k
        ka, kb, kc = k[a[x]], k[a[y]], k[a[z]]
        if ka < kb:
            t = y if kb < kc else z if ka < kc else x
        else:
            t = x if ka < kc else z if kb < kc else y
        a[result], a[t] = a[t], a[result]

    def _partition_pivot(self, first: int, last: int) -> int:
        self._median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        a, k = self.a, self.k
        pivot = k[a[first]]
        lo, hi = first + 1, last
        while True:
            while k[a[lo]] < pivot:
                lo += 1
            hi -= 1
            while pivot < k[a[hi]]:
                hi -= 1
            if not lo < hi:
                return lo
            a[lo], a[hi] = a[hi], a[lo]
            lo += 1

    def _introsort_loop(self, first: int, last: int, depth: int) -> None:
        while last - first > _THRESHOLD:
            if depth == 0:
                self.partial_sort(first, last, last)
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            self._introsort_loop(cut, last, depth)
            last = cut

    def insertion_sort(self, first: int, last: int) -> None:
        a, k = self.a, self.k
        for i in range(first + 1, last):
            val = a[i]
            if k[val] < k[a[first]]:
                a[first + 1:i + 1] = a[first:i]
                a[first] = val
            else:
                self._linear_insert(i)

    def _linear_insert(self, last: int) -> None:
        a, k = self.a, self.k
        val = a[last]
        kv = k[val]
        nxt = last - 1
        while kv < k[a[nxt]]:
            a[last] = a[nxt]
            last = nxt
            nxt -= 1
        a[last] = val

    def sort(self, first: int, last: int) -> None:
        n = last - first
        if n < 2:
            return
        self._introsort_loop(first, last, 2 * (n.bit_length() - 1))
        if n > _THRESHOLD:
            self.insertion_sort(first, first + _THRESHOLD)
            for i in range(first + _THRESHOLD, last):
                self._linear_insert(i)
        else:
            self.insertion_sort(first, last)

    def nth_element(self, nth: int) -> None:
        first, last = 0, len(self.a)
        if first == last or nth == last:
            return
        depth = 2 * ((last - first).bit_length() - 1)
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                a = self.a
                a[first], a[nth] = a[nth], a[first]
                return
            depth -= 1
            cut = self._partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)


def _rows(r: np.ndarray) -> list:
    return r.reshape(-1, r.shape[-1]).tolist()


def sort_order(r: np.ndarray) -> np.ndarray:
    """``std::sort``'s order of each row of keys ``r`` (last axis; ranks, or the values
    themselves where ``<`` is the kernel's comparison), as int64 indices."""
    n = r.shape[-1]
    out = []
    for key in _rows(r):
        rep = _Replay(key, list(range(n)))
        rep.sort(0, n)
        out.append(rep.a)
    return np.asarray(out, dtype=np.int64).reshape(r.shape)


def topk_order(r: np.ndarray, k: int, sort_k: bool) -> np.ndarray:
    """The first ``k`` indices of each row as ATen's CPU topk leaves them: ``partial_sort``
    where ``k * 64 <= n``, else ``nth_element`` (then the first ``k - 1`` sorted)."""
    n = r.shape[-1]
    out = []
    for key in _rows(r):
        rep = _Replay(key, list(range(n)))
        if k * 64 <= n:
            rep.partial_sort(0, k, n)
        else:
            rep.nth_element(k - 1)
            if sort_k:
                rep.sort(0, k - 1)
        out.append(rep.a[:k])
    return np.asarray(out, dtype=np.int64).reshape(r.shape[:-1] + (k,))


def nth_element_order(r: np.ndarray, nth: int) -> np.ndarray:
    """``std::nth_element``'s order of the 1-D keys ``r`` (the full median's kernel)."""
    rep = _Replay(r.tolist(), list(range(r.shape[0])))
    rep.nth_element(nth)
    return np.asarray(rep.a, dtype=np.int64)


def quick_select_index(r: np.ndarray, kth: int) -> np.ndarray:
    """The index ATen's ``quick_select_template`` (kthvalue) leaves at ``kth``, per row."""
    out = []
    for key in _rows(r):
        out.append(_quick_select(key, kth))
    return np.asarray(out, dtype=np.int64).reshape(r.shape[:-1])


def _quick_select(key: list, kth: int) -> int:
    """ATen's median-of-three quickselect, swapping values and indices together."""
    v = list(key)
    ix = list(range(len(v)))

    def swap(i: int, j: int) -> None:
        v[i], v[j] = v[j], v[i]
        ix[i], ix[j] = ix[j], ix[i]

    lo, hi = 0, len(v) - 1
    while True:
        if hi <= lo:
            return ix[kth]
        if hi == lo + 1:
            if v[lo] > v[hi]:
                swap(lo, hi)
            return ix[kth]
        swap(lo + (hi - lo) // 2, lo + 1)
        if v[lo + 1] > v[hi]:
            swap(lo + 1, hi)
        if v[lo] > v[hi]:
            swap(lo, hi)
        if v[lo + 1] > v[lo]:
            swap(lo + 1, lo)
        i, j = lo + 1, hi
        piv = v[lo]
        while True:
            i += 1
            while piv > v[i]:
                i += 1
            j -= 1
            while v[j] > piv:
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= kth:
            lo = i
        if j >= kth:
            hi = j - 1
