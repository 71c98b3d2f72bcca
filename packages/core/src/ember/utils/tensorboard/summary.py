"""Summary builders: each turns one logged value into TensorBoard's ``Summary`` protobuf.

The protobufs are TensorBoard's own (``tensorboard.compat.proto`` and the plugins'), so the
files read back in TensorBoard exactly as PyTorch's do: the same tags, plugin names and
values (``add_text`` writes ``<tag>/text_summary``, histograms drop empty outer buckets, PR
curves hold the six rows tp, fp, tn, fn, precision, recall).
"""

from __future__ import annotations

import io
import json
import logging
import struct
from typing import Any

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ..._tensor import Tensor
from ._convert import convert_to_HWC, make_np, prepare_video

__all__ = ["half_to_int", "int_to_half", "hparams", "scalar", "histogram_raw", "histogram",
           "make_histogram", "image", "image_boxes", "draw_boxes", "make_image", "video",
           "make_video", "audio", "custom_scalars", "text", "tensor_proto", "pr_curve_raw",
           "pr_curve", "compute_curve", "mesh"]

logger = logging.getLogger(__name__)


def half_to_int(f: float) -> int:
    """The bits of ``f`` as a float32, read as an int32 (how PyTorch fills ``half_val``)."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i: int) -> float:
    """The inverse of :func:`half_to_int`."""
    return struct.unpack("f", struct.pack("i", i))[0]


def _shape(shape: Any) -> TensorShapeProto:
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _plugin_metadata(name: str, content: bytes = b"") -> SummaryMetadata:
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=name,
                                                                  content=content))


# dtype name -> (TensorProto dtype, value field, how the values are listed)
_TENSOR_TYPES = {
    "float16": ("DT_HALF", "half_val", "half"), "bfloat16": ("DT_BFLOAT16", "half_val", "half"),
    "float32": ("DT_FLOAT", "float_val", "list"), "float64": ("DT_DOUBLE", "double_val", "list"),
    "int8": ("DT_INT8", "int_val", "list"), "uint8": ("DT_UINT8", "uint32_val", "list"),
    "int16": ("DT_INT16", "int_val", "list"), "int32": ("DT_INT32", "int_val", "list"),
    "int64": ("DT_INT64", "int64_val", "list"), "bool": ("DT_BOOL", "bool_val", "list"),
    "complex32": ("DT_COMPLEX32", "scomplex_val", "complex"),
    "complex64": ("DT_COMPLEX64", "scomplex_val", "complex"),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", "complex"),
}


def tensor_proto(tag: str, tensor: Any) -> Summary:
    """A ``tensor`` plugin summary holding the values of ``tensor`` (an Ember tensor or a
    NumPy array) with its dtype and shape."""
    name = str(tensor.dtype).removeprefix("ember.")
    nbytes = int(np.prod(tensor.shape, dtype=np.int64)) * int(tensor.itemsize)
    if nbytes >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    if name not in _TENSOR_TYPES:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    dtype, field, kind = _TENSOR_TYPES[name]
    array = make_np(tensor)
    if kind == "half":
        values = [half_to_int(x) for x in array.astype(np.float32).reshape(-1).tolist()]
    elif kind == "complex":
        values = np.stack([array.real, array.imag], -1).reshape(-1).tolist()
    else:
        values = array.reshape(-1).tolist()
    proto = TensorProto(dtype=dtype, tensor_shape=_shape(tensor.shape), **{field: values})
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("tensor"),
                                        tensor=proto)])


def scalar(name: str, tensor: Any, collections: Any = None, new_style: bool = False,
           double_precision: bool = False) -> Summary:
    """A scalar summary: ``simple_value`` by default, a ``scalars`` plugin tensor (float32, or
    float64 with ``double_precision``) with ``new_style``."""
    array = make_np(tensor).squeeze()
    if array.ndim != 0:
        raise AssertionError("Tensor should contain one element (0 dimensions). "
                             f"Was given size: {array.size} and {array.ndim} dimensions.")
    value = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    return Summary(value=[Summary.Value(tag=name, tensor=proto,
                                        metadata=_plugin_metadata("scalars"))])


def histogram_raw(name: str, min: float, max: float, num: int, sum: float,  # noqa: A002
                  sum_squares: float, bucket_limits: Any, bucket_counts: Any) -> Summary:
    """A histogram summary from precomputed statistics and buckets."""
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name: str, values: Any, bins: Any, max_bins: int | None = None) -> Summary:
    """A histogram summary of ``values`` (float64) over ``bins`` (anything ``np.histogram``
    takes)."""
    hist = make_histogram(make_np(values).astype(float), bins, max_bins)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def make_histogram(values: np.ndarray, bins: Any, max_bins: int | None = None
                   ) -> HistogramProto:
    """The ``HistogramProto`` of ``values``: at most ``max_bins`` buckets (neighbours merged),
    without the empty buckets at both ends but one empty bucket kept on the left."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        group = num_bins // max_bins
        rest = num_bins % group
        if rest != 0:
            counts = np.pad(counts, [[0, group - rest]], mode="constant", constant_values=0)
        counts = counts.reshape(-1, group).sum(axis=-1)
        merged = np.empty((counts.size + 1,), limits.dtype)
        merged[:-1] = limits[:-1:group]
        merged[-1] = limits[-1]
        limits = merged
    nonempty = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(nonempty, [0, nonempty[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values),
                          sum=values.sum(), sum_squares=values.dot(values),
                          bucket_limit=limits.tolist(), bucket=counts.tolist())


def _scale_factor(array: np.ndarray) -> int:
    """uint8 images are kept; other images are taken to be in [0, 1] and scaled by 255."""
    return 1 if array.dtype == np.uint8 else 255


def image(tag: str, tensor: Any, rescale: float = 1, dataformats: str = "NCHW") -> Summary:
    """An image summary (PNG) of ``tensor`` laid out as ``dataformats``; a batch becomes a
    grid."""
    array = convert_to_HWC(make_np(tensor), dataformats)
    scale = _scale_factor(array)
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(array, rescale=rescale))])


