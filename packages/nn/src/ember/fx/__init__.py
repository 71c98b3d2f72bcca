"""``ember.fx``: torch.fx's symbolic tracing for Ember modules.

``symbolic_trace(module)`` runs ``forward`` on Proxies and returns a ``GraphModule``: a
``Graph`` of placeholder/get_attr/call_function/call_method/call_module/output nodes,
named as torch.fx names them, with generated Python code. Graphs can be edited and
recompiled, run node by node with ``Interpreter`` and rewritten with ``Transformer``.
"""

from ._symbolic_trace import PH, Tracer, symbolic_trace, wrap
from .graph import Graph
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, map_arg
from .proxy import Proxy, TraceError
from .subgraph_rewriter import replace_pattern

__all__ = ["symbolic_trace", "Tracer", "wrap", "PH", "Graph", "GraphModule", "Node",
           "map_arg", "Proxy", "TraceError", "Interpreter", "Transformer", "replace_pattern"]
