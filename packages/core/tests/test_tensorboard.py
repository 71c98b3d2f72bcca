"""ember.utils.tensorboard against torch.utils.tensorboard: the same calls write the same
events (tags, steps, wall times, summary protobufs byte for byte), the same side runs
(add_scalars, add_hparams) and the same projector files; Ember's add_graph writes a graph
that TensorBoard reads; ``import ember`` leaves tensorboard alone."""

from __future__ import annotations

import glob
import io
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    LegacyEventFileLoader,
)
from tensorboard.compat.proto.summary_pb2 import Summary  # noqa: E402

import ember  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

RNG = np.random.default_rng(7)
WALL = 1_700_000_000.25


def _events(logdir: str) -> list:
    """The events of the run in ``logdir`` (its own event files, not its subfolders), as
    written: no read-time conversion."""
    out = []
    for f in sorted(glob.glob(os.path.join(logdir, "events.out.tfevents.*"))):
        out.extend(LegacyEventFileLoader(f).Load())
    return out


def _summaries(logdir: str, keep_walltime: bool = True) -> list:
    """``(step, wall_time, value)`` of every summary value written in ``logdir``."""
    rows = []
    for ev in _events(logdir):
        if ev.HasField("summary"):
            for v in ev.summary.value:
                rows.append((ev.step, ev.wall_time if keep_walltime else None, v))
    return rows


def _both(torch, tmp_path: Path, log, to_torch=None, **kwargs) -> tuple[str, str]:
    """Run ``log(writer, tensor)`` with torch's writer and Ember's, ``tensor`` turning a NumPy
    array into the library's tensor; return the two log folders."""
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    dirs = str(tmp_path / "torch"), str(tmp_path / "ember")
    with TorchWriter(dirs[0], **kwargs) as w:
        log(w, to_torch or (lambda a: torch.from_numpy(np.ascontiguousarray(a))))
    with SummaryWriter(dirs[1], **kwargs) as w:
        log(w, ember.tensor)
    return dirs


def _assert_same_run(dir_t: str, dir_e: str, keep_walltime: bool = True) -> list:
    st, se = _summaries(dir_t, keep_walltime), _summaries(dir_e, keep_walltime)
    assert len(st) == len(se) > 0
    for (step_t, wall_t, vt), (step_e, wall_e, ve) in zip(st, se):
        assert (step_t, wall_t, vt.tag) == (step_e, wall_e, ve.tag)
        assert vt == ve, f"{vt.tag}: {vt} != {ve}"
    return se


def test_scalars(torch, tmp_path):
    values = RNG.standard_normal(5)

    def log(w, T):
        for i, v in enumerate(values):
            w.add_scalar("loss/train", float(v), i, walltime=WALL + i)
            w.add_scalar("t0d", T(np.array(v)), i, walltime=WALL)
            w.add_scalar("t1", T(np.array([v], np.float32)), i * 10, walltime=WALL)
            w.add_scalar("np", np.float64(v), walltime=WALL)
            w.add_scalar("new", T(np.array(v)), i, walltime=WALL, new_style=True)
            w.add_scalar("dbl", float(v), i, walltime=WALL, new_style=True,
                         double_precision=True)
        w.add_scalar("int", 3, 7, walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    assert {r[2].tag for r in rows} == {"loss/train", "t0d", "t1", "np", "new", "dbl", "int"}
    dbl = [r[2] for r in rows if r[2].tag == "dbl"]
    assert dbl[0].tensor.double_val[0] == values[0]


def test_scalar_walltime_default_and_errors(torch, tmp_path):
    import time

    before = time.time()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("a", 1.0, 3)
        with pytest.raises(AssertionError):
            w.add_scalar("b", ember.ones(2), 0)
    (step, wall, v), = _summaries(str(tmp_path))
    assert step == 3 and before <= wall <= time.time() and v.simple_value == 1.0


def test_add_scalars_subwriters(torch, tmp_path):
    def log(w, T):
        for i in range(3):
            w.add_scalars("run/loss", {"train": i * 0.5, "val": T(np.array(i * 0.25))}, i,
                          walltime=WALL + i)
        w.add_scalar("main", 1.0, 0, walltime=WALL)

    dt, de = _both(torch, tmp_path, log)
    def subdirs(d):
        return sorted(s for s in os.listdir(d) if os.path.isdir(os.path.join(d, s)))

    assert subdirs(dt) == subdirs(de) == ["run_loss_train", "run_loss_val"]
    for sub in ("run_loss_train", "run_loss_val"):
        _assert_same_run(os.path.join(dt, sub), os.path.join(de, sub))
    _assert_same_run(dt, de)


@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), ("auto", None), (7, None),
                                           ("fd", None), (50, 8), ("tensorflow", 64),
                                           (np.linspace(-3, 3, 11), None)])
