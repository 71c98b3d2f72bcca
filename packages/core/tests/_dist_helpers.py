"""Shared helpers for the distribution tests: parameter sets and paired construction of an
Ember and a PyTorch distribution from the same NumPy values."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def pos(r: np.random.Generator, *s: int) -> np.ndarray:
    return r.uniform(0.5, 2.5, s)


def real(r: np.random.Generator, *s: int) -> np.ndarray:
    return r.normal(size=s)


def prob(r: np.random.Generator, *s: int) -> np.ndarray:
    return r.uniform(0.1, 0.9, s)


def simplex(r: np.random.Generator, *s: int) -> np.ndarray:
    x = r.uniform(0.1, 1.0, s)
    return x / x.sum(-1, keepdims=True)


def spd(r: np.random.Generator, *s: int) -> np.ndarray:
    n = s[-1]
    a = r.normal(size=s)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def tril(r: np.random.Generator, *s: int) -> np.ndarray:
    return np.linalg.cholesky(spd(r, *s))


def _specs() -> list[tuple[str, dict]]:
    r = _rng(0)
    return [
        ("Normal", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Normal", dict(loc=real(r, 2, 1), scale=pos(r, 3))),  # broadcast parameters
        ("Normal", dict(loc=0.5, scale=2.0)),  # Python numbers
        ("Uniform", dict(low=real(r, 3), high=real(r, 3) + 3)),
        ("Laplace", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Cauchy", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Exponential", dict(rate=pos(r, 3))),
        ("Gamma", dict(concentration=pos(r, 3), rate=pos(r, 3))),
        ("Gamma", dict(concentration=np.array([0.3, 0.9, 12.0]), rate=pos(r, 3))),
        ("Chi2", dict(df=pos(r, 3))),
        ("Beta", dict(concentration1=pos(r, 3), concentration0=pos(r, 3))),
        ("Beta", dict(concentration1=0.7, concentration0=1.5)),
        ("Dirichlet", dict(concentration=pos(r, 2, 3))),
        ("StudentT", dict(df=pos(r, 3) + 2, loc=real(r, 3), scale=pos(r, 3))),
        ("StudentT", dict(df=np.array([0.8, 1.5, 3.0]))),
        ("LogNormal", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("Gumbel", dict(loc=real(r, 3), scale=pos(r, 3))),
        ("HalfNormal", dict(scale=pos(r, 3))),
        ("HalfCauchy", dict(scale=pos(r, 3))),
        ("Bernoulli", dict(probs=prob(r, 3))),
        ("Bernoulli", dict(logits=real(r, 3))),
        ("Geometric", dict(probs=prob(r, 3))),
        ("Geometric", dict(logits=real(r, 3))),
        ("Binomial", dict(total_count=np.array([5.0, 7.0, 30.0]), probs=prob(r, 3))),
        ("Binomial", dict(total_count=6, logits=real(r, 2, 3))),
        ("Poisson", dict(rate=pos(r, 3) * 4)),
        ("Categorical", dict(probs=simplex(r, 2, 4))),
        ("Categorical", dict(logits=real(r, 4))),
        ("OneHotCategorical", dict(probs=simplex(r, 2, 4))),
        ("Multinomial", dict(total_count=5, probs=simplex(r, 2, 4))),
        ("MultivariateNormal", dict(loc=real(r, 2, 3), covariance_matrix=spd(r, 2, 3, 3))),
        ("MultivariateNormal", dict(loc=real(r, 3), scale_tril=tril(r, 2, 3, 3))),
        ("MultivariateNormal", dict(loc=real(r, 2, 2), precision_matrix=spd(r, 2, 2))),
        ("LowRankMultivariateNormal", dict(loc=real(r, 2, 3), cov_factor=real(r, 2, 3, 2),
                                           cov_diag=pos(r, 2, 3))),
        ("ContinuousBernoulli", dict(probs=np.array([0.2, 0.4995, 0.8]))),
        ("ContinuousBernoulli", dict(logits=real(r, 3))),
        ("RelaxedBernoulli", dict(temperature=np.array(0.7), probs=prob(r, 3))),
        ("RelaxedOneHotCategorical", dict(temperature=np.array(0.7), probs=simplex(r, 2, 4))),
    ]


SPECS = _specs()
SPEC_IDS = [f"{name}-{'-'.join(p)}-{i}" for i, (name, p) in enumerate(SPECS)]

# parameters that are counts, not differentiated
NO_GRAD = {"total_count"}


def make_pair(torch: Any, name: str, params: dict, dtype: str = "float64",
              requires_grad: bool = True) -> tuple[Any, Any, dict, dict]:
    """The Ember and PyTorch distributions ``name(**params)`` and their parameter tensors."""
    ep, tp = {}, {}
    for k, v in params.items():
        if isinstance(v, np.ndarray):
            rg = requires_grad and k not in NO_GRAD
            ep[k] = ember.tensor(v, dtype=getattr(ember, dtype), requires_grad=rg)
            tp[k] = torch.tensor(v, dtype=getattr(torch, dtype), requires_grad=rg)
        else:
            ep[k] = tp[k] = v
    e = getattr(ember.distributions, name)(**ep)
    t = getattr(torch.distributions, name)(**tp)
    return e, t, ep, tp


def grad_inputs(params: dict) -> list:
    return [v for v in params.values() if hasattr(v, "requires_grad") and v.requires_grad]


def to_ember(t: Any) -> Any:
    """A PyTorch tensor's values as an Ember tensor (same dtype)."""
    return ember.tensor(t.detach().numpy())


def close(e: Any, t: Any, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    """Values, shape and dtype of an Ember result equal to PyTorch's (NaNs in place)."""
    a = e.detach().numpy() if hasattr(e, "detach") else np.asarray(e)
    b = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype == np.float32:  # float32 special functions round differently in the last bit
        rtol, atol = max(rtol, 1e-5), max(atol, 1e-6)
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True)


def same_error(fe: Any, ft: Any) -> tuple[str, str]:
    """Run both; both must raise the same exception type. Returns the two messages with
    PyTorch's module names spelled as Ember's."""
    msgs = []
    for f in (fe, ft):
        try:
            f()
        except Exception as exc:  # noqa: BLE001
            msgs.append((type(exc), str(exc)))
        else:
            msgs.append((None, ""))
    (te, me), (tt, mt) = msgs
    assert te is tt and te is not None, msgs
    return me, mt.replace("torch.", "ember.")
