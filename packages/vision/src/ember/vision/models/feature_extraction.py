"""Intermediate features of a model (torchvision.models.feature_extraction) on ``ember.fx``.

The model is traced symbolically, once in train and once in eval mode. Every node gets a
qualified name: the dotted path of the module it was recorded in, then the node's own name
for functional operations (``"layer1.0.add"``, ``"flatten"``), with ``_<k>`` added to the
(k+1)-th node of the same name (``"layer1.0.relu_1"``); a leaf module (an ``ember.nn``
layer, an ``ember.vision.ops`` module, or one named in ``tracer_kwargs["leaf_modules"]``)
is one node named by its path. ``create_feature_extractor`` replaces the graph's output by
a dict of the requested nodes (a name also stands for the last node under it:
``"layer1"``), drops what they do not need, and returns a ``fx.GraphModule`` that switches
between the train and eval graphs with ``train()``/``eval()``, shares the model's
parameters, and has the state_dict keys of the truncated model.
"""

from __future__ import annotations

import copy
import inspect
import math
import re
import warnings
from collections import OrderedDict
from itertools import chain
from typing import Any

from ember import fx, nn
from ember.fx.graph_module import _copy_attr

__all__ = ["create_feature_extractor", "get_graph_node_names", "FeatureExtractor"]


class LeafModuleAwareTracer(fx.Tracer):
    """An ``fx.Tracer`` that also keeps instances of ``leaf_modules`` (a list of module
    classes, a keyword argument) as single ``call_module`` nodes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.leaf_modules: Any = {}
        if "leaf_modules" in kwargs:
            self.leaf_modules = kwargs.pop("leaf_modules")
        super().__init__(*args, **kwargs)

    def is_leaf_module(self, m: nn.Module, module_qualname: str) -> bool:
        if isinstance(m, tuple(self.leaf_modules)):
            return True
        return super().is_leaf_module(m, module_qualname)


class NodePathTracer(LeafModuleAwareTracer):
    """Records, in ``node_to_qualname``, each node's qualified name: the path of the module
    it was created in, the node's name for non-module nodes, and ``_<k>`` for repeats."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_module_qualname = ""
        self.node_to_qualname: OrderedDict[fx.Node, str] = OrderedDict()

    def call_module(self, m: nn.Module, forward: Any, args: tuple, kwargs: dict) -> Any:
        """Like ``Tracer.call_module``, keeping track of the module being traced."""
        old_qualname = self.current_module_qualname
        try:
            module_qualname = self.path_of_module(m)
            self.current_module_qualname = module_qualname
            if not self.is_leaf_module(m, module_qualname):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", module_qualname, args, kwargs)
        finally:
            self.current_module_qualname = old_qualname

    def create_proxy(self, kind: str, target: Any, args: tuple, kwargs: dict,
                     name: str | None = None, type_expr: Any = None, *_: Any) -> fx.Proxy:
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        self.node_to_qualname[proxy.node] = self._get_node_qualname(
            self.current_module_qualname, proxy.node)
        return proxy

    def _get_node_qualname(self, module_qualname: str, node: fx.Node) -> str:
        node_qualname = module_qualname
        if node.op != "call_module":
            # a functional op (or input) inside a module: "<module path>.<node name>"
            if node_qualname:
                node_qualname += "."
            node_qualname += str(node)
        # the graph's own _<k> suffix is replaced by one counted per qualified name
        if re.match(r".+_[0-9]+$", node_qualname) is not None:
            node_qualname = node_qualname.rsplit("_", 1)[0]
        for existing in reversed(self.node_to_qualname.values()):
            if re.match(rf"{node_qualname}(_[0-9]+)?$", existing) is not None:
                postfix = existing.replace(node_qualname, "")
                next_index = int(postfix[1:]) + 1 if postfix else 1
                node_qualname += f"_{next_index}"
                break
        return node_qualname


def _is_subseq(x: Any, y: Any) -> bool:
    """Whether ``y`` is a subsequence of ``x`` (order kept, gaps allowed)."""
    it = iter(x)
    return all(any(x_item == y_item for x_item in it) for y_item in y)


def _warn_graph_differences(train_tracer: NodePathTracer, eval_tracer: NodePathTracer) -> None:
    """Warn when train and eval mode trace to different node lists (dropout, aux heads)."""
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if len(train_nodes) == len(eval_nodes) and all(
            t == e for t, e in zip(train_nodes, eval_nodes)):
        return
    suggestion_msg = ("When choosing nodes for feature extraction, you may need to specify "
                      "output nodes for train and eval mode separately.")
    if _is_subseq(train_nodes, eval_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in eval mode are a subsequence "
               "of those obtained in train mode. ")
    elif _is_subseq(eval_nodes, train_nodes):
        msg = ("NOTE: The nodes obtained by tracing the model in train mode are a subsequence "
               "of those obtained in eval mode. ")
    else:
        msg = ("The nodes obtained by tracing the model in train mode are different to those "
               "obtained in eval mode. ")
    warnings.warn(msg + suggestion_msg, stacklevel=1)  # where torchvision warns from