def test_histogram(torch, tmp_path, bins, max_bins):
    data = [RNG.standard_normal((40, 5)).astype(np.float32), RNG.integers(-5, 9, 30),
            RNG.random(17), np.full(6, 2.0)]

    def log(w, T):
        for i, a in enumerate(data):
            w.add_histogram(f"h{i}", T(a), i, bins=bins, walltime=WALL, max_bins=max_bins)
        w.add_histogram("np", data[0][1:, ::2], 9, bins=bins, walltime=WALL, max_bins=max_bins)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    assert rows[0][2].histo.num == 200 and len(rows[0][2].histo.bucket) > 1


def test_histogram_raw(torch, tmp_path):
    def log(w, T):
        w.add_histogram_raw("raw", min=-1.0, max=2.0, num=6, sum=3.0, sum_squares=9.5,
                            bucket_limits=[0.0, 1.0, 2.0], bucket_counts=[1, 3, 2],
                            global_step=4, walltime=WALL)
        with pytest.raises(ValueError, match="bucket_limits"):
            w.add_histogram_raw("bad", 0, 1, 1, 1, 1, [1.0], [1, 2])

    _assert_same_run(*_both(torch, tmp_path, log))


def _decode(value) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(value.image.encoded_image_string)))


@pytest.mark.parametrize("shape,fmt,kind", [
    ((3, 10, 12), "CHW", "float"), ((1, 9, 7), "CHW", "float"), ((10, 12, 3), "HWC", "uint8"),
    ((8, 6), "HW", "float"), ((11, 5, 1), "HWC", "uint8"), ((4, 3, 5), "HCW", "float64"),
    ((4, 10, 3, 5), "HWCN", "float"), ((10, 12, 4), "HWC", "uint8")])
def test_add_image(torch, tmp_path, shape, fmt, kind):
    if kind == "uint8":
        img = RNG.integers(0, 256, shape).astype(np.uint8)
    else:  # some values outside [0, 1]: clipped after scaling
        img = (RNG.random(shape) * 1.2 - 0.1).astype(np.float32 if kind == "float" else kind)

    def log(w, T):
        w.add_image("img", T(img), 2, walltime=WALL, dataformats=fmt)
        w.add_image("np", img, 3, walltime=WALL, dataformats=fmt)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    pixels = _decode(rows[0][2])
    if len(fmt) == 3:  # the decoded PNG holds the image's own pixels
        hwc = img.transpose([fmt.find(c) for c in "HWC"])
        expect = hwc if kind == "uint8" else (hwc.astype(np.float32) * 255).clip(0, 255)
        expect = expect.astype(np.uint8)
        if expect.shape[2] == 1:
            expect = np.repeat(expect, 3, 2)
        np.testing.assert_array_equal(pixels, expect)


@pytest.mark.parametrize("n,fmt", [(1, "NCHW"), (5, "NCHW"), (8, "NCHW"), (13, "NHWC"),
                                   (3, "NCHW")])
