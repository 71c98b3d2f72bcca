"""ember.profiler: op and range events, nesting, counts, tables in PyTorch's layout,
schedules, Chrome traces, and that op entry points are restored after profiling."""

import json
import os
import re
import time
import warnings

import pytest

import ember
from ember.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    tensorboard_trace_handler,
)


def _names(prof):
    return [e.name for e in prof.events()]


def test_ops_are_recorded_with_pytorch_names_and_counts():
    x = ember.randn(4, 5)
    w = ember.randn(5, 3)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            y = ember.matmul(x, w)
        z = (y + 1).relu()
        z.sum()
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts["aten::matmul"] == 3
    assert counts["aten::add"] == 1 and counts["aten::relu"] == 1 and counts["aten::sum"] == 1
    assert all(e.cpu_parent is None for e in prof.events()
               if e.name in ("aten::matmul", "aten::add"))


def test_record_function_contains_its_ops_and_self_le_total():
    x = ember.randn(64, 64)
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                for _ in range(2):
                    x = ember.tanh(x @ x.T)
            ember.exp(x)
    events = {e.name: e for e in prof.events() if e.is_user_annotation}
    outer, inner = events["outer"], events["inner"]
    assert inner.cpu_parent is outer
    assert {c.name for c in inner.cpu_children} >= {"aten::tanh", "aten::matmul"}
    for e in prof.events():
        assert e.self_cpu_time_total <= e.cpu_time_total + 1e-9
        for c in e.cpu_children:  # a child lies inside its parent's range
            assert e.time_range.start <= c.time_range.start
            assert c.time_range.end <= e.time_range.end
    assert outer.cpu_time_total >= inner.cpu_time_total
    expected = outer.cpu_time_total - sum(c.cpu_time_total for c in outer.cpu_children)
    assert outer.self_cpu_time_total == pytest.approx(expected)
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["aten::tanh"].count == 2 and avg["outer"].count == 1


def test_record_function_measures_real_time_and_works_as_decorator():
    @record_function("slow_fn")
    def slow():
        time.sleep(0.01)
        return ember.ones(3)

    with profile() as prof:
        slow()
        slow()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["slow_fn"].count == 2
    assert avg["slow_fn"].cpu_time_total >= 2 * 0.01 * 1e6 * 0.9  # microseconds
    assert avg["aten::ones"].count == 2
    assert slow().shape == (3,)  # outside a profile: just the function


def test_nothing_recorded_outside_and_entry_points_restored():
    before_add, before_ns = ember.Tensor.__add__, ember.matmul
    with profile() as prof:
        assert ember.Tensor.__add__ is not before_add
        ember.ones(2) + 1
    assert ember.Tensor.__add__ is before_add and ember.matmul is before_ns
    n = len(prof.events())
    ember.ones(2) + 1
    assert len(prof.events()) == n
    with record_function("unprofiled"):
        pass


def test_nested_profiles_are_refused():
    with profile():
        with pytest.raises(RuntimeError, match="already enabled"):
            with profile():
                pass


def _table_lines(text):
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == lines[2] == lines[-2] and set(lines[0]) <= {"-", " "}
    assert lines[-1].startswith("Self CPU time total: ")
    return lines


def test_table_has_torchs_columns_layout_and_sorting(torch):
    def run(t, prof_mod, F=None):
        x = t.randn(8, 16)
        w = t.randn(4, 16)
        with prof_mod.profile(activities=[prof_mod.ProfilerActivity.CPU],
                              record_shapes=True) as prof:
            with prof_mod.record_function("model_inference"):
                for _ in range(2):
                    t.nn.functional.linear(x, w).relu()
        return prof

    import torch.profiler as tp
    ember_nn = pytest.importorskip("ember.nn")  # noqa: F841 (F.linear)
    ours, theirs = run(ember, ember.profiler), run(torch, tp)
    for kwargs in ({}, {"group_by_input_shape": True}):
        a = ours.key_averages(**kwargs).table(sort_by="cpu_time_total", row_limit=3)
        b = theirs.key_averages(**kwargs).table(sort_by="cpu_time_total", row_limit=3)
        la, lb = _table_lines(a), _table_lines(b)
        assert la[1].split() == lb[1].split()  # header words
        assert len(la) == len(lb) == 3 + 3 + 2  # three rows
        # the row layout: name, then fixed-width columns of width 12 separated by two spaces
        widths_a = [len(c) for c in la[0].split("  ") if c]
        widths_b = [len(c) for c in lb[0].split("  ") if c]
        assert widths_a[1:7] == widths_b[1:7] == [12] * 6
        assert la[3].split()[0] == lb[3].split()[0] == "model_inference"
        assert re.fullmatch(r"\s*model_inference\s+[\d.]+%\s+[\d.]+m?s\s+100\.00%.*", la[3]) \
            or "100.00%" in la[3]
    shapes_row = [r for r in _table_lines(ours.key_averages(group_by_input_shape=True).table())
                  if "aten::linear" in r][0]
    assert "[[8, 16], [4, 16]" in shapes_row


