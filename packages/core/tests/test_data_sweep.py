"""ember.utils.data against torch.utils.data, record by record, the way training programs use
it: sampler streams under the same seeds, random_split's remainder, collate dtypes, and what
the DataLoader says when something goes wrong (dead workers, timeouts, over-long streams)."""

from __future__ import annotations

import collections
import os
import signal
import time
import warnings

import numpy as np
import pytest

import ember

Point = collections.namedtuple("Point", ["x", "y"])


def _plain(x, lib):
    """A record with tensors turned into (dtype name, shape, values) for comparison."""
    if isinstance(x, lib.Tensor):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.detach().numpy().tolist())
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(_plain(v, lib) for v in x))
    if isinstance(x, dict):
        return {k: _plain(v, lib) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v, lib) for v in x)
    return x


def _records(lib, program) -> list:
    rec: list = []
    program(lib, rec)
    return [(r[0], _plain(r[1:], lib)) for r in rec]


def _assert_same_records(program, torch) -> None:
    ours, theirs = _records(ember, program), _records(torch, program)
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    for (key, a), (_, b) in zip(ours, theirs):
        assert a == b, key


def _outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the exception is the record
        return (type(e).__name__, str(e))


# ------------------------------------------------------------------ samplers and splits
def _sampler_program(lib, rec):
    D = lib.utils.data
    lib.manual_seed(3)
    rec.append(("rs_repl", list(D.RandomSampler(range(7), replacement=True, num_samples=40))))
    rec.append(("rs_more", list(D.RandomSampler(range(7), num_samples=17))))
    g = lib.Generator().manual_seed(5)
    rec.append(("rs_gen", list(D.RandomSampler(range(7), True, 5, generator=g))))
    w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    rec.append(("wrs", list(D.WeightedRandomSampler(w, 12))))
    rec.append(("wrs_norepl", list(D.WeightedRandomSampler(w, 5, replacement=False))))
    rec.append(("wrs_np", list(D.WeightedRandomSampler(np.array([0.2, 0.8]), 4))))
    rec.append(("srs", list(D.SubsetRandomSampler([10, 20, 30, 40, 50]))))
    rec.append(("bs", list(D.BatchSampler(range(7), 2, False)),
                len(D.BatchSampler(range(7), 2, True))))
    for n, nr, shuffle, drop in [(10, 3, True, False), (10, 3, True, True), (11, 4, False, True),
                                 (2, 5, True, False)]:
        for rank in range(nr):
            s = D.DistributedSampler(range(n), nr, rank, shuffle=shuffle, seed=7, drop_last=drop)
            first = list(s)
            s.set_epoch(2)
            rec.append((f"dist{n}/{nr}/{shuffle}/{drop}/{rank}", first, list(s), len(s)))
    ds = D.TensorDataset(lib.arange(10))
    lib.manual_seed(0)
    dl = D.DataLoader(ds, batch_size=3, shuffle=True)
    rec.append(("two_epochs", [b[0] for b in dl], [b[0] for b in dl]))
    g = lib.Generator().manual_seed(42)
    dl = D.DataLoader(ds, batch_size=4, shuffle=True, generator=g)
    rec.append(("gen_epochs", [b[0] for b in dl], [b[0] for b in dl], lib.rand(2, generator=g)))
    rec.append(("global_after", lib.rand(3)))


def test_sampler_streams_match_pytorch(torch):
    _assert_same_records(_sampler_program, torch)


def _split_program(lib, rec):
    D = lib.utils.data
    lib.manual_seed(0)
    for n, fracs in [(11, [0.33, 0.33, 0.34]), (7, [0.25] * 4), (3, [0.1, 0.1, 0.8]),
                     (10, [0.3, 0.7])]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parts = D.random_split(range(n), fracs)
        rec.append((f"split{n}", [list(p.indices) for p in parts],
                    sorted(str(w.message) for w in caught)))
    rec.append(("bad_sum", _outcome(lambda: D.random_split(range(10), [3, 3]))))
    rec.append(("bad_frac", _outcome(lambda: D.random_split(range(10), [1.5, -0.5]))))
    c = D.ConcatDataset([range(3), range(10, 15)])
    rec.append(("concat", c.cumulative_sizes, c[-1], c[-8], _outcome(lambda: c[-9])))
    rec.append(("after", lib.rand(2)))


def test_random_split_remainder_and_concat_index_match_pytorch(torch):
    _assert_same_records(_split_program, torch)