def test_add_images_grid(torch, tmp_path, n, fmt):
    c = 1 if n == 3 else 3
    shape = (n, c, 6, 4) if fmt == "NCHW" else (n, 6, 4, c)
    imgs = RNG.random(shape).astype(np.float32)

    def log(w, T):
        w.add_images("batch", T(imgs), 0, walltime=WALL, dataformats=fmt)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    img = rows[0][2].image
    cols = min(n, 8)
    assert (img.height, img.width) == (6 * -(-n // cols), 4 * cols)
    nchw = imgs if fmt == "NCHW" else imgs.transpose(0, 3, 1, 2)
    pixels = _decode(rows[0][2])
    last = ((nchw[n - 1] * 255).clip(0, 255).astype(np.uint8)).transpose(1, 2, 0)
    r, q = divmod(n - 1, cols)
    np.testing.assert_array_equal(pixels[6 * r:6 * r + 6, 4 * q:4 * q + 4],
                                  np.broadcast_to(last, (6, 4, 3)))


def test_image_with_boxes(torch, tmp_path):
    img = RNG.random((3, 32, 40)).astype(np.float32)
    boxes = np.array([[2, 3, 20, 25], [5, 5, 30, 30]], np.float32)

    def log(w, T):
        w.add_image_with_boxes("boxes", T(img), T(boxes), 1, walltime=WALL,
                               labels=["a", "b"])
        w.add_image_with_boxes("scaled", T(img), T(boxes), 1, walltime=WALL, rescale=2)

    _assert_same_run(*_both(torch, tmp_path, log))


def test_add_figure(torch, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figure(k):
        fig = plt.figure(figsize=(2, 1.5), dpi=40)
        plt.plot(np.arange(5) * k)
        return fig

    def log(w, T):
        w.add_figure("fig", figure(1), 0, walltime=WALL)
        w.add_figure("figs", [figure(2), figure(3)], 1, walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    assert (rows[0][2].image.height, rows[0][2].image.width) == (60, 80)


def test_add_audio(torch, tmp_path):
    snd = np.sin(np.linspace(0, 40, 800)).astype(np.float32) * 0.8
    loud = np.linspace(-2, 2, 300)

    def log(w, T):
        w.add_audio("tone", T(snd[None]), 1, sample_rate=8000, walltime=WALL)
        w.add_audio("clipped", T(loud), 2, walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    with wave.open(io.BytesIO(rows[0][2].audio.encoded_audio_string)) as wav:
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        assert wav.getframerate() == 8000
    np.testing.assert_array_equal(frames, (snd * 32767).astype("<i2"))


def test_add_text(torch, tmp_path):
    def log(w, T):
        w.add_text("notes", "**bold** and ünïcode", 3, walltime=WALL)
        w.add_text("a/b", "second", walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    assert rows[0][2].tag == "notes/text_summary"
    assert rows[0][2].tensor.string_val[0].decode() == "**bold** and ünïcode"


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int8", "uint8", "int16",
                                   "int32", "int64", "bool", "complex64", "complex128"])
def test_add_tensor(torch, tmp_path, dtype):
    a = RNG.standard_normal((2, 3)) * 4
    if dtype.startswith("complex"):
        a = a + 1j * RNG.standard_normal((2, 3))
    a = (a > 0) if dtype == "bool" else a.astype(dtype)

    def log(w, T):
        w.add_tensor("t", T(a), 5, walltime=WALL)

    _assert_same_run(*_both(torch, tmp_path, log))


@pytest.mark.parametrize("num_thresholds,weighted", [(127, False), (10, True), (300, False)])
def test_pr_curve(torch, tmp_path, num_thresholds, weighted):
    labels = RNG.integers(0, 2, 50)
    preds = RNG.random(50).astype(np.float32)
    weights = RNG.random(50) if weighted else None

    def log(w, T):
        w.add_pr_curve("pr", T(labels), T(preds), 1, num_thresholds=num_thresholds,
                       weights=weights, walltime=WALL)
        w.add_pr_curve("np", labels.astype(bool), preds, 2, walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    data = np.array(rows[0][2].tensor.float_val).reshape(6, -1)
    assert data.shape[1] == min(num_thresholds, 127)
    if not weighted:
        assert data[0, 0] == labels.sum() and data[1, 0] == (1 - labels).sum()


def test_pr_curve_raw(torch, tmp_path):
    k = 5
    counts = [RNG.integers(0, 20, k).astype(np.float64) for _ in range(4)]
    prec, rec = RNG.random(k), RNG.random(k)

    def log(w, T):
        w.add_pr_curve_raw("raw", *counts, prec, rec, 3, num_thresholds=k, walltime=WALL)

    _assert_same_run(*_both(torch, tmp_path, log))


def test_custom_scalars(torch, tmp_path):
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
                      "nasdaq": ["Multiline", ["nasdaq/aaa", "nasdaq/bbb"]]}}

    def log(w, T):
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["x", "lo", "hi"])
        with pytest.raises(AssertionError):
            w.add_custom_scalars_marginchart(["x", "lo"])

    _assert_same_run(*_both(torch, tmp_path, log), keep_walltime=False)


def test_add_mesh(torch, tmp_path):
    verts = RNG.random((1, 4, 3)).astype(np.float32)
    colors = RNG.integers(0, 256, (1, 4, 3)).astype(np.uint8)
    faces = np.array([[[0, 1, 2], [1, 2, 3]]], np.int32)

    def log(w, T):
        w.add_mesh("m", T(verts), colors=T(colors), faces=T(faces), global_step=2,
                   walltime=WALL, config_dict={"camera": {"fov": 75}})
        w.add_mesh("points", T(verts), walltime=WALL)

    rows = _assert_same_run(*_both(torch, tmp_path, log))
    assert [r[2].tag for r in rows[:3]] == ["m_VERTEX", "m_FACE", "m_COLOR"]


@pytest.mark.parametrize("run_name", ["fixed", None])
def test_add_hparams(torch, tmp_path, run_name):
    hp = {"lr": 0.01, "bsize": 32, "opt": "adam", "flag": True, "none": None}
    metrics = {"hparam/accuracy": 0.9, "hparam/loss": 0.25}
    domains = {"opt": ["adam", "sgd"], "bsize": [16, 32]}

    def log(w, T):
        w.add_hparams(dict(hp, t=T(np.array([0.5], np.float32))), metrics,
                      hparam_domain_discrete=domains, run_name=run_name, global_step=4)
        with pytest.raises(TypeError):
            w.add_hparams([("lr", 1)], metrics)

    dt, de = _both(torch, tmp_path, log)
    (sub_t,), (sub_e,) = ([s for s in os.listdir(d) if os.path.isdir(os.path.join(d, s))]
                          for d in (dt, de))
    if run_name:
        assert sub_t == sub_e == run_name
    else:  # named by time.time(), as PyTorch does
        assert abs(float(sub_t) - float(sub_e)) < 120
    rows = _assert_same_run(os.path.join(dt, sub_t), os.path.join(de, sub_e),
                            keep_walltime=False)
    assert [r[2].tag for r in rows] == ["_hparams_/experiment", "_hparams_/session_start_info",
                                        "_hparams_/session_end_info", "hparam/accuracy",
                                        "hparam/loss"]
    assert all(r[0] == 4 for r in rows)


def test_add_embedding_files(torch, tmp_path):
    mat = RNG.standard_normal((10, 4)).astype(np.float32)
    labels = [f"l{i}" for i in range(10)]
    imgs = RNG.random((10, 3, 5, 5)).astype(np.float32)
    table = [[i, f"c{i % 3}"] for i in range(10)]

    def log(w, T):
        w.add_embedding(T(mat), metadata=labels, label_img=T(imgs), global_step=3)
        w.add_embedding(mat[:, :2].astype(np.float64), metadata=table,
                        metadata_header=["id", "class"], tag="a/b%c")
        w.add_embedding(T(mat), tag="plain", global_step=12)
        with pytest.raises(AssertionError):
            w.add_embedding(T(mat), metadata=labels[:3], tag="bad")

    dt, de = _both(torch, tmp_path, log)

    def files(d):
        return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*")
                      if p.is_file() and "tfevents" not in p.name)

    assert files(dt) == files(de) and "projector_config.pbtxt" in files(de)
    assert "00003/default/sprite.png" in files(de) and "00000/a%2fb%25c/metadata.tsv" in files(de)
    for f in files(dt):
        assert (Path(dt) / f).read_bytes() == (Path(de) / f).read_bytes(), f


def test_purge_step_and_defaults(torch, tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    def run(cls, d):
        with cls(d, purge_step=5, filename_suffix=".x") as w:
            w.add_scalar("s", 1.0, 6, walltime=WALL)
        return _events(d)

    et, ee = run(TorchWriter, str(tmp_path / "t")), run(SummaryWriter, str(tmp_path / "e"))
    assert len(et) == len(ee) == 4
    for a, b in zip(et[1:], ee[1:]):
        a.wall_time = b.wall_time = 0
        assert a == b
    assert os.listdir(tmp_path / "e")[0].endswith(".x")

    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    w.close()  # a second close does nothing
    parts = Path(w.get_logdir()).parts
    assert parts[0] == "runs" and parts[1].endswith("_lr0.1") and os.path.isdir(w.get_logdir())
    tw = TorchWriter(comment="_lr0.1")
    tw.close()
    assert len(tw.get_logdir()) == len(w.get_logdir())


def test_flush_writes_pending(tmp_path):
    w = SummaryWriter(str(tmp_path), flush_secs=1000, max_queue=1000)
    w.add_scalar("x", 2.5, 1, walltime=WALL)
    w.flush()
    assert [r[2].simple_value for r in _summaries(str(tmp_path))] == [2.5]
    w.close()
    w.add_scalar("x", 3.5, 2, walltime=WALL)  # reopens a writer, as PyTorch's does
    w.close()
    assert sorted(r[2].simple_value for r in _summaries(str(tmp_path))) == [2.5, 3.5]


def test_add_graph(tmp_path):
    nn = pytest.importorskip("ember.nn")
    F = nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3)
            self.block = nn.Sequential(nn.Linear(4 * 4 * 4, 8), nn.ReLU())
            self.fc = nn.Linear(8, 3)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            return self.fc(self.block(x.flatten(1)))

    net = Net()
    net.train()
    with SummaryWriter(str(tmp_path)) as w:
        w.add_graph(net, ember.randn(2, 1, 10, 10))
    assert net.training
    acc = EventAccumulator(str(tmp_path))
    acc.Reload()
    assert acc.Tags()["graph"] and acc.Tags()["run_metadata"] == ["step1"]
    nodes = {n.name: n for n in acc.Graph().node}
    assert nodes["input/x"].op == "IO Node"
    conv = [n for n in nodes.values() if n.op == "aten::convolution"]
    assert len(conv) == 1 and conv[0].name.startswith("Net/Conv2d[conv1]/")
    assert set(conv[0].input) >= {"input/x", "Net/Conv2d[conv1]/weight", "Net/Conv2d[conv1]/bias"}
    assert nodes["Net/Conv2d[conv1]/weight"].op == "prim::GetAttr"
    assert any(n.startswith("Net/Sequential[block]/ReLU[1]/") for n in nodes)
    assert any(n.startswith("Net/max_pool2d") for n in nodes)
    out = nodes["output/output.1"]
    assert out.input and out.input[0].startswith("Net/Linear[fc]/")
    dims = [d.size for d in out.attr["_output_shapes"].list.shape[0].dim]
    assert dims == [2, 3]
    for n in nodes.values():  # every edge points at a node of the graph
        assert all(i in nodes for i in n.input), n.name


def test_image_value_is_png(tmp_path):
    with SummaryWriter(str(tmp_path)) as w:
        w.add_image("x", ember.rand(3, 4, 5), 0)
    (_, _, v), = _summaries(str(tmp_path))
    assert isinstance(v.image, Summary.Image) and _decode(v).shape == (4, 5, 3)


def _python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=os.path.dirname(__file__))


