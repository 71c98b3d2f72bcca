"""Inputs shared by workloads: large float32 vectors for the bandwidth-bound ops."""

import numpy as np

TEN_MILLION = 10_000_000


def numpy_vector(n: int = TEN_MILLION) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(n, dtype=np.float32)
