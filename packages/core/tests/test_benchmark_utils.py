"""ember.utils.benchmark: Timer, Measurement, Compare and Fuzzer behave and print like
torch.utils.benchmark (layouts compared line by line with numbers masked; no timings)."""

import pickle
import re

import numpy as np
import pytest

import ember
import ember.utils.benchmark as benchmark
from ember.utils.benchmark.utils.common import Measurement, TaskSpec, select_unit, trim_sigfig


def _mask(text):
    """A printed layout with its numbers, addresses and module names masked."""
    text = re.sub(r"<[\w.]+\.Measurement object at 0x[0-9a-f]+>", "<Measurement>", text)
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\d+(\.\d+)?", "N", text)


def _pair(torch, raw, number, **spec):
    """The same measurement built by Ember and by PyTorch."""
    tb = pytest.importorskip("torch.utils.benchmark")
    from torch.utils.benchmark.utils.common import Measurement as TM
    from torch.utils.benchmark.utils.common import TaskSpec as TS
    return (Measurement(number, list(raw), TaskSpec(**spec)), TM(number, list(raw), TS(**spec)), tb)


SPECS = [
    dict(stmt="f(x)", setup="from __main__ import f"),
    dict(stmt="f(x)", setup="pass", label="Batched dot", sub_label="[1, 64]", description="mul"),
    dict(stmt="for _ in range(2):\n    f(x)", setup="a = 1\nb = 2", sub_label="s", num_threads=4),
]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("raw", [[1.3e-3], [1e-3, 1.1e-3], [5e-6, 5.1e-6, 5.2e-6, 9e-6, 5e-6],
                                 [2.0, 2.01, 2.02, 2.03]])
def test_measurement_repr_and_stats_match_torch(torch, spec, raw):
    ours, theirs, _ = _pair(torch, raw, 100, **spec)
    assert _mask(repr(ours)) == _mask(repr(theirs))
    # the numbers too: same statistics, units, and warnings
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]
    for attr in ("mean", "median", "iqr", "times", "number_per_run", "significant_figures",
                 "has_warnings", "title", "as_row_name"):
        assert getattr(ours, attr) == pytest.approx(getattr(theirs, attr)), attr
    assert ours.meets_confidence(0.05) == theirs.meets_confidence(0.05)
    assert ours.label == spec.get("label") and ours.stmt == spec["stmt"]


@pytest.mark.parametrize("t", [3e-10, 4.2e-8, 3e-5, 0.0123, 7.0, 1234.5])
def test_select_unit_and_trim_sigfig_match_torch(torch, t):
    from torch.utils.benchmark.utils import common as tc
    assert select_unit(t) == tc.select_unit(t)
    for n in (1, 2, 3):
        assert trim_sigfig(t * 3.14159, n) == pytest.approx(tc.trim_sigfig(t * 3.14159, n))


def test_timer_measures_the_statement_and_counts_runs():
    calls = []
    t = benchmark.Timer("f()", globals={"f": lambda: calls.append(1)}, label="L",
                        sub_label="S", description="D", num_threads=2)
    m = t.timeit(50)
    assert isinstance(m, benchmark.Measurement)
    assert m.number_per_run == 50 and len(m.raw_times) == 1
    assert len(calls) == 50 + 2  # the warm-up runs max(50 // 100, 2) times first
    assert (m.label, m.sub_label, m.description, m.num_threads) == ("L", "S", "D", 2)
    text = repr(m)
    assert text.splitlines()[1:3] == ["L: S", "D"]
    assert text.splitlines()[-1].endswith("50 runs , 2 threads")
    assert m.times == [m.raw_times[0] / 50]
    assert ember.get_num_threads() != 2 or True  # restored below
    with_threads = []
    benchmark.Timer("g()", globals={"g": lambda: with_threads.append(ember.get_num_threads())},
                    num_threads=3).timeit(1)
    assert set(with_threads) == {3}


def test_timer_globals_see_ember_as_torch_and_setup_runs_once():
    x = ember.ones(4)
    m = benchmark.Timer("torch.add(x, y)", setup="y = x * 2", globals={"x": x}).timeit(3)
    assert m.median > 0
    with pytest.raises(ValueError, match="only a `str` stmt"):
        benchmark.Timer(lambda: None)
    with pytest.raises(ValueError, match="global_setup is C\\+\\+ only"):
        benchmark.Timer("pass", global_setup="int x;")
    with pytest.raises(ValueError, match="Invalid language"):
        benchmark.Timer("pass", language="fortran")
    for fn in (benchmark.Timer("pass").repeat, benchmark.Timer("pass").autorange):
        with pytest.raises(NotImplementedError, match="blocked_autorange"):
            fn()


def test_blocked_autorange_reaches_min_run_time():
    count = [0]
    m = benchmark.Timer("f()", globals={"f": lambda: count.__setitem__(0, count[0] + 1)}
                        ).blocked_autorange(min_run_time=0.02)
    assert sum(m.raw_times) >= 0.02
    assert m.number_per_run in {10 ** k for k in range(10)}
    assert count[0] >= m.number_per_run * len(m.raw_times)
    blocks = []
    benchmark.Timer("pass").blocked_autorange(callback=lambda n, t: blocks.append(n),
                                              min_run_time=0.01)
    assert blocks and len(set(blocks)) == 1