# ------------------------------------------------------------------ collation
def _collate_program(lib, rec):
    C = lib.utils.data.default_collate
    rec.append(("float", C([1.0, 2.5])))
    rec.append(("int", C([1, 2])))
    rec.append(("bool", C([True, False])))
    rec.append(("np_f32", C([np.float32(1.5), np.float32(2)])))
    rec.append(("np_i32", C([np.int32(1), np.int32(2)])))
    rec.append(("np_bool", C([np.bool_(True), np.bool_(False)])))
    rec.append(("np_u8", C([np.arange(3, dtype=np.uint8)] * 2)))
    rec.append(("np0d", C([np.array(1.0), np.array(2.0)])))
    rec.append(("strs", C(["a", "bc"]), C([b"a", b"b"])))
    nt = C([Point(1, 2.0), Point(3, 4.0)])
    rec.append(("namedtuple", nt))
    rec.append(("nested", C([{"a": [(1, np.float32(1))]}, {"a": [(2, np.float32(2))]}])))
    rec.append(("unequal", _outcome(lambda: C([[1, 2], [3]]))))
    rec.append(("unequal_t", _outcome(lambda: C([lib.ones(2), lib.ones(3)]))))
    rec.append(("np_str", _outcome(lambda: C([np.array(["a"]), np.array(["b"])]))))
    rec.append(("none", _outcome(lambda: C([None, None]))))
    rec.append(("a_tensor", _outcome(lambda: C(lib.ones(3, 2)))))
    sparse = lib.eye(2).to_sparse()
    rec.append(("sparse", _outcome(lambda: C([sparse, sparse]))))
    ds = [(np.float32(i), i, {"k": float(i)}) for i in range(3)]
    rec.append(("no_batch", list(lib.utils.data.DataLoader(ds, batch_size=None))))


def test_collate_dtypes_and_refusals_match_pytorch(torch):
    _assert_same_records(_collate_program, torch)


# ------------------------------------------------------------------ workers going wrong
class _DiesAt2(ember.utils.data.Dataset):
    def __init__(self, how: str) -> None:
        self.how = how

    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> int:
        if i == 2:
            if self.how == "signal":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)
        return i


def test_worker_killed_by_signal_raises_pytorchs_message():
    it = iter(ember.utils.data.DataLoader(_DiesAt2("signal"), batch_size=1, num_workers=1))
    pid = it._workers[0].pid
    with pytest.raises(RuntimeError) as info:
        list(it)
    assert str(info.value) == f"DataLoader worker (pid {pid}) is killed by signal: Killed. "


def test_worker_exit_code_raises_pytorchs_message():
    it = iter(ember.utils.data.DataLoader(_DiesAt2("exit"), batch_size=1, num_workers=1))
    pid = it._workers[0].pid
    with pytest.raises(RuntimeError) as info:
        list(it)
    assert str(info.value) == (
        f"DataLoader worker (pid {pid}) exited unexpectedly with exit code 3. Details are lost "
        "due to multiprocessing. Rerunning with num_workers=0 may give better error trace.")


