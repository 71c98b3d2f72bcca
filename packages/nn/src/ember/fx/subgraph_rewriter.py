"""``replace_pattern``: find every occurrence of one traced function's graph in a
``GraphModule`` and splice in another's, as torch.fx.subgraph_rewriter does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .graph_module import GraphModule
from .node import Node

__all__ = ["Match", "replace_pattern"]


class Match(NamedTuple):
    anchor: Node  # the graph node matched by the pattern's output
    nodes_map: dict[Node, Node]  # pattern node -> graph node


def _match(pn: Node, gn: Node, nodes_map: dict[Node, Node]) -> bool:
    if pn in nodes_map:
        return nodes_map[pn] is gn
    if pn.op == "placeholder":
        nodes_map[pn] = gn
        return True
    if pn.op != gn.op or pn.target != gn.target or len(pn.args) != len(gn.args) \
            or pn.kwargs.keys() != gn.kwargs.keys():
        return False
    nodes_map[pn] = gn
    pairs = list(zip(pn.args, gn.args)) + [(pn.kwargs[k], gn.kwargs[k]) for k in pn.kwargs]
    for pa, ga in pairs:
        if isinstance(pa, Node):
            if not isinstance(ga, Node) or not _match(pa, ga, nodes_map):
                del nodes_map[pn]
                return False
        elif isinstance(ga, Node) or pa != ga:
            del nodes_map[pn]
            return False
    return True


def _trace(fn: Callable | Any) -> GraphModule:
    from ._symbolic_trace import symbolic_trace

    return fn if isinstance(fn, GraphModule) else symbolic_trace(fn)


def replace_pattern(gm: GraphModule, pattern: Callable | GraphModule,
                    replacement: Callable | GraphModule) -> list[Match]:
    """Replace each non-overlapping match of ``pattern`` in ``gm`` by ``replacement``
    (both traced with ``symbolic_trace``); returns the matches and recompiles ``gm``."""
    pattern_graph = _trace(pattern).graph
    replacement_graph = _trace(replacement).graph
    p_out = next(n for n in pattern_graph.nodes if n.op == "output")
    p_anchor = p_out.args[0]
    if not isinstance(p_anchor, Node):
        raise NotImplementedError("replace_pattern supports patterns with one output node")
    p_inputs = [n for n in pattern_graph.nodes if n.op == "placeholder"]
    matches: list[Match] = []
    taken: set[Node] = set()
    for gn in list(gm.graph.nodes):
        nodes_map: dict[Node, Node] = {}
        if gn in taken or not _match(p_anchor, gn, nodes_map):
            continue
        internal = [g for p, g in nodes_map.items() if p.op != "placeholder"]
        if any(g in taken for g in internal):
            continue
        # every internal node but the anchor must be used inside the match only
        inside = set(internal)
        if any(u not in inside for g in internal if g is not gn for u in g.users):
            continue
        taken.update(internal)
        matches.append(Match(gn, nodes_map))
    replaced: dict[Node, Node] = {}  # anchors already replaced -> their new node

    def current(n: Node) -> Node:
        while n in replaced:
            n = replaced[n]
        return n

    for match in matches:
        val_map = {r: current(match.nodes_map[p]) for r, p in zip(
            [n for n in replacement_graph.nodes if n.op == "placeholder"], p_inputs)}
        with gm.graph.inserting_before(match.anchor):
            out = gm.graph.graph_copy(replacement_graph, val_map)
        if not isinstance(out, Node):
            raise NotImplementedError("replace_pattern supports replacements with one output")
        match.anchor.replace_all_uses_with(out)
        replaced[match.anchor] = out
        for p in reversed(list(pattern_graph.nodes)):
            if p.op not in ("placeholder", "output"):
                gm.graph.erase_node(match.nodes_map[p])
        for node in replacement_graph.nodes:  # attributes the replacement reads
            if node.op in ("get_attr", "call_module") and not _has(gm, node.target):
                _install(gm, _trace(replacement), node.target)
    gm.recompile()
    return matches


def _has(mod: Any, target: str) -> bool:
    for atom in target.split("."):
        if not hasattr(mod, atom):
            return False
        mod = getattr(mod, atom)
    return True


def _install(gm: GraphModule, source: GraphModule, target: str) -> None:
    from .graph_module import _copy_attr

    _copy_attr(source, gm, target)