def test_import_is_lazy():
    r = _python("import sys, ember; import ember.utils.data; "
                "print('tensorboard' in sys.modules, hasattr(ember.utils, 'tensorboard')); "
                "import ember.utils.tensorboard; print(ember.utils.tensorboard.SummaryWriter)")
    assert r.returncode == 0, r.stderr
    first, second = r.stdout.splitlines()
    assert first == "False False" and "SummaryWriter" in second


def test_import_error_without_tensorboard():
    r = _python("import sys; sys.modules['tensorboard'] = None\n"
                "try:\n    import ember.utils.tensorboard\n"
                "except ImportError as e:\n    print(e)\n")
    assert r.returncode == 0, r.stderr
    assert "tensorboard" in r.stdout and "ember-core[tensorboard]" in r.stdout


def test_add_video_without_moviepy(torch, tmp_path, capsys):
    try:
        import moviepy  # noqa: F401
        pytest.skip("moviepy installed: the GIF bytes depend on its version")
    except ImportError:
        pass
    vid = RNG.random((3, 4, 3, 6, 5)).astype(np.float32)

    def log(w, T):
        w.add_video("clip", T(vid), 1, fps=2, walltime=WALL)

    _assert_same_run(*_both(torch, tmp_path, log))
    assert capsys.readouterr().out.count("add_video needs package moviepy") == 2