class _Slow(ember.utils.data.Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        time.sleep(4)
        return i


def test_timeout_does_not_wait_for_the_busy_worker():
    dl = ember.utils.data.DataLoader(_Slow(), batch_size=1, num_workers=1, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        next(iter(dl))
    assert time.monotonic() - start < 1.8  # the timeout, not the 4 s the worker sleeps


class _Overlong(ember.utils.data.IterableDataset):
    def __iter__(self):
        return iter(range(10))

    def __len__(self) -> int:
        return 4


@pytest.mark.parametrize("num_workers", [0, 2])
def test_overlong_iterable_warning_points_at_the_loop(num_workers, torch):
    def messages(lib, cls):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            dl = lib.utils.data.DataLoader(cls(), batch_size=2, num_workers=num_workers)
            len(dl)
            for _ in dl:  # the warnings are attributed to this line, as PyTorch does
                pass
        return [(w.category, w.filename, str(w.message).split(" was reported")[1])
                for w in caught if "Length of IterableDataset" in str(w.message)]

    class TorchOverlong(torch.utils.data.IterableDataset):
        __iter__ = _Overlong.__iter__
        __len__ = _Overlong.__len__

    ours = messages(ember, _Overlong)
    assert ours == messages(torch, TorchOverlong)
    assert ours and all(w[1] == __file__ for w in ours)


def test_prefetch_factor_zero_refused_at_iteration_as_pytorch(torch):
    outcomes = []
    for lib in (ember, torch):
        dl = lib.utils.data.DataLoader(list(range(5)), batch_size=2, num_workers=1,
                                       prefetch_factor=0)
        outcomes.append((dl.prefetch_factor, _outcome(lambda dl=dl: list(dl))))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1][0] == "AssertionError"


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_unpicklable_dataset_warns_and_raises_as_pytorch(method, torch):
    def attempt(lib):
        class Local(lib.utils.data.Dataset):  # a local class cannot be pickled to a worker
            def __len__(self):
                return 2

            def __getitem__(self, i):
                return i

        dl = lib.utils.data.DataLoader(Local(), num_workers=1, multiprocessing_context=method)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _outcome(lambda: next(iter(dl)))
        hints = [str(w.message) for w in caught if "pickle error" in str(w.message)]
        return result[0], hints

    assert attempt(ember) == attempt(torch)


def test_timeout_without_workers_refused_at_iteration_as_pytorch(torch):
    outcomes = []
    for lib in (ember, torch):
        lib.manual_seed(4)
        dl = lib.utils.data.DataLoader(list(range(4)), batch_size=2, shuffle=True, timeout=2)
        outcomes.append((_outcome(lambda dl=dl: list(dl)), lib.rand(2).tolist()))
    assert outcomes[0] == outcomes[1]  # the same error, after the same draw from the seed
    assert outcomes[0][0][0] == "AssertionError"


def _stop_at_3(lib):
    class StopAt3(lib.utils.data.Dataset):  # a map-style dataset raising StopIteration
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 3:
                raise StopIteration
            return i

    return StopAt3()


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("batch_size", [None, 2])
def test_stop_iteration_in_map_dataset_ends_the_epoch_as_pytorch(num_workers, batch_size, torch):
    got = [_plain(list(lib.utils.data.DataLoader(_stop_at_3(lib), batch_size=batch_size,
                                                 num_workers=num_workers)), lib)
           for lib in (ember, torch)]
    assert got[0] == got[1]


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "complex64", "bool", "int16"])
@pytest.mark.parametrize("width", [3, 700])  # pickled, and through shared memory
def test_batches_from_workers_keep_dtype_and_values(dtype, width, torch):
    def batches(lib, num_workers):
        g = lib.Generator().manual_seed(0)
        x = (lib.randn(6, width, generator=g) * 3).to(getattr(lib, dtype))
        dl = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x),
                                       batch_size=4, num_workers=num_workers)
        return [(str(b.dtype).split(".")[-1], tuple(b.shape)) for (b,) in dl], list(dl)

    meta, ours = batches(ember, 2)
    meta0, ref = batches(ember, 0)
    meta_t, _ = batches(torch, 2)
    assert meta == meta0 == meta_t
    for (a,), (b,) in zip(ours, ref):
        assert a.dtype == b.dtype
        assert bool((a == b).all())


def _fails_at_1(lib):
    class FailsAt1(lib.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 1:
                raise ValueError("bad sample 1")
            return i

    return FailsAt1()


def _skip_bad_batches(it) -> list:
    out = []
    for _ in range(8):
        try:
            out.append(next(it).tolist())
        except StopIteration:
            return out + ["stop"]
        except ValueError as e:
            out.append(str(e).splitlines()[0])
    return out


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iteration_goes_on_after_a_worker_exception_as_pytorch(num_workers, torch):
    got = [_skip_bad_batches(iter(lib.utils.data.DataLoader(
        _fails_at_1(lib), batch_size=1, num_workers=num_workers))) for lib in (ember, torch)]
    assert got[0] == got[1]


def test_persistent_workers_survive_a_worker_exception_as_pytorch(torch):
    got = []
    for lib in (ember, torch):
        dl = lib.utils.data.DataLoader(_fails_at_1(lib), batch_size=1, num_workers=2,
                                       persistent_workers=True)
        got.append([_skip_bad_batches(iter(dl)) for _ in range(2)])
    assert got[0] == got[1]


def test_sampler_base_takes_no_arguments_as_pytorch(torch):
    got = [(_outcome(lambda lib=lib: lib.utils.data.Sampler(range(3))),
            type(lib.utils.data.Sampler()).__name__) for lib in (ember, torch)]
    assert got[0] == got[1]
