"""``Fuzzer``: randomized benchmark inputs, PyTorch's way.

``FuzzedParameter``s are drawn from a seeded NumPy ``RandomState`` (uniform, log-uniform
or a custom discrete distribution) until the constraints and every ``FuzzedTensor``'s
element and byte limits hold; each ``FuzzedTensor`` is then built from them, sometimes
with a permuted memory layout or strides (steps). The draws are NumPy's, in PyTorch's
order, so a seed gives the same sizes and layouts as PyTorch's fuzzer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["Fuzzer", "FuzzedParameter", "ParameterAlias", "FuzzedTensor"]

_DISTRIBUTIONS = ("loguniform", "uniform")


class FuzzedParameter:
    """A named value drawn between ``minval`` and ``maxval`` ("uniform": integers when both
    bounds are, "loguniform": integers), or from ``{value: probability}``. A ``strict``
    parameter keeps its first draw across the retries of one sample."""

    def __init__(self, name: str, minval: int | float | None = None,
                 maxval: int | float | None = None,
                 distribution: str | dict[Any, float] | None = None,
                 strict: bool = False) -> None:
        self._name = name
        self._minval = minval
        self._maxval = maxval
        self._distribution = self._check_distribution(distribution)
        self.strict = strict

    @property
    def name(self) -> str:
        return self._name

    def sample(self, state: np.random.RandomState) -> Any:
        if self._distribution == "loguniform":
            lo = np.log2(self._minval) if self._minval is not None else None
            hi = np.log2(self._maxval) if self._maxval is not None else None
            out = int(2 ** state.uniform(low=lo, high=hi))
            if self._minval is not None and out < self._minval:
                return self._minval
            if self._maxval is not None and out > self._maxval:
                return self._maxval
            return out
        if self._distribution == "uniform":
            if isinstance(self._minval, int) and isinstance(self._maxval, int):
                return int(state.randint(low=self._minval, high=self._maxval + 1))
            return state.uniform(low=self._minval, high=self._maxval)
        values = list(self._distribution)
        index = state.choice(np.arange(len(values)), p=tuple(self._distribution.values()))
        return values[index]

    def _check_distribution(self, distribution: Any) -> Any:
        if not isinstance(distribution, dict):
            if distribution not in _DISTRIBUTIONS:
                raise AssertionError(f"Unknown distribution: {distribution}")
            return distribution
        if any(p < 0 for p in distribution.values()):
            raise AssertionError("Probabilities cannot be negative")
        if abs(sum(distribution.values()) - 1) > 1e-5:
            raise AssertionError("Distribution is not normalized")
        if self._minval is not None or self._maxval is not None:
            raise AssertionError("When passing a custom distribution, 'minval' and 'maxval' "
                                 "must be None")
        return distribution


class ParameterAlias:
    """A parameter that takes the value of the parameter ``alias_to``."""

    def __init__(self, alias_to: str) -> None:
        self.alias_to = alias_to

    def __repr__(self) -> str:
        return f"ParameterAlias[alias_to: {self.alias_to}]"


def _dtype_bytes(dtype: Any) -> int:
    return int(np.dtype(dtype.np if hasattr(dtype, "np") else dtype).itemsize)


def _prod(values: Any, base: int = 1) -> int:
    out = int(base)
    for v in values:
        out *= int(v)
    return out


class FuzzedTensor:
    """A tensor whose ``size`` (and ``steps``, strides in elements) name parameters or give
    numbers; contiguous with probability ``probability_contiguous``."""

    def __init__(self, name: str, size: tuple, steps: tuple | None = None,
                 probability_contiguous: float = 0.5, min_elements: int | None = None,
                 max_elements: int | None = None, max_allocation_bytes: int | None = None,
                 dim_parameter: str | None = None, roll_parameter: str | None = None,
                 dtype: Any = None, cuda: bool = False,
                 tensor_constructor: Callable | None = None) -> None:
        from .... import dtypes

        self._name = name
        self._size = size
        self._steps = steps
        self._probability_contiguous = probability_contiguous
        self._min_elements = min_elements
        self._max_elements = max_elements
        self._max_allocation_bytes = max_allocation_bytes
        self._dim_parameter = dim_parameter
        self._dtype = dtypes.float32 if dtype is None else dtype
        self._cuda = cuda
        self._tensor_constructor = tensor_constructor

    @property
    def name(self) -> str:
        return self._name

    @staticmethod
    def default_tensor_constructor(size: tuple, dtype: Any, **kwargs: Any) -> Any:
        import ember

        if dtype.is_floating_point or dtype.is_complex:
            return ember.rand(size=size, dtype=dtype, device="cpu")
        return ember.randint(1, 127, size=size, dtype=dtype, device="cpu")

    def _make_tensor(self, params: dict, state: np.random.RandomState) -> tuple[Any, dict]:
        size, steps, allocation = self._get_size_and_steps(params)
        constructor = self._tensor_constructor or self.default_tensor_constructor
        raw = constructor(size=allocation, dtype=self._dtype, **params)
        if self._cuda:
            raw = raw.cuda()
        dim = len(size)
        order = np.arange(dim)
        if state.rand() > self._probability_contiguous:
            while dim > 1 and np.all(order == np.arange(dim)):
                order = state.permutation(raw.dim())
            raw = raw.permute(tuple(int(i) for i in order)).contiguous()
            raw = raw.permute(tuple(int(i) for i in np.argsort(order)))
        tensor = raw[tuple(slice(0, n * s, s) for n, s in zip(size, steps))]
        props = {"numel": int(tensor.numel()), "order": order, "steps": steps,
                 "is_contiguous": tensor.is_contiguous(), "dtype": str(self._dtype)}
        return tensor, props

    def _get_size_and_steps(self, params: dict) -> tuple[tuple, tuple, tuple]:
        dim = params[self._dim_parameter] if self._dim_parameter is not None else len(self._size)

        def resolve(values: tuple) -> tuple:
            values = tuple(params.get(v, v) for v in values)[:dim]
            return values + (1,) * (dim - len(values))

        size, steps = resolve(self._size), resolve(self._steps or ())
        return size, steps, tuple(n * s for n, s in zip(size, steps))

    def satisfies_constraints(self, params: dict) -> bool:
        size, _, allocation = self._get_size_and_steps(params)
        numel = _prod(size)
        if numel < 0:
            raise AssertionError("Computed number of elements is negative")
        nbytes = _prod(allocation, base=_dtype_bytes(self._dtype))

        def over(a: Any, b: Any) -> bool:
            return a is not None and b is not None and a > b

        return not (over(numel, self._max_elements) or over(self._min_elements, numel)
                    or over(nbytes, self._max_allocation_bytes))


class Fuzzer:
    """Draws parameter sets that meet ``constraints`` and builds the tensors from them:
    ``for tensors, tensor_properties, params in fuzzer.take(n): ...``."""

    def __init__(self, parameters: list, tensors: list, constraints: list[Callable] | None = None,
                 seed: int | None = None) -> None:
        if seed is None:
            seed = int(np.random.RandomState().randint(0, 2**32 - 1, dtype=np.int64))
        self._seed = seed
        self._parameters = self._unpack(parameters, FuzzedParameter)
        self._tensors = self._unpack(tensors, FuzzedTensor)
        self._constraints = constraints or ()
        overlap = {p.name for p in self._parameters} & {t.name for t in self._tensors}
        if overlap:
            raise ValueError(f"Duplicate names in parameters and tensors: {overlap}")
        self._rejections = 0
        self._total_generated = 0

    @staticmethod
    def _unpack(values: list, cls: type) -> tuple:
        return tuple(itertools.chain.from_iterable([v] if isinstance(v, cls) else v
                                                   for v in values))

    def take(self, n: int) -> Iterator[tuple[dict, dict, dict]]:
        import ember

        state = np.random.RandomState(self._seed)
        ember.manual_seed(int(state.randint(low=0, high=2**63, dtype=np.int64)))
        for _ in range(n):
            params = self._generate(state)
            tensors, props = {}, {}
            for t in self._tensors:
                tensors[t.name], props[t.name] = t._make_tensor(params, state)
            yield tensors, props, params

    @property
    def rejection_rate(self) -> float:
        return self._rejections / self._total_generated if self._total_generated else 0.0

    def _generate(self, state: np.random.RandomState) -> dict:
        strict: dict[str, Any] = {}
        for _ in range(1000):
            candidate: dict[str, Any] = {}
            for p in self._parameters:
                if p.strict and p.name in strict:
                    candidate[p.name] = strict[p.name]
                else:
                    candidate[p.name] = p.sample(state)
                    if p.strict:
                        strict[p.name] = candidate[p.name]
            candidate = self._resolve_aliases(candidate)
            self._total_generated += 1
            if not all(f(candidate) for f in self._constraints) or \
                    not all(t.satisfies_constraints(candidate) for t in self._tensors):
                self._rejections += 1
                continue
            return candidate
        raise ValueError("Failed to generate a set of valid parameters.")

    @staticmethod
    def _resolve_aliases(params: dict) -> dict:
        params = dict(params)
        pending = sum(isinstance(v, ParameterAlias) for v in params.values())
        while pending:
            for k, v in list(params.items()):
                if isinstance(v, ParameterAlias):
                    params[k] = params[v.alias_to]
            now = sum(isinstance(v, ParameterAlias) for v in params.values())
            if now == pending:
                raise ValueError(f"ParameterAlias cycle detected\n{params}")
            pending = now
        return params