def _get_leaf_modules_for_ops() -> list[type]:
    """The module classes of ``ember.vision.ops`` (kept whole, as torchvision keeps its ops)."""
    from .. import ops

    return [obj for _, obj in inspect.getmembers(ops)
            if inspect.isclass(obj) and issubclass(obj, nn.Module)]


def _set_default_tracer_kwargs(original_tr_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """``tracer_kwargs`` with ``math`` and ``ember.vision.ops`` added to ``autowrap_modules``
    and the ops' module classes to ``leaf_modules``."""
    from .. import ops

    default_autowrap_modules = (math, ops)
    default_leaf_modules = _get_leaf_modules_for_ops()
    result = {} if original_tr_kwargs is None else original_tr_kwargs
    result["autowrap_modules"] = (
        tuple(set(result["autowrap_modules"] + default_autowrap_modules))
        if "autowrap_modules" in result else default_autowrap_modules)
    result["leaf_modules"] = (
        list(set(result["leaf_modules"] + default_leaf_modules))
        if "leaf_modules" in result else default_leaf_modules)
    return result


def get_graph_node_names(model: nn.Module, tracer_kwargs: dict[str, Any] | None = None,
                         suppress_diff_warning: bool = False,
                         concrete_args: dict[str, Any] | None = None
                         ) -> tuple[list[str], list[str]]:
    """(train mode node names, eval mode node names) of ``model`` traced with ember.fx, in
    execution order: the names ``create_feature_extractor`` accepts. Warns when the two
    differ unless ``suppress_diff_warning``; the model's training mode is restored."""
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    is_training = model.training
    train_tracer = NodePathTracer(**tracer_kwargs)
    train_tracer.trace(model.train(), concrete_args=concrete_args)
    eval_tracer = NodePathTracer(**tracer_kwargs)
    eval_tracer.trace(model.eval(), concrete_args=concrete_args)
    train_nodes = list(train_tracer.node_to_qualname.values())
    eval_nodes = list(eval_tracer.node_to_qualname.values())
    if not suppress_diff_warning:
        _warn_graph_differences(train_tracer, eval_tracer)
    model.train(is_training)
    return train_nodes, eval_nodes


class DualGraphModule(fx.GraphModule):
    """A GraphModule holding a train-mode and an eval-mode graph; ``train()``/``eval()``
    switch ``graph`` (and so ``forward``) between them. It holds what either graph uses."""

    def __init__(self, root: nn.Module, train_graph: fx.Graph, eval_graph: fx.Graph,
                 class_name: str = "GraphModule") -> None:
        nn.Module.__init__(self)
        self.__class__.__name__ = class_name
        self.train_graph = train_graph
        self.eval_graph = eval_graph
        for node in chain(iter(train_graph.nodes), iter(eval_graph.nodes)):
            if node.op in ("get_attr", "call_module"):
                if not isinstance(node.target, str):
                    raise TypeError(f"node.target should be of type str instead of "
                                    f"{type(node.target)}")
                _copy_attr(root, self, node.target)
        self.train()  # train mode by default, as torchvision's
        self.graph = train_graph
        if self.eval_graph._tracer_cls != self.train_graph._tracer_cls:
            raise TypeError(f"Train mode and eval mode should use the same tracer class. "
                            f"Instead got {self.eval_graph._tracer_cls} for eval vs "
                            f"{self.train_graph._tracer_cls} for train")
        tracer_cls = self.graph._tracer_cls
        object.__setattr__(self, "_tracer_cls",
                           tracer_cls if tracer_cls and "<locals>" not in
                           tracer_cls.__qualname__ else None)
        object.__setattr__(self, "meta", {})

    def train(self, mode: bool = True) -> DualGraphModule:
        """Set the mode and run the graph traced in that mode."""
        if mode and not self.training:
            self.graph = self.train_graph
        elif not mode and self.training:
            self.graph = self.eval_graph
        return super().train(mode=mode)

    def __deepcopy__(self, memo: dict) -> DualGraphModule:
        holder = nn.Module()
        memo[id(self)] = holder
        object.__setattr__(holder, "__dict__", copy.deepcopy(self.__dict__, memo))
        res = DualGraphModule(holder, holder.__dict__["train_graph"],
                              holder.__dict__["eval_graph"], type(self).__name__)
        res.meta = copy.deepcopy(getattr(self, "meta", {}), memo)
        return res


# the name this module's extractor class had before it was built on ember.fx
FeatureExtractor = DualGraphModule


def _to_strdict(n: list[str] | dict[str, str]) -> dict[str, str]:
    if isinstance(n, list):
        return {str(i): str(i) for i in n}
    return {str(k): str(v) for k, v in n.items()}


def create_feature_extractor(model: nn.Module,
                             return_nodes: list[str] | dict[str, str] | None = None,
                             train_return_nodes: list[str] | dict[str, str] | None = None,
                             eval_return_nodes: list[str] | dict[str, str] | None = None,
                             tracer_kwargs: dict[str, Any] | None = None,
                             suppress_diff_warning: bool = False,
                             concrete_args: dict[str, Any] | None = None) -> fx.GraphModule:
    """A GraphModule returning ``{output name: value}`` for ``return_nodes`` (``{node name:
    output name}``, or a list of node names from :func:`get_graph_node_names`);
    ``train_return_nodes`` and ``eval_return_nodes`` instead choose nodes per mode. A name
    also matches the last node under it (``"layer1"`` for ``"layer1.1.relu_1"``)."""
    tracer_kwargs = _set_default_tracer_kwargs(tracer_kwargs)
    is_training = model.training
    if all(arg is None for arg in [return_nodes, train_return_nodes, eval_return_nodes]):
        raise ValueError("Either `return_nodes` or `train_return_nodes` and `eval_return_nodes` "
                         "together, should be specified")
    if (train_return_nodes is None) ^ (eval_return_nodes is None):
        raise ValueError("If any of `train_return_nodes` and `eval_return_nodes` are specified, "
                         "then both should be specified")
    if not ((return_nodes is None) ^ (train_return_nodes is None)):
        raise ValueError("If `train_return_nodes` and `eval_return_nodes` are specified, then "
                         "both should be specified")
    if train_return_nodes is None:
        return_nodes = _to_strdict(return_nodes)
        train_return_nodes = copy.deepcopy(return_nodes)
        eval_return_nodes = copy.deepcopy(return_nodes)
    else:
        train_return_nodes = _to_strdict(train_return_nodes)
        eval_return_nodes = _to_strdict(eval_return_nodes)

    tracers: dict[str, NodePathTracer] = {}
    graphs: dict[str, fx.Graph] = {}
    mode_return_nodes = {"train": train_return_nodes, "eval": eval_return_nodes}
    name = model.__class__.__name__ if isinstance(model, nn.Module) else model.__name__
    for mode in ("train", "eval"):
        model.train(mode == "train")
        tracer = NodePathTracer(**tracer_kwargs)
        graph = tracer.trace(model, concrete_args=concrete_args)
        graph_module = fx.GraphModule(tracer.root, graph, name)
        available_nodes = list(tracer.node_to_qualname.values())
        if len(set(available_nodes)) != len(available_nodes):
            raise ValueError("There are duplicate nodes! Please raise an issue "
                             "https://github.com/pytorch/vision/issues")
        for query in mode_return_nodes[mode]:
            # a query names a node, or the nodes under it up to a "."
            if not any(re.match(rf"^{query}(\.|$)", n) is not None for n in available_nodes):
                raise ValueError(
                    f"node: '{query}' is not present in model. Hint: use "
                    "`get_graph_node_names` to make sure the `return_nodes` you specified are "
                    "present. It may even be that you need to specify `train_return_nodes` "
                    "and `eval_return_nodes` separately.")
        orig_output_nodes = [n for n in reversed(graph_module.graph.nodes) if n.op == "output"]
        if not orig_output_nodes:
            raise ValueError("No output nodes found in graph_module.graph.nodes")
        for n in orig_output_nodes:
            graph_module.graph.erase_node(n)
        nodes = list(graph_module.graph.nodes)
        output_nodes: OrderedDict[str, fx.Node] = OrderedDict()
        for n in reversed(nodes):  # the last node under each query
            module_qualname = tracer.node_to_qualname.get(n)
            if module_qualname is None:  # tensor constants, named tuple packing
                continue
            for query in mode_return_nodes[mode]:
                depth = query.count(".")
                if ".".join(module_qualname.split(".")[:depth + 1]) == query:
                    output_nodes[mode_return_nodes[mode][query]] = n
                    mode_return_nodes[mode].pop(query)
                    break
        output_nodes = OrderedDict(reversed(list(output_nodes.items())))
        with graph_module.graph.inserting_after(nodes[-1]):
            graph_module.graph.output(output_nodes)
        graph_module.graph.eliminate_dead_code()
        graph_module.recompile()
        tracers[mode] = tracer
        graphs[mode] = graph

    if not suppress_diff_warning:
        _warn_graph_differences(tracers["train"], tracers["eval"])
    graph_module = DualGraphModule(model, graphs["train"], graphs["eval"], class_name=name)
    model.train(is_training)
    graph_module.train(is_training)
    return graph_module
