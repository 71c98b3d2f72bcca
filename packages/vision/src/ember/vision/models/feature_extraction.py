"""Intermediate features of a model (torchvision.models.feature_extraction).

torchvision traces the model with torch.fx and truncates the graph after the requested
nodes. Ember has no graph tracer, so here a node is a *module*: the extractor runs the
model's own ``forward`` with forward hooks on the requested submodules, collects their
outputs, and stops the forward pass as soon as the last one is reached.

Node names follow torchvision's for modules: the dotted path from ``named_modules()`` down
to a leaf module (an ``ember.nn`` layer that is not a container, or a module class of
``ember.vision.ops`` such as ``Conv2dNormActivation``, which torchvision also keeps
whole); a container's name (``"layer1"``) stands for its output; ``"<leaf>_<k>"`` is the
(k+1)-th call of a leaf module called several times in one forward (``"layer1.0.relu_1"``);
the names of ``forward``'s arguments (``"x"``) return the inputs. Functional operations
(``"layer1.0.add"``, ``"flatten"``) are not nodes here: asking for one raises a
``ValueError`` that says so, and ``get_graph_node_names`` lists module nodes only.

The extractor holds the model's leaf modules up to the last requested node (the same
objects, so weights are shared as with torchvision), under the model's names, so its
``state_dict()`` keys are those of torchvision's truncated graph module.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from ember import nn

__all__ = ["create_feature_extractor", "get_graph_node_names", "FeatureExtractor"]

_CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_REPEAT = re.compile(r"^(.+)_([0-9]+)$")


def _ops_leaf_types() -> tuple[type, ...]:
    from .. import ops

    return tuple(obj for obj in vars(ops).values()
                 if inspect.isclass(obj) and issubclass(obj, nn.Module))


def _is_leaf(module: nn.Module, ops_types: tuple[type, ...]) -> bool:
    """torchvision's FX leaves: torch.nn layers except Sequential, and torchvision.ops modules."""
    if isinstance(module, ops_types):
        return True
    return type(module).__module__.startswith("ember.nn") and not isinstance(module, _CONTAINERS)


def _leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(path, module) of the leaves, in registration order, without descending into leaves."""
    ops_types = _ops_leaf_types()
    leaves: list[tuple[str, nn.Module]] = []

    def walk(module: nn.Module, prefix: str) -> None:
        for name, child in module.named_children():
            path = f"{prefix}{name}"
            if _is_leaf(child, ops_types):
                leaves.append((path, child))
            else:
                walk(child, path + ".")

    walk(model, "")
    return leaves


def _input_names(model: nn.Module) -> list[str]:
    params = inspect.signature(model.forward).parameters.values()
    return [p.name for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def get_graph_node_names(model: nn.Module, tracer_kwargs: dict[str, Any] | None = None,
                         suppress_diff_warning: bool = False,
                         concrete_args: dict[str, Any] | None = None
                         ) -> tuple[list[str], list[str]]:
    """(train node names, eval node names): the inputs of ``forward`` and the leaf modules,
    in registration order. Unlike torchvision's traced names, functional operations
    (``"add"``, ``"flatten"``) and the ``_1`` names of repeated calls are not listed, and
    both lists are the same."""
    names = _input_names(model) + [path for path, _ in _leaf_modules(model)]
    return list(names), list(names)


class _Stop(Exception):
    """Raised by a hook once every requested output is in hand, to end the forward pass."""


def _to_strdict(nodes: list[str] | dict[str, str]) -> dict[str, str]:
    if isinstance(nodes, list):
        return {str(n): str(n) for n in nodes}
    return {str(k): str(v) for k, v in nodes.items()}


def _not_a_module(query: str) -> ValueError:
    return ValueError(
        f"node: '{query}' is not present in model as a module. Ember has no graph tracer "
        "(torch.fx): create_feature_extractor returns only module outputs (names from "
        "`get_graph_node_names`, i.e. model.named_modules() paths down to leaf modules, a "
        "leaf's repeated call as '<name>_<k>', or forward's input names); functional "
        "operations such as 'add' or 'flatten' are not supported. Return the output of the "
        "module that follows the operation instead, or wrap the operation in a module.")


class _Target:
    """Where a requested node's value comes from: an input, or the n-th call of a module."""

    __slots__ = ("key", "input", "path", "call", "order")

    def __init__(self, key: str, input: str | None = None, path: str | None = None,
                 call: int = 0, order: int = -1) -> None:
        self.key, self.input, self.path, self.call, self.order = key, input, path, call, order


def _resolve(model: nn.Module, return_nodes: dict[str, str],
             leaves: list[tuple[str, nn.Module]]) -> list[_Target]:
    inputs = _input_names(model)
    index = {path: i for i, (path, _) in enumerate(leaves)}
    modules = dict(model.named_modules())
    targets = []
    for query, key in return_nodes.items():
        if query in inputs:
            targets.append(_Target(key, input=query))
            continue
        scope = [i for path, i in index.items() if path == query or path.startswith(query + ".")]
        if query in modules and scope:
            targets.append(_Target(key, path=query, order=max(scope)))
            continue
        repeat = _REPEAT.match(query)
        if repeat and repeat.group(1) in index:
            targets.append(_Target(key, path=repeat.group(1), call=int(repeat.group(2)),
                                   order=index[repeat.group(1)]))
            continue
        raise _not_a_module(query)
    return targets


