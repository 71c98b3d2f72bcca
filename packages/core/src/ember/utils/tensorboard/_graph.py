"""``add_graph`` without a JIT: the graph of a model from the autograd graph of one forward.

PyTorch traces the model with ``torch.jit.trace``; Ember has no tracer, but every op that
involves a tensor requiring grad records an autograd node. So the model runs once (in eval
mode, its floating-point inputs made to require grad so that the graph reaches them), with
hooks on every submodule that assign the nodes it created to its scope (``Net/Conv2d[conv1]``,
as PyTorch names scopes). Each node becomes a ``NodeDef`` named ``<scope>/<op>`` whose op is
the forward op's ATen-style name (``ConvolutionBackward0`` -> ``aten::convolution``);
parameters are ``prim::GetAttr`` nodes ``<scope>/<name>``, the inputs and outputs ``IO
Node``s ``input/<arg>`` and ``output/output.<i>``, as in PyTorch's graphs. Ops that touch no
tensor requiring grad (integer indexing, constants) do not appear, and ``_output_shapes`` is
known only for module outputs, inputs and parameters.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Iterator
from typing import Any

from tensorboard.compat.proto.attr_value_pb2 import AttrValue
from tensorboard.compat.proto.config_pb2 import RunMetadata
from tensorboard.compat.proto.graph_pb2 import GraphDef
from tensorboard.compat.proto.node_def_pb2 import NodeDef
from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from ..._tensor import Tensor
from ...autograd import grad_mode
from ...autograd.graph import AccumulateGrad

__all__ = ["graph", "node_proto"]


def node_proto(name: str, op: str = "UnSpecified", input: list[str] | None = None,  # noqa: A002
               outputsize: Any = None, attributes: str = "") -> NodeDef:
    """A ``NodeDef`` with PyTorch's attrs: ``attr`` (a string) and ``_output_shapes``."""
    attr = {"attr": AttrValue(s=attributes.encode("utf_8"))}
    if outputsize is not None:
        shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in outputsize])
        attr["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[shape]))
    return NodeDef(name=name.encode("utf_8"), op=op, input=list(input or []), attr=attr)


def _op_name(node: Any) -> str:
    """``AddmmBackward0`` -> ``aten::addmm``, ``MaxPool2DWithIndicesBackward0`` ->
    ``aten::max_pool2d_with_indices``."""
    base = re.sub(r"Backward\d*$", "", node.name())
    snake = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", base)
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", snake).lower()
    return "aten::" + re.sub(r"(\d)_d(?=_|$)", r"\1d", snake)


def _tensors(value: Any) -> Iterator[Tensor]:
    """The tensors in a (nested) tuple, list or dict of outputs."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _edges(node: Any) -> list:
    return [n for n, _ in node.next_functions if n is not None]


class _Recorder:
    """Forward hooks that give each autograd node the scope of the module that made it."""

    def __init__(self, model: Any) -> None:
        self.scope: dict[int, str] = {}  # id(node) -> scope
        self.nodes: dict[int, Any] = {}  # keeps the nodes alive while ids are keys
        self.shapes: dict[int, tuple] = {}  # id(node) -> output shape (module outputs)
        self.stack: list[str] = []
        self.scopes: dict[int, str] = {}
        self.params: dict[int, str] = {}  # id(parameter) -> "<scope>/<name>"
        root = type(model).__name__
        for name, module in model.named_modules():
            if name:
                parent, _, leaf = name.rpartition(".")
                base = self.scopes[id(model.get_submodule(parent))] if parent else root
                self.scopes[id(module)] = f"{base}/{type(module).__name__}[{leaf}]"
            else:
                self.scopes[id(module)] = root
        for _, module in model.named_modules():
            for pname, p in module.named_parameters(recurse=False):
                self.params.setdefault(id(p), f"{self.scopes[id(module)]}/{pname}")
            for bname, b in module.named_buffers(recurse=False):
                self.params.setdefault(id(b), f"{self.scopes[id(module)]}/{bname}")
        self.handles = [m.register_forward_pre_hook(self._pre)
                        for _, m in model.named_modules()]
        self.handles += [m.register_forward_hook(self._post) for _, m in model.named_modules()]

    def _claim(self, roots: list, scope: str) -> None:
        """Give ``scope`` to every unscoped non-leaf node reachable from ``roots``."""
        todo = [n for n in roots if n is not None]
        while todo:
            node = todo.pop()
            if id(node) in self.scope or isinstance(node, AccumulateGrad):
                continue
            self.scope[id(node)] = scope
            self.nodes[id(node)] = node
            todo.extend(_edges(node))

    def _pre(self, module: Any, args: Any) -> None:
        # what the inputs' graph holds so far was made by the enclosing module
        if self.stack:
            self._claim([t.grad_fn for t in _tensors(args)], self.stack[-1])
        self.stack.append(self.scopes[id(module)])

    def _post(self, module: Any, args: Any, output: Any) -> None:
        scope = self.stack.pop()
        outs = list(_tensors(output))
        self._claim([t.grad_fn for t in outs], scope)
        for t in outs:
            if t.grad_fn is not None:
                self.shapes.setdefault(id(t.grad_fn), tuple(t.shape))

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


@contextlib.contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    training = getattr(model, "training", None)
    if training is not None:
        model.train(False)
    try:
        yield
    finally:
        if training is not None:
            model.train(training)


def _arg_names(model: Any, n: int) -> list[str]:
    try:
        params = [p.name for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        params = []
    names = params[:n] + [f"input.{i}" for i in range(len(params), n)]
    if len(params) == 1 and params[0] and n > 1:  # *args
        names = [f"{params[0]}.{i}" for i in range(n)]
    return names


def graph(model: Any, args: Any, verbose: bool = False, use_strict_trace: bool = True
          ) -> tuple[GraphDef, RunMetadata]:
    """The ``GraphDef`` of ``model`` run on ``args`` (a tensor or a tuple of them), and the
    run metadata PyTorch writes beside it."""
    if not hasattr(model, "named_modules"):
        raise NotImplementedError(
            "add_graph: Ember has no JIT tracer; it records the graph of an ember.nn.Module "
            f"from one forward pass, got {type(model).__name__}")
    if args is None:
        raise ValueError("add_graph: input_to_model is required to run the model once")
    call_args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    prepared = []
    for a in call_args:
        if isinstance(a, Tensor) and a.is_floating_point():
            a = a.detach().requires_grad_(True)
        prepared.append(a)
    recorder = _Recorder(model)
    try:
        with _eval_mode(model), grad_mode.enable_grad():
            output = model(*prepared)
    finally:
        recorder.remove()
    outs = list(_tensors(output))
    root = recorder.scopes[id(model)]
    recorder._claim([t.grad_fn for t in outs], root)

    nodes: list[NodeDef] = []
    names: dict[int, str] = {}  # id(node) or id(leaf tensor) -> NodeDef name
    used: set[str] = set()

    def unique(name: str) -> str:
        out, i = name, 0
        while out in used:
            i += 1
            out = f"{name}.{i}"
        used.add(out)
        return out

    for arg_name, a in zip(_arg_names(model, len(prepared)), prepared):
        if isinstance(a, Tensor):
            names[id(a)] = unique(f"input/{arg_name}")
            nodes.append(node_proto(names[id(a)], op="IO Node", outputsize=tuple(a.shape)))

    def leaf_name(node: AccumulateGrad) -> str:
        var = node.variable
        if id(var) not in names:
            pname = recorder.params.get(id(var))
            if pname is None:
                names[id(var)] = unique(f"{root}/tensor")
                nodes.append(node_proto(names[id(var)], op="prim::Constant",
                                        outputsize=tuple(var.shape)))
            else:
                names[id(var)] = unique(pname)
                attr = "{ name :  " + pname.rsplit("/", 1)[1] + " }"
                nodes.append(node_proto(names[id(var)], op="prim::GetAttr",
                                        outputsize=tuple(var.shape), attributes=attr))
        return names[id(var)]

    # the ops in topological order (inputs first): depth-first post-order from the outputs
    order: list = []
    seen: set[int] = set()
    for t in outs:
        stack = [(t.grad_fn, False)] if t.grad_fn is not None else []
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen or isinstance(node, AccumulateGrad):
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((n, False) for n in reversed(_edges(node)))
    for node in order:
        inputs = [leaf_name(n) if isinstance(n, AccumulateGrad) else names[id(n)]
                  for n in _edges(node)]
        scope = recorder.scope.get(id(node), root)
        names[id(node)] = unique(f"{scope}/{_op_name(node).split('::')[1]}")
        nodes.append(node_proto(names[id(node)], op=_op_name(node), input=inputs,
                                outputsize=recorder.shapes.get(id(node))))
    for i, t in enumerate(outs):
        src = []
        if t.grad_fn is not None:
            src = [names[id(t.grad_fn)]]
        elif id(t) in names:
            src = [names[id(t)]]
        nodes.append(node_proto(unique(f"output/output.{i + 1}"), op="IO Node", input=src,
                                outputsize=tuple(t.shape)))
    if verbose:
        print(GraphDef(node=nodes))
    stepstats = RunMetadata(step_stats=StepStats(dev_stats=[DeviceStepStats(
        device="/device:CPU:0")]))
    return GraphDef(node=nodes, versions={"producer": 22}), stepstats