def test_adaptive_autorange_stops_on_confidence_or_max_time():
    m = benchmark.Timer("sum(range(50))").adaptive_autorange(threshold=10.0, max_run_time=2)
    assert len(m.raw_times) == 4  # the first moment four blocks meet a loose threshold
    m = benchmark.Timer("sum(range(50))").adaptive_autorange(threshold=0.0, max_run_time=0.05)
    assert sum(m.raw_times) > 0.05 or len(m.raw_times) > 4


def test_measurement_pickles_and_merges():
    spec = TaskSpec("f(x)", "pass", label="L", sub_label="a", description="d")
    m1, m2 = Measurement(10, [1e-3, 2e-3], spec), Measurement(5, [1e-3], spec)
    back = pickle.loads(pickle.dumps(m1))
    assert back.times == m1.times and back.median == m1.median and back.task_spec == spec
    merged = Measurement.merge([m1, m2])
    assert len(merged) == 1 and merged[0].number_per_run == 1
    assert merged[0].times == pytest.approx([1e-4, 2e-4, 2e-4])


def _results(mod, Measurement_, TaskSpec_):
    out = []
    rng = np.random.default_rng(0)
    for threads in (1, 4):
        for sub in ("[1, 1]", "[64, 64]"):
            for desc, base in (("mul/sum", 6e-6), ("bmm", 2e-5)):
                raw = list(base * (1 + 0.3 * rng.random(6)) * 100)
                out.append(Measurement_(100, raw, TaskSpec_("f(x)", "pass", label="Batched dot",
                                                             sub_label=sub, description=desc,
                                                             num_threads=threads)))
    return out


@pytest.mark.parametrize("options", [(), ("trim_significant_figures",), ("colorize",),
                                     ("colorize", "highlight_warnings", "trim_significant_figures")])
def test_compare_prints_torchs_table(torch, options):
    from torch.utils.benchmark import Compare as TC
    from torch.utils.benchmark.utils.common import Measurement as TM
    from torch.utils.benchmark.utils.common import TaskSpec as TS
    ours = benchmark.Compare(_results(ember, Measurement, TaskSpec))
    theirs = TC(_results(torch, TM, TS))
    for opt in options:
        getattr(ours, opt)()
        getattr(theirs, opt)()
    assert str(ours) == str(theirs)  # same inputs: the same text, colours included


def test_compare_rejects_non_measurements_and_splits_labels(capsys):
    with pytest.raises(ValueError, match="Expected an instance of `Measurement`"):
        benchmark.Compare([1.0])
    a = Measurement(1, [1.5e-3], TaskSpec("a", "pass", label="A", description="d"))
    b = Measurement(1, [2.5e-3], TaskSpec("b", "pass", label="B", description="d"))
    benchmark.Compare([a, b]).print()
    out = capsys.readouterr().out
    assert out.count("Times are in milliseconds (ms).") == 2
    assert "-- A --" in out and "-- B --" in out


def test_fuzzer_draws_torchs_parameters_and_layouts(torch):
    from torch.utils.benchmark import FuzzedParameter as TP
    from torch.utils.benchmark import FuzzedTensor as TT
    from torch.utils.benchmark import Fuzzer as TF

    def make(P, T, F):
        return F(parameters=[P("k0", minval=1, maxval=10000, distribution="loguniform"),
                             P("k1", minval=1, maxval=10000, distribution="loguniform")],
                 tensors=[T("x", size=("k0", "k1"), min_elements=128, max_elements=10000000,
                            probability_contiguous=0.6)], seed=0)

    ours = list(make(benchmark.FuzzedParameter, benchmark.FuzzedTensor, benchmark.Fuzzer).take(6))
    theirs = list(make(TP, TT, TF).take(6))
    for (t1, p1, q1), (t2, p2, q2) in zip(ours, theirs):
        assert q1 == q2
        assert tuple(t1["x"].shape) == tuple(t2["x"].shape)
        assert t1["x"].stride() == t2["x"].stride()
        assert p1["x"]["is_contiguous"] == p2["x"]["is_contiguous"]
        assert list(p1["x"]["order"]) == list(p2["x"]["order"])
    assert any(not p["x"]["is_contiguous"] for _, p, _ in ours)


def test_fuzzer_constraints_aliases_and_errors():
    P, F = benchmark.FuzzedParameter, benchmark.Fuzzer
    fz = F([P("a", 1, 100, "uniform"), P("b", 1, 100, "uniform")], [],
           constraints=[lambda p: p["a"] < p["b"]], seed=3)
    for _, _, params in fz.take(20):
        assert params["a"] < params["b"]
    assert 0 < fz.rejection_rate < 1
    fz = F([P("a", 1, 9, "uniform"), P("c", distribution={1: 0.5, 2: 0.5})], [], seed=0)
    for _, _, params in fz.take(5):
        assert params["c"] in (1, 2)
    with pytest.raises(AssertionError, match="Unknown distribution"):
        P("z", 1, 2, "normal")
    with pytest.raises(ValueError, match="Duplicate names"):
        F([P("x", 1, 2, "uniform")], [benchmark.FuzzedTensor("x", size=(2,))])
    resolved = F._resolve_aliases({"a": 3, "b": benchmark.ParameterAlias("a")})
    assert resolved == {"a": 3, "b": 3}
    with pytest.raises(ValueError, match="cycle"):
        F._resolve_aliases({"a": benchmark.ParameterAlias("b"),
                            "b": benchmark.ParameterAlias("a")})