class FeatureExtractor(nn.Module):
    """A model cut after the requested nodes: ``forward`` returns {output name: value}.

    Returned by :func:`create_feature_extractor`; it prints and saves like the model's
    truncated module tree and switches between the train and eval node sets with
    ``train()``/``eval()``.
    """

    def __init__(self, model: nn.Module, train_targets: list[_Target],
                 eval_targets: list[_Target], leaves: list[tuple[str, nn.Module]]) -> None:
        super().__init__()
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_targets", {True: train_targets, False: eval_targets})
        object.__setattr__(self, "_name", type(model).__name__)
        last = max((t.order for t in train_targets + eval_targets), default=-1)
        for path, leaf in leaves[:last + 1]:
            self._attach(model, path, leaf)

    def _attach(self, model: nn.Module, path: str, leaf: nn.Module) -> None:
        """Put ``leaf`` at ``path`` under plain containers, with the model's own parameters
        and buffers of each container on the way (as fx's attribute copy does)."""
        *parents, name = path.split(".")
        source, target = model, self
        for part in parents:
            source = getattr(source, part)
            if part not in target._modules:
                holder = nn.Module()
                for pname, param in source._parameters.items():
                    holder.register_parameter(pname, param)
                for bname, buf in source._buffers.items():
                    holder.register_buffer(bname, buf,
                                           bname not in source._non_persistent_buffers_set)
                target.add_module(part, holder)
            target = target._modules[part]
        target.add_module(name, leaf)

    def _get_name(self) -> str:
        return self._name

    def train(self, mode: bool = True) -> FeatureExtractor:
        super().train(mode)
        self._model.train(mode)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        targets = self._targets[bool(self.training)]
        values: dict[str, Any] = {}
        bound = inspect.signature(self._model.forward).bind(*args, **kwargs).arguments
        for t in targets:
            if t.input is not None:
                values[t.key] = bound[t.input]
        pending = [t for t in targets if t.input is None]
        by_path: dict[str, list[_Target]] = {}
        for t in pending:
            by_path.setdefault(t.path, []).append(t)
        modules = dict(self._model.named_modules())
        remaining = [len(pending)]
        handles = []

        def hook_for(wanted: list[_Target]) -> Any:
            calls = [0]

            def hook(module: nn.Module, inputs: Any, output: Any) -> None:
                for t in wanted:
                    if t.call == calls[0]:
                        values[t.key] = output
                        remaining[0] -= 1
                calls[0] += 1
                if remaining[0] == 0:
                    raise _Stop
            return hook

        for path, wanted in by_path.items():
            handles.append(modules[path].register_forward_hook(hook_for(wanted)))
        try:
            if pending:
                self._model(*args, **kwargs)
        except _Stop:
            pass
        finally:
            for handle in handles:
                handle.remove()
        missing = [t.key for t in pending if t.key not in values]
        if missing:
            raise RuntimeError(f"create_feature_extractor: the forward pass of "
                               f"{self._name} never produced the nodes for {missing} (a module "
                               "not called, or called fewer times than its '_<k>' suffix asks).")
        order = {key: i for i, key in enumerate(values)}  # execution order, as the traced graph
        return {t.key: values[t.key] for t in sorted(targets, key=lambda t: order[t.key])}


def create_feature_extractor(model: nn.Module,
                             return_nodes: list[str] | dict[str, str] | None = None,
                             train_return_nodes: list[str] | dict[str, str] | None = None,
                             eval_return_nodes: list[str] | dict[str, str] | None = None,
                             tracer_kwargs: dict[str, Any] | None = None,
                             suppress_diff_warning: bool = False,
                             concrete_args: dict[str, Any] | None = None) -> FeatureExtractor:
    """A module returning the outputs of ``return_nodes`` ({node: output name}, or a list of
    nodes named after themselves) as a dict; ``train_return_nodes`` and
    ``eval_return_nodes`` instead give separate nodes for each mode. Only module nodes are
    supported (see the module docstring); ``tracer_kwargs`` and ``concrete_args`` are
    accepted for compatibility and ignored."""
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
        train_return_nodes = eval_return_nodes = _to_strdict(return_nodes)
    else:
        train_return_nodes = _to_strdict(train_return_nodes)
        eval_return_nodes = _to_strdict(eval_return_nodes)
    leaves = _leaf_modules(model)
    extractor = FeatureExtractor(model, _resolve(model, train_return_nodes, leaves),
                                 _resolve(model, eval_return_nodes, leaves), leaves)
    extractor.train(model.training)
    return extractor