def image_boxes(tag: str, tensor_image: Any, tensor_boxes: Any, rescale: float = 1,
                dataformats: str = "CHW", labels: list[str] | None = None) -> Summary:
    """An image summary with boxes ``(xmin, ymin, xmax, ymax)`` drawn in red."""
    array = convert_to_HWC(make_np(tensor_image), dataformats)
    boxes = make_np(tensor_boxes)
    array = array.astype(np.float32) * _scale_factor(array)
    img = make_image(array.clip(0, 255).astype(np.uint8), rescale=rescale, rois=boxes,
                     labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=img)])


def _draw_single_box(image: Any, xmin: float, ymin: float, xmax: float, ymax: float,
                     display_str: str | None, color: str = "black",
                     color_text: str = "black", thickness: int = 2) -> Any:
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(image)
    draw.line([(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)],
              width=thickness, fill=color)
    if display_str:
        font = ImageFont.load_default()
        left, top, right, bottom = font.getbbox(display_str)
        text_w, text_h = right - left, bottom - top
        margin = np.ceil(0.05 * text_h)
        draw.rectangle([(xmin, ymax - text_h - 2 * margin), (xmin + text_w, ymax)], fill=color)
        draw.text((xmin + margin, ymax - text_h - margin), display_str, fill=color_text,
                  font=font)
    return image


def draw_boxes(disp_image: Any, boxes: np.ndarray, labels: list[str] | None = None) -> Any:
    """Draw each box of ``boxes`` (``N x 4``) on the PIL image ``disp_image``."""
    for i in range(boxes.shape[0]):
        disp_image = _draw_single_box(disp_image, boxes[i, 0], boxes[i, 1], boxes[i, 2],
                                      boxes[i, 3], None if labels is None else labels[i],
                                      color="Red")
    return disp_image


def make_image(tensor: np.ndarray, rescale: float = 1, rois: np.ndarray | None = None,
               labels: list[str] | None = None) -> Summary.Image:
    """A PNG ``Summary.Image`` of an ``H x W x C`` uint8 array, resized by ``rescale``."""
    from PIL import Image

    height, width, channel = tensor.shape
    img = Image.fromarray(tensor)
    if rois is not None:
        img = draw_boxes(img, rois, labels=labels)
    img = img.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    with io.BytesIO() as out:
        img.save(out, format="PNG")
        data = out.getvalue()
    return Summary.Image(height=height, width=width, colorspace=channel,
                         encoded_image_string=data)


