"""Run the same optimizer on Ember and PyTorch: same start, same gradients, groups of options."""

from __future__ import annotations

from typing import Any

import numpy as np

import ember
import ember.optim

# parameter shapes per group: the first group also holds a 0-d parameter
SHAPES = [[(4, 3), (5,), ()], [(2, 2, 2)], [(3, 1)]]
TOL = {"float64": dict(rtol=1e-10, atol=1e-13), "float32": dict(rtol=1e-5, atol=2e-6)}


def _complex_dtype(dtype: str) -> str:
    return "complex128" if dtype == "float64" else "complex64"


def make_arrays(rng: np.random.Generator, ngroups: int, dtype: str, is_complex: bool) -> list:
    out = []
    for shapes in SHAPES[:ngroups]:
        group = []
        for shape in shapes:
            a = np.asarray(rng.standard_normal(shape))
            if is_complex:
                a = np.asarray(a + 1j * rng.standard_normal(shape)).astype(_complex_dtype(dtype))
            else:
                a = a.astype(dtype)
            group.append(a)
        out.append(group)
    return out


class Pair:
    """One optimizer on Ember and the same on PyTorch, stepped with the same gradients."""

    def __init__(self, torch: Any, name: str, group_opts: list[dict], kwargs: dict,
                 dtype: str = "float64", is_complex: bool = False, seed: int = 0) -> None:
        self.torch = torch
        self.rng = np.random.default_rng(seed)
        self.dtype, self.is_complex = dtype, is_complex
        self.ngroups = len(group_opts)
        init = make_arrays(self.rng, self.ngroups, dtype, is_complex)
        self.ep = [[ember.tensor(a.copy(), requires_grad=True) for a in g] for g in init]
        self.tp = [[torch.tensor(a.copy(), requires_grad=True) for a in g] for g in init]
        self.eopt = getattr(ember.optim, name)(
            [dict(params=ps, **o) for ps, o in zip(self.ep, group_opts)], **kwargs)
        self.topt = getattr(torch.optim, name)(
            [dict(params=ps, **o) for ps, o in zip(self.tp, group_opts)], **kwargs)
        self.k = 0

    def set_grads(self) -> None:
        grads = make_arrays(self.rng, self.ngroups, self.dtype, self.is_complex)
        for gi, group in enumerate(grads):
            for j, g in enumerate(group):
                # now and then a parameter has no gradient: the optimizers skip it
                skip = self.k % 5 == 2 and (gi, j) in ((0, 1), (1, 0))
                self.ep[gi][j].grad = None if skip else ember.tensor(g)
                self.tp[gi][j].grad = None if skip else self.torch.tensor(g)
        self.k += 1

    def step(self, n: int = 1, check: bool = True) -> None:
        for _ in range(n):
            self.set_grads()
            self.eopt.step()
            self.topt.step()
            if check:
                self.check()

    def check(self) -> None:
        tol = TOL[self.dtype]
        for i, (a, b) in enumerate(zip(sum(self.ep, []), sum(self.tp, []))):
            ember.testing.assert_close(a, b, msg=f"step {self.k}, parameter {i}:", **tol)


def to_ember_state(torch: Any, sd: Any) -> Any:
    """PyTorch's state_dict with tensors converted (numbers and structure kept)."""
    if isinstance(sd, torch.Tensor):
        return ember.tensor(sd.detach().numpy().copy())
    if isinstance(sd, dict):
        return {k: to_ember_state(torch, v) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(to_ember_state(torch, v) for v in sd)
    return sd


def to_torch_state(torch: Any, sd: Any) -> Any:
    if isinstance(sd, ember.Tensor):
        return torch.tensor(sd.detach().numpy().copy())
    if isinstance(sd, dict):
        return {k: to_torch_state(torch, v) for k, v in sd.items()}
    if isinstance(sd, (list, tuple)):
        return type(sd)(to_torch_state(torch, v) for v in sd)
    return sd


# (optimizer, constructor kwargs, options of each parameter group)
CASES = [
    ("SGD", dict(lr=0.05), [dict(momentum=0.9, nesterov=True),
                            dict(weight_decay=0.1, maximize=True, momentum=0.5, dampening=0.3),
                            dict()]),
    ("Adam", dict(lr=0.01), [dict(), dict(weight_decay=0.1, maximize=True, amsgrad=True),
                             dict(betas=(0.3, 0.5), weight_decay=0.05,
                                  decoupled_weight_decay=True)]),
    ("AdamW", dict(), [dict(amsgrad=True), dict(maximize=True, weight_decay=0.3),
                       dict(betas=(0.3, 0.5), lr=0.1)]),
    ("Adamax", dict(), [dict(), dict(weight_decay=0.1, maximize=True),
                        dict(betas=(0.3, 0.5), lr=0.1, eps=1e-3)]),
    ("NAdam", dict(), [dict(), dict(weight_decay=0.1, maximize=True),
                       dict(weight_decay=0.1, decoupled_weight_decay=True, momentum_decay=0.01,
                            betas=(0.6, 0.9))]),
    ("RAdam", dict(lr=0.01), [dict(), dict(weight_decay=0.1, maximize=True),
                              dict(weight_decay=0.1, decoupled_weight_decay=True,
                                   betas=(0.6, 0.8))]),
    ("Adagrad", dict(), [dict(), dict(weight_decay=0.1, maximize=True, lr_decay=0.05),
                         dict(eps=1e-3, lr=0.2)]),
    ("Adagrad", dict(initial_accumulator_value=0.5, lr_decay=0.01), [dict(), dict(lr=0.3)]),
    ("Adadelta", dict(), [dict(), dict(weight_decay=0.1, maximize=True, rho=0.5),
                          dict(lr=0.3, eps=1e-3)]),
    ("RMSprop", dict(), [dict(), dict(weight_decay=0.1, maximize=True, centered=True),
                         dict(momentum=0.9, centered=True, alpha=0.3)]),
    ("RMSprop", dict(momentum=0.5), [dict(), dict(alpha=0.9, eps=1e-3, maximize=True)]),
    ("Rprop", dict(), [dict(), dict(maximize=True, etas=(0.3, 1.5)),
                       dict(step_sizes=(1e-3, 0.05), lr=0.1)]),
    ("ASGD", dict(), [dict(), dict(weight_decay=0.1, maximize=True, t0=5),
                      dict(lambd=0.1, alpha=0.5, t0=3, lr=0.1)]),
]


def case_id(case: tuple) -> str:
    name, kwargs, groups = case
    keys = sorted({k for g in groups for k in g} | set(kwargs))
    return f"{name}[{','.join(keys)}]"