def test_table_sorting_row_limit_and_memory_columns():
    x = ember.randn(32, 32)
    with profile(profile_memory=True) as prof:
        for _ in range(3):
            ember.exp(x)
        ember.sin(x)
        x.view(-1)
    ka = prof.key_averages()
    text = ka.table(sort_by="count", row_limit=2)
    lines = _table_lines(text)
    assert "CPU Mem" in lines[1] and "Self CPU Mem" in lines[1]
    assert len(lines) == 3 + 2 + 2 and "aten::exp" in lines[3]
    mem = {e.key: e.self_cpu_memory_usage for e in ka}
    assert mem["aten::exp"] == 3 * 32 * 32 * 4 and mem["aten::sin"] == 32 * 32 * 4
    assert mem["aten::view"] == 0  # a view allocates nothing
    assert "12.00 KB" in ka.table(sort_by="self_cpu_memory_usage")


def test_schedule_actions_and_windows():
    s = schedule(wait=1, warmup=1, active=2, repeat=1, skip_first=1)
    A = ProfilerAction
    assert [s(i) for i in range(7)] == [A.NONE, A.NONE, A.WARMUP, A.RECORD,
                                        A.RECORD_AND_SAVE, A.NONE, A.NONE]
    windows = []

    def ready(p):
        windows.append((p.step_num, p.events()))

    x = ember.ones(3)
    with profile(schedule=schedule(wait=1, warmup=1, active=2), on_trace_ready=ready) as p:
        for step in range(8):
            for _ in range(step + 1):  # step k makes k + 1 calls: the window tells them apart
                ember.exp(x)
            p.step()
    assert [w[0] for w in windows] == [4, 8]
    first = {e.key: e.count for e in windows[0][1].key_averages()}
    assert first["aten::exp"] == 3 + 4  # steps 2 and 3 recorded (0 waits, 1 warms up)
    assert first["ProfilerStep*"] == 2
    second = {e.key: e.count for e in windows[1][1].key_averages()}
    assert second["aten::exp"] == 7 + 8
    steps = [e.name for e in windows[1][1] if e.name.startswith("ProfilerStep#")]
    assert steps == ["ProfilerStep#6", "ProfilerStep#7"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="warmup"):
            schedule(wait=1, warmup=0, active=1)


def test_without_schedule_on_trace_ready_runs_once_at_exit():
    seen = []
    with profile(on_trace_ready=lambda p: seen.append(len(p.events()))) as p:
        ember.ones(2).sum()
        p.step()
        assert seen == []
    assert len(seen) == 1 and seen[0] >= 2


def test_chrome_trace_parses_and_holds_the_events(tmp_path):
    x = ember.randn(8, 8)
    with profile(record_shapes=True) as prof:
        with record_function("block"):
            ember.matmul(x, x)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    by_name = {e["name"]: e for e in spans}
    assert by_name["block"]["cat"] == "user_annotation"
    assert by_name["aten::matmul"]["cat"] == "cpu_op"
    assert by_name["aten::matmul"]["args"]["Input Dims"] == [[8, 8], [8, 8]]
    b, m = by_name["block"], by_name["aten::matmul"]
    assert b["ts"] <= m["ts"] and m["ts"] + m["dur"] <= b["ts"] + b["dur"] + 1e-3
    assert len(spans) == len(prof.events())


def test_tensorboard_trace_handler_writes_a_trace(tmp_path):
    with profile(schedule=schedule(wait=0, warmup=1, active=1),
                 on_trace_ready=tensorboard_trace_handler(str(tmp_path), "worker0")) as p:
        for _ in range(2):
            ember.ones(4).exp()
            p.step()
    files = os.listdir(tmp_path)
    assert len(files) == 1 and re.fullmatch(r"worker0\.\d+\.pt\.trace\.json", files[0])
    trace = json.loads((tmp_path / files[0]).read_text())
    assert any(e.get("name") == "aten::exp" for e in trace["traceEvents"])


def test_nn_functional_and_module_ops_are_seen():
    nn = pytest.importorskip("ember.nn")
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2))
    x = ember.randn(2, 3, 6, 6)
    with profile(record_shapes=True, with_flops=True) as prof:
        model(x)
    avg = {e.key: e for e in prof.key_averages(group_by_input_shape=True)}
    assert {"aten::conv2d", "aten::relu", "aten::linear", "aten::flatten"} <= set(avg)
    assert avg["aten::conv2d"].input_shapes[:2] == [[2, 3, 6, 6], [4, 3, 3, 3]]
    assert avg["aten::conv2d"].flops == 2 * (2 * 4 * 4 * 4) * (3 * 3 * 3)
    assert avg["aten::linear"].flops == 2 * 2 * 2 * 64
    assert "Total FLOPs" in prof.key_averages().table()  # the smallest count picks the unit


def test_with_stack_records_the_callers_frames():
    with profile(with_stack=True) as prof:
        ember.ones(3).exp()
    exp = [e for e in prof.events() if e.name == "aten::exp"][0]
    assert exp.stack and "test_profiler.py" in exp.stack[0]
    table = prof.key_averages(group_by_stack_n=2).table()
    assert "Source Location" in table and "test_profiler.py" in table


def test_autograd_profiler_api():
    from ember.profiler._legacy import profile as legacy_profile

    with legacy_profile(record_shapes=True) as prof:
        ember.ones(3).add(1)
    assert any(e.name == "aten::add" for e in prof.function_events)
    assert "aten::add" in prof.key_averages().table(sort_by="self_cpu_time_total")
    disabled = legacy_profile(enabled=False)
    with disabled as prof:  # PyTorch's legacy profiler gives None when disabled
        ember.ones(3).add(1)
    assert prof is None
    assert len(disabled.function_events) == 0