def video(tag: str, tensor: Any, fps: int = 4) -> Summary:
    """An animated-GIF image summary of ``B x T x C x H x W`` clips (needs moviepy)."""
    array = prepare_video(make_np(tensor))
    scale = _scale_factor(array)
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_video(array, fps))])


def make_video(tensor: np.ndarray, fps: int) -> Summary.Image | None:
    """Encode ``T x H x W x C`` frames as a GIF with moviepy; None (with PyTorch's message)
    when moviepy or its editor is missing."""
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("add_video needs package moviepy")
        return None
    try:
        from moviepy import editor as mpy
    except ImportError:
        print("moviepy is installed, but can't import moviepy.editor.",
              "Some packages could be missing [imageio, requests]")
        return None
    import tempfile

    _, h, w, c = tensor.shape
    clip = mpy.ImageSequenceClip(list(tensor), fps=fps)
    with tempfile.NamedTemporaryFile(suffix=".gif") as f:
        try:
            clip.write_gif(f.name, verbose=False, logger=None)
        except TypeError:
            clip.write_gif(f.name, verbose=False)
        f.seek(0)
        data = f.read()
    return Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=data)


def audio(tag: str, tensor: Any, sample_rate: int = 44100) -> Summary:
    """A mono 16-bit WAV audio summary of samples in [-1, 1] (clipped beyond)."""
    import wave

    array = make_np(tensor).squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    with io.BytesIO() as out:
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(array.data)
        data = out.getvalue()
    snd = Summary.Audio(sample_rate=sample_rate, num_channels=1,
                        length_frames=array.shape[-1], encoded_audio_string=data,
                        content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=snd)])


def custom_scalars(layout: dict) -> Summary:
    """The ``custom_scalars`` layout: ``{category: {title: ["Multiline"|"Margin", tags]}}``."""
    categories = []
    for category, charts_of in layout.items():
        charts = []
        for title, (kind, tags) in ((t, (m[0], m[1])) for t, m in charts_of.items()):
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                              upper=tags[2])
                chart = layout_pb2.Chart(title=title,
                                         margin=layout_pb2.MarginChartContent(series=[series]))
            else:
                chart = layout_pb2.Chart(title=title,
                                         multiline=layout_pb2.MultilineChartContent(tag=tags))
            charts.append(chart)
        categories.append(layout_pb2.Category(title=category, chart=charts))
    proto = TensorProto(dtype="DT_STRING",
                        string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
                        tensor_shape=TensorShapeProto())
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=proto,
                                        metadata=_plugin_metadata("custom_scalars"))])


def text(tag: str, text: str) -> Summary:  # noqa: A002
    """A ``text`` plugin summary under ``<tag>/text_summary``."""
    smd = _plugin_metadata("text", TextPluginData(version=0).SerializeToString())
    proto = TensorProto(dtype="DT_STRING", string_val=[text.encode(encoding="utf_8")],
                        tensor_shape=_shape([1]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=smd,
                                        tensor=proto)])


def _pr_summary(tag: str, data: np.ndarray, num_thresholds: int) -> Summary:
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    proto = TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                        tensor_shape=_shape(data.shape[:2]))
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("pr_curves", content),
                                        tensor=proto)])


def pr_curve_raw(tag: str, tp: Any, fp: Any, tn: Any, fn: Any, precision: Any, recall: Any,
                 num_thresholds: int = 127, weights: Any = None) -> Summary:
    """A PR-curve summary from precomputed counts, precisions and recalls."""
    num_thresholds = min(num_thresholds, 127)  # more breaks the plugin
    data = np.stack([make_np(x) if isinstance(x, Tensor) else x
                     for x in (tp, fp, tn, fn, precision, recall)])
    return _pr_summary(tag, data, num_thresholds)


def pr_curve(tag: str, labels: np.ndarray, predictions: np.ndarray, num_thresholds: int = 127,
             weights: Any = None) -> Summary:
    """A PR-curve summary of binary ``labels`` against ``predictions`` in [0, 1]."""
    num_thresholds = min(num_thresholds, 127)
    data = compute_curve(labels, predictions, num_thresholds=num_thresholds, weights=weights)
    return _pr_summary(tag, data, num_thresholds)


