"""Updates on several threads: the same numbers as on one, every block once, the caller's state.

Big contiguous NumPy parameters are updated block by block; inside ``step()``, with more than
one thread (``ember.set_num_threads``), the blocks of all the parameters run on a thread pool.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from _optim_helpers import CASES, case_id

import ember
import ember.optim as optim
from ember.optim import optimizer as opt_mod


@pytest.fixture(autouse=True)
def _threads(monkeypatch):
    """Restore the thread count after each test; pools of workers even on a one-CPU machine."""
    monkeypatch.setattr(opt_mod, "usable_cpus", lambda: 8)
    n = ember.get_num_threads()
    yield
    ember.set_num_threads(n)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 1024 float32 values: many blocks, so that the threads take turns."""
    monkeypatch.setattr(opt_mod, "_BLOCK_BYTES", 1 << 12)


# big enough for blocks at the default block size too
SHAPES = [(3, 4), (600, 520), (7,), (300, 1100), ()]


def _run(name: str, groups: list[dict], kwargs: dict, threads: int, dtype: str,
         steps: int = 3, duplicate: bool = False) -> tuple[list, list]:
    """Parameters and state arrays after ``steps`` steps on ``threads`` threads."""
    ember.set_num_threads(threads)
    rng = np.random.default_rng(1)
    params = [ember.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
              for s in SHAPES]
    split = [params[:2], params[2:4], params[4:]]
    if duplicate:  # PyTorch warns and updates the parameter twice
        split[0] = split[0] + [split[0][1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = getattr(optim, name)([dict(params=ps, **o) for ps, o in zip(split, groups)],
                                   **kwargs)
    for _ in range(steps):
        for p in params:
            p.grad = ember.tensor(rng.standard_normal(p.shape).astype(dtype))
        opt.step()
    state = [v.numpy().copy() for p in params for v in opt.state[p].values()
             if isinstance(v, ember.Tensor)]
    return [p.detach().numpy().copy() for p in params], state


def _assert_identical(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x, y)


THREADED_CASES = [
    ("SGD", dict(lr=0.05), [dict(momentum=0.9), dict(momentum=0.9, nesterov=True,
                                                      weight_decay=0.1),
                            dict(momentum=0.5, dampening=0.3, maximize=True)]),
    ("Adam", dict(lr=0.01), [dict(), dict(weight_decay=0.1, amsgrad=True), dict(maximize=True)]),
    ("AdamW", dict(lr=0.01), [dict(), dict(amsgrad=True), dict(betas=(0.3, 0.5))]),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", THREADED_CASES, ids=case_id)
def test_two_threads_match_one_thread(case, dtype):
    name, kwargs, groups = case
    one = _run(name, groups, kwargs, 1, dtype)
    two = _run(name, groups, kwargs, 2, dtype)
    _assert_identical(one[0], two[0])
    _assert_identical(one[1], two[1])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_small_blocks_on_threads_match_one_thread(small_blocks, case):
    name, kwargs, groups = case
    groups = (groups * 3)[:3]
    one = _run(name, groups, kwargs, 1, "float32", steps=2)
    three = _run(name, groups, kwargs, 3, "float32", steps=2)
    _assert_identical(one[0], three[0])
    _assert_identical(one[1], three[1])


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_duplicate_parameter_is_updated_twice_in_order(small_blocks, name):
    groups = [dict(momentum=0.9)] * 3 if name == "SGD" else [{}] * 3
    one = _run(name, groups, dict(lr=0.01), 1, "float32", duplicate=True)
    two = _run(name, groups, dict(lr=0.01), 2, "float32", duplicate=True)
    _assert_identical(one[0], two[0])
    plain = _run(name, groups, dict(lr=0.01), 1, "float32")
    assert not np.array_equal(one[0][1], plain[0][1])  # the duplicate did move it twice


def _count_kernel(x, *scratch, xp, seen, lock):
    x += 1
    with lock:
        seen.append((threading.get_ident(), np.geterr()["divide"]))


@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("size", [10, 2048, 2049, 4096, 4097, 5000, 1024 * 37])
def test_every_element_once(small_blocks, monkeypatch, threads, size):
    ember.set_num_threads(threads)
    pools = []
    real = opt_mod._executor
    monkeypatch.setattr(opt_mod, "_executor", lambda n: pools.append(n) or real(n))
    x = np.zeros(size, dtype=np.float32)
    strided = np.zeros((size, 2), dtype=np.float32)[:, 0]
    seen: list = []
    lock = threading.Lock()
    with opt_mod._batched():
        for a in (x, strided):
            opt_mod._elementwise(_count_kernel, (a,), 1, np, seen=seen, lock=lock)
    np.testing.assert_array_equal(x, np.ones(size, dtype=np.float32))
    np.testing.assert_array_equal(strided, np.ones(size, dtype=np.float32))
    block = 1024 if threads == 1 else 2048  # blocks run on threads are twice as long
    nblocks = -(-size // block) if size > 2 * block else 1
    assert len(seen) == nblocks + 1  # the strided array is one call
    workers = min(threads, opt_mod.usable_cpus(), nblocks // 2) - 1
    if workers <= 0:
        assert pools == [] and {t for t, _ in seen} == {threading.get_ident()}
    else:
        assert pools == [workers]


def test_updates_of_shared_storage_run_in_order(small_blocks):
    ember.set_num_threads(2)
    x = np.zeros(1024 * 8, dtype=np.float32)
    lock, seen = threading.Lock(), []

    def add_one(a):
        opt_mod._elementwise(_count_kernel, (a,), 0, np, seen=seen, lock=lock)

    with opt_mod._batched():
        add_one(x)
        add_one(np.zeros_like(x))
        assert not x.any()  # deferred to the end of the step
        add_one(x.reshape(8, 1024))  # another array over the same buffer
        np.testing.assert_array_equal(x, 1)  # the first ran before the one sharing its buffer
        add_one(x.reshape(8, 1024)[::-1])  # non-contiguous: runs at once, after the queued
        np.testing.assert_array_equal(x, 3)
        add_one(x[:100])  # small: runs at once
        np.testing.assert_array_equal(x[:100], 4)
    np.testing.assert_array_equal(x, np.r_[np.full(100, 4), np.full(x.size - 100, 3)])


def test_workers_see_the_callers_numpy_error_state(small_blocks):
    ember.set_num_threads(2)
    x = np.zeros(1024 * 64, dtype=np.float32)
    seen: list = []
    with np.errstate(divide="raise"):
        opt_mod._elementwise(_count_kernel, (x,), 0, np, seen=seen, lock=threading.Lock())
    assert len(seen) == 32 and {mode for _, mode in seen} == {"raise"}


def test_one_thread_steps_on_the_calling_thread(small_blocks, monkeypatch):
    ember.set_num_threads(1)
    monkeypatch.setattr(opt_mod, "_executor", lambda n: pytest.fail("no pool with one thread"))
    p = ember.randn(300, 100, requires_grad=True)
    p.grad = ember.randn(300, 100)
    before = p.detach().clone()
    optim.Adam([p]).step()
    assert not ember.equal(p.detach(), before)


class _FailingSGD(optim.SGD):
    """SGD that raises on a group marked ``fail``, after the groups before it."""

    def _update(self, group: dict) -> None:
        if group.get("fail"):
            raise RuntimeError("this group fails")
        super()._update(group)


def test_step_that_raises_keeps_earlier_updates(small_blocks):
    ember.set_num_threads(2)
    big = ember.zeros(100, 100, requires_grad=True)
    other = ember.zeros(3, requires_grad=True)
    big.grad, other.grad = ember.ones(100, 100), ember.ones(3)
    opt = _FailingSGD([dict(params=[big]), dict(params=[other], fail=True)], lr=0.5)
    with pytest.raises(RuntimeError, match="this group fails"):
        opt.step()
    # as in PyTorch, the parameters before the failing group were updated
    assert ember.equal(big.detach(), ember.full((100, 100), -0.5))
    assert ember.equal(other.detach(), ember.zeros(3))