def compute_curve(labels: np.ndarray, predictions: np.ndarray, num_thresholds: int | None = None,
                  weights: Any = None) -> np.ndarray:
    """The ``6 x num_thresholds`` rows tp, fp, tn, fn, precision, recall: predictions fall in
    ``num_thresholds`` equal buckets; counts at threshold i sum the buckets from i up."""
    minimum_count = 1e-7
    if weights is None:
        weights = 1.0
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    positive = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                 weights=positive * weights)
    fp_buckets, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                 weights=(1.0 - positive) * weights)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(minimum_count, tp + fp)
    recall = tp / np.maximum(minimum_count, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def hparams(hparam_dict: dict | None = None, metric_dict: dict | None = None,
            hparam_domain_discrete: dict | None = None) -> tuple:
    """The three ``hparams`` plugin summaries: experiment, session start (the values) and
    session end (success)."""
    from tensorboard.plugins.hparams.api_pb2 import (
        DataType,
        Experiment,
        HParamInfo,
        MetricInfo,
        MetricName,
        Status,
    )
    from tensorboard.plugins.hparams.metadata import (
        EXPERIMENT_TAG,
        PLUGIN_DATA_VERSION,
        PLUGIN_NAME,
        SESSION_END_INFO_TAG,
        SESSION_START_INFO_TAG,
    )
    from tensorboard.plugins.hparams.plugin_data_pb2 import (
        HParamsPluginData,
        SessionEndInfo,
        SessionStartInfo,
    )

    for name, value in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(value, dict):
            logger.warning("parameter: %s should be a dictionary, nothing logged.", name)
            raise TypeError(f"parameter: {name} should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, "
                        "nothing logged.")
    for k, v in domains.items():
        if (k not in hparam_dict or not isinstance(v, list)
                or not all(isinstance(d, type(hparam_dict[k])) for d in v)):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")

    infos = []
    ssi = SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # bool is an int: numbers first, as PyTorch checks them
        if isinstance(v, (int, float)):
            field, dtype = "number_value", "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            field, dtype = "string_value", "DATA_TYPE_STRING"
        elif isinstance(v, bool):  # pragma: no cover - caught as a number above
            field, dtype = "bool_value", "DATA_TYPE_BOOL"
        elif isinstance(v, Tensor):
            ssi.hparams[k].number_value = make_np(v).reshape(-1)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64")))
            continue
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        setattr(ssi.hparams[k], field, v)
        domain = None
        if k in domains:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d})
                                                  for d in domains[k]])
        infos.append(HParamInfo(name=k, type=DataType.Value(dtype), domain_discrete=domain))

    def plugin_summary(tag: str, **content: Any) -> Summary:
        data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content).SerializeToString()
        return Summary(value=[Summary.Value(tag=tag,
                                            metadata=_plugin_metadata(PLUGIN_NAME, data))])

    metrics = [MetricInfo(name=MetricName(tag=k)) for k in metric_dict]
    exp = plugin_summary(EXPERIMENT_TAG,
                         experiment=Experiment(hparam_infos=infos, metric_infos=metrics))
    start = plugin_summary(SESSION_START_INFO_TAG, session_start_info=ssi)
    end = plugin_summary(SESSION_END_INFO_TAG, session_end_info=SessionEndInfo(
        status=Status.Value("STATUS_SUCCESS")))
    return exp, start, end


def _get_json_config(config_dict: dict | None) -> str:
    return "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)


def mesh(tag: str, vertices: Any, colors: Any, faces: Any, config_dict: dict | None,
         display_name: str | None = None, description: str | None = None) -> Summary:
    """The ``mesh`` plugin summaries of vertices, faces and colors (each ``B x N x 3``)."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

    json_config = _get_json_config(config_dict)
    parts = [(t, kind) for t, kind in ((vertices, MeshPluginData.VERTEX),
                                       (faces, MeshPluginData.FACE),
                                       (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for t, kind in parts:
        array = make_np(t) if isinstance(t, Tensor) else np.asarray(t)
        smd = metadata.create_summary_metadata(tag, display_name, kind, components,
                                               list(array.shape), description,
                                               json_config=json_config)
        proto = TensorProto(dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(),
                            tensor_shape=_shape(array.shape[:3]))
        values.append(Summary.Value(tag=metadata.get_instance_name(tag, kind), tensor=proto,
                                    metadata=smd))
    return Summary(value=values)
