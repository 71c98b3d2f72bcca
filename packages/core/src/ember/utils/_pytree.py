"""``ember.utils._pytree``: nested containers of leaves, flattened and rebuilt.

The API of ``torch.utils._pytree``: a tree is a registered container (tuple, list, dict,
OrderedDict, defaultdict, deque, namedtuple, ``ember.Size``, ``ember.return_types``, or a
user type registered with :func:`register_pytree_node`) of subtrees; anything else,
``None`` included, is a leaf. :class:`TreeSpec` describes the structure so new leaves can be
put back into it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections import OrderedDict, defaultdict, deque, namedtuple
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

__all__ = [
    "PyTree", "Context", "KeyEntry", "KeyPath", "TreeSpec", "LeafSpec", "SequenceKey",
    "MappingKey", "GetAttrKey", "SUPPORTED_NODES", "register_pytree_node",
    "register_dataclass", "register_constant", "tree_flatten", "tree_unflatten", "tree_iter",
    "tree_leaves", "tree_structure", "tree_map", "tree_map_", "tree_map_only",
    "tree_map_only_", "tree_all", "tree_any", "tree_all_only", "tree_any_only", "map_only",
    "tree_flatten_with_path", "tree_leaves_with_path", "tree_map_with_path", "keystr",
    "key_get", "tree_is_leaf", "treespec_dumps", "treespec_loads", "treespec_pprint",
    "is_namedtuple", "is_namedtuple_class", "is_namedtuple_instance", "is_structseq",
    "is_structseq_class", "is_structseq_instance", "treespec_leaf", "treespec_tuple",
    "treespec_dict",
]

PyTree = Any
Context = Any
KeyEntry = Any
KeyPath = tuple


class NodeDef(NamedTuple):
    """How one container type splits into children and is rebuilt from them."""

    type: type
    flatten_fn: Callable[[Any], tuple[list, Any]]
    unflatten_fn: Callable[[Iterable, Any], Any]
    flatten_with_keys_fn: Callable[[Any], tuple[list, Any]] | None


SUPPORTED_NODES: dict[type, NodeDef] = {}
_SERIALIZED_NAMES: dict[type, str] = {}
_CONSTANT_CLASSES: set[type] = set()


@dataclasses.dataclass(frozen=True)
class SequenceKey:
    """The position of a child in a sequence node."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"

    def get(self, sequence: Any) -> Any:
        return sequence[self.idx]


@dataclasses.dataclass(frozen=True)
class MappingKey:
    """The key of a child in a mapping node."""

    key: Any

    def __str__(self) -> str:
        return f"[{self.key!r}]"

    def get(self, mapping: Any) -> Any:
        return mapping[self.key]


@dataclasses.dataclass(frozen=True)
class GetAttrKey:
    """The attribute name of a child in an object node (namedtuple, dataclass)."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"

    def get(self, obj: Any) -> Any:
        return getattr(obj, self.name)


def keystr(kp: KeyPath) -> str:
    """A key path as Python source, e.g. ``['a'][1].x``."""
    return "".join(str(k) for k in kp)


def key_get(obj: Any, kp: KeyPath) -> Any:
    """The subtree of ``obj`` at key path ``kp``."""
    for k in kp:
        obj = k.get(obj)
    return obj


# ----------------------------------------------------------------------------- registry

def register_pytree_node(cls: type, flatten_fn: Callable, unflatten_fn: Callable, *,
                         serialized_type_name: str | None = None,
                         to_dumpable_context: Callable | None = None,
                         from_dumpable_context: Callable | None = None,
                         flatten_with_keys_fn: Callable | None = None) -> None:
    """Make ``cls`` a container node: ``flatten_fn(obj) -> (children, context)`` and
    ``unflatten_fn(children, context) -> obj``."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn, flatten_with_keys_fn)
    if serialized_type_name is not None:
        _SERIALIZED_NAMES[cls] = serialized_type_name


def _deregister_pytree_node(cls: type) -> None:
    SUPPORTED_NODES.pop(cls, None)
    _SERIALIZED_NAMES.pop(cls, None)
    _CONSTANT_CLASSES.discard(cls)


def register_dataclass(cls: type, *, field_names: list[str] | None = None,
                       drop_field_names: list[str] | None = None, **kwargs: Any) -> None:
    """Register a dataclass whose (init) fields are its children."""
    if field_names is None:
        if not dataclasses.is_dataclass(cls):
            raise ValueError(f"field_names must be specified with a list of all fields used to "
                             f"initialize {cls}, as it is not a dataclass.")
        drop = set(drop_field_names or ())
        field_names = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in drop]
    names = list(field_names)

    def flatten(obj: Any) -> tuple[list, Any]:
        # None-valued fields are not children: they are kept by name in the context.
        values = {n: getattr(obj, n) for n in names}
        kept = [n for n in names if values[n] is not None]
        return [values[n] for n in kept], [kept, [n for n in names if values[n] is None]]

    def unflatten(values: Iterable, context: Any) -> Any:
        kept, nones = context
        return cls(**dict(zip(kept, values)), **dict.fromkeys(nones))

    def flatten_with_keys(obj: Any) -> tuple[list, Any]:
        children, (kept, _) = flatten(obj)
        return [(GetAttrKey(n), v) for n, v in zip(kept, children)], kept

    register_pytree_node(cls, flatten, unflatten, flatten_with_keys_fn=flatten_with_keys,
                         serialized_type_name=kwargs.get("serialized_type_name"))


def register_constant(cls: type) -> None:
    """Register ``cls`` as a constant: a node with no children whose value lives in the spec
    (instances must be hashable and comparable)."""
    if cls.__hash__ is None or cls.__eq__ is object.__eq__:
        raise TypeError("register_constant(cls) expects `cls` to have a non-default `__eq__` "
                        "implementation.")
    _CONSTANT_CLASSES.add(cls)
    register_pytree_node(cls, lambda x: ([], x), lambda _, ctx: ctx,
                         flatten_with_keys_fn=lambda x: ([], x))


def is_constant_class(cls: type) -> bool:
    return cls in _CONSTANT_CLASSES


def is_namedtuple_class(cls: type) -> bool:
    """Whether ``cls`` is a ``collections.namedtuple``/``typing.NamedTuple`` class."""
    return (isinstance(cls, type) and issubclass(cls, tuple)
            and isinstance(getattr(cls, "_fields", None), tuple)
            and callable(getattr(cls, "_make", None))
            and callable(getattr(cls, "_asdict", None)))


def is_namedtuple_instance(obj: object) -> bool:
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj: object) -> bool:
    """Whether ``obj`` is a namedtuple class or instance."""
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_structseq_class(cls: type) -> bool:
    """Whether ``cls`` is a struct-sequence type (``ember.return_types``, ``os.stat_result``)."""
    if not (isinstance(cls, type) and issubclass(cls, tuple)):
        return False
    return all(isinstance(getattr(cls, a, None), int)
               for a in ("n_fields", "n_sequence_fields", "n_unnamed_fields"))


def is_structseq_instance(obj: object) -> bool:
    return is_structseq_class(type(obj))


def is_structseq(obj: object) -> bool:
    return is_structseq_class(obj if isinstance(obj, type) else type(obj))


class _NamedTupleMarker:
    """The node type all namedtuples share (their class goes in the context)."""


class _StructSeqMarker:
    """The node type all struct sequences share."""


def _node_type(tree: Any) -> Any:
    cls = type(tree)
    if cls in SUPPORTED_NODES:
        return cls
    if is_namedtuple_class(cls):
        return _NamedTupleMarker
    if is_structseq_class(cls):
        return _StructSeqMarker
    return cls


def _seq_keys(children: list) -> list:
    return [(SequenceKey(i), c) for i, c in enumerate(children)]


def _install_builtins() -> None:
    reg = register_pytree_node
    reg(tuple, lambda t: (list(t), None), lambda v, _: tuple(v),
        flatten_with_keys_fn=lambda t: (_seq_keys(list(t)), None),
        serialized_type_name="builtins.tuple")
    reg(list, lambda t: (list(t), None), lambda v, _: list(v),
        flatten_with_keys_fn=lambda t: (_seq_keys(list(t)), None),
        serialized_type_name="builtins.list")
    reg(dict, lambda d: (list(d.values()), list(d)), lambda v, c: dict(zip(c, v)),
        flatten_with_keys_fn=lambda d: ([(MappingKey(k), x) for k, x in d.items()], list(d)),
        serialized_type_name="builtins.dict")
    reg(OrderedDict, lambda d: (list(d.values()), list(d)),
        lambda v, c: OrderedDict(zip(c, v)),
        flatten_with_keys_fn=lambda d: ([(MappingKey(k), x) for k, x in d.items()], list(d)),
        serialized_type_name="collections.OrderedDict")
    reg(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
        lambda v, c: defaultdict(c[0], zip(c[1], v)),
        flatten_with_keys_fn=lambda d: ([(MappingKey(k), x) for k, x in d.items()],
                                        [d.default_factory, list(d)]),
        serialized_type_name="collections.defaultdict")
    reg(deque, lambda d: (list(d), d.maxlen), lambda v, c: deque(v, maxlen=c),
        flatten_with_keys_fn=lambda d: (_seq_keys(list(d)), d.maxlen),
        serialized_type_name="collections.deque")
    reg(_NamedTupleMarker, lambda t: (list(t), type(t)), lambda v, c: c(*v),
        flatten_with_keys_fn=lambda t: ([(GetAttrKey(f), x) for f, x in zip(t._fields, t)],
                                        type(t)),
        serialized_type_name="collections.namedtuple")
    reg(_StructSeqMarker, lambda t: (list(t), type(t)), lambda v, c: c(tuple(v)),
        flatten_with_keys_fn=lambda t: (_seq_keys(list(t)), type(t)),
        serialized_type_name="structseq")
    from .._tensor import Size
    # PyTorch rebuilds a flattened Size as a plain tuple of its leaves.
    reg(Size, lambda s: (list(s), None), lambda v, _: tuple(v),
        flatten_with_keys_fn=lambda s: (_seq_keys(list(s)), None),
        serialized_type_name="torch.Size")


# ----------------------------------------------------------------------------- TreeSpec

class TreeSpec:
    """The structure of a pytree: node type, context and child specs (leaves are ``*``)."""

    def __init__(self, type: Any, context: Any, children_specs: list[TreeSpec]) -> None:  # noqa: A002
        self.type = type
        self._context = context
        self.children_specs = list(children_specs)
        self.num_nodes = 1 + sum(c.num_nodes for c in self.children_specs)
        self.num_leaves = sum(c.num_leaves for c in self.children_specs)
        self.num_children = len(self.children_specs)

    @property
    def context(self) -> Any:
        return self._context

    def is_leaf(self) -> bool:
        return self.num_nodes == 1 and self.num_leaves == 1

    def children(self) -> list[TreeSpec]:
        return list(self.children_specs)

    def child(self, index: int) -> TreeSpec:
        return self.children_specs[index]

    def _type_name(self) -> str:
        if self.type is _NamedTupleMarker:
            return "namedtuple"
        if self.type is _StructSeqMarker:
            return self._context.__name__
        return self.type.__name__

    def __repr__(self, indent: int = 0) -> str:
        ctx = None if self.type is _StructSeqMarker else self._context
        head = f"TreeSpec({self._type_name()}, {ctx}, ["
        sep = ",\n" + " " * (indent + 2)
        body = sep.join(c.__repr__(indent + 2) for c in self.children_specs)
        return head + body + "])"

    def _key(self) -> tuple:
        return (self.type, _hashable(self._context), tuple(c._key() for c in self.children_specs))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeSpec):
            return NotImplemented
        if self.is_leaf() or other.is_leaf():
            return self.is_leaf() and other.is_leaf()
        return (self.type is other.type and self._context == other._context
                and self.children_specs == other.children_specs)

    def __hash__(self) -> int:
        return hash(self._key())

    def flatten_up_to(self, tree: PyTree) -> list[PyTree]:
        """The subtrees of ``tree`` at this spec's leaves (``tree`` must have this prefix)."""
        out: list = []
        _flatten_up_to(self, tree, out)
        return out

    def unflatten(self, leaves: Iterable[Any]) -> PyTree:
        """The tree of this structure holding ``leaves`` in order."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(
                f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
                f"refers to a pytree that holds {self.num_leaves} items ({self}).")
        return _build(self, iter(leaves))


class LeafSpec(TreeSpec):
    """The spec of a leaf, printed ``*``."""

    def __init__(self) -> None:
        super().__init__(None, None, [])
        self.num_nodes = 1
        self.num_leaves = 1

    def __repr__(self, indent: int = 0) -> str:
        return "*"

    def __reduce__(self) -> tuple:
        return (LeafSpec, ())


def _hashable(ctx: Any) -> Any:
    if isinstance(ctx, list):
        return tuple(_hashable(c) for c in ctx)
    if isinstance(ctx, dict):
        return tuple((k, _hashable(v)) for k, v in ctx.items())
    try:
        hash(ctx)
    except TypeError:
        return repr(ctx)
    return ctx


def _build(spec: TreeSpec, it: Iterator) -> Any:
    if spec.is_leaf():
        return next(it)
    children = [_build(c, it) for c in spec.children_specs]
    return SUPPORTED_NODES[spec.type].unflatten_fn(children, spec._context)


def treespec_leaf() -> LeafSpec:
    return LeafSpec()


def treespec_tuple(iterable: Iterable[TreeSpec] = (), /) -> TreeSpec:
    return TreeSpec(tuple, None, list(iterable))


def treespec_dict(mapping: Any = (), /, **kwargs: TreeSpec) -> TreeSpec:
    d = dict(mapping, **kwargs)
    return TreeSpec(dict, list(d), list(d.values()))


# ----------------------------------------------------------------------------- flatten

def tree_is_leaf(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    """Whether ``tree`` is a leaf (not a registered node, or ``is_leaf`` says so)."""
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) not in SUPPORTED_NODES


def _flatten(tree: Any, leaves: list, is_leaf: Callable | None) -> TreeSpec:
    if tree_is_leaf(tree, is_leaf):
        leaves.append(tree)
        return LeafSpec()
    node = _node_type(tree)
    children, ctx = SUPPORTED_NODES[node].flatten_fn(tree)
    return TreeSpec(node, ctx, [_flatten(c, leaves, is_leaf) for c in children])


def tree_flatten(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                 ) -> tuple[list[Any], TreeSpec]:
    """The leaves of ``tree`` in order, and its :class:`TreeSpec`."""
    leaves: list = []
    return leaves, _flatten(tree, leaves, is_leaf)


def tree_unflatten(leaves: Iterable[Any], treespec: TreeSpec) -> PyTree:
    """The tree of structure ``treespec`` holding ``leaves``."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance "
                        f"of TreeSpec but got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> Iterator[Any]:
    """The leaves of ``tree``, lazily."""
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    children, _ = SUPPORTED_NODES[_node_type(tree)].flatten_fn(tree)
    for c in children:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> list[Any]:
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def _flatten_up_to(spec: TreeSpec, tree: Any, out: list) -> None:
    if spec.is_leaf():
        out.append(tree)
        return
    node = _node_type(tree)
    if node is not spec.type:
        want = {_NamedTupleMarker: namedtuple, _StructSeqMarker: _StructSeqMarker}.get(
            spec.type, spec.type)
        raise ValueError(f"Node type mismatch; expected {want}, but got {type(tree)}.")
    children, ctx = SUPPORTED_NODES[node].flatten_fn(tree)
    if len(children) != spec.num_children:
        raise ValueError(f"Node arity mismatch; expected {spec.num_children}, "
                         f"but got {len(children)}.")
    if node in (dict, OrderedDict, defaultdict):
        want_keys = spec._context[1] if node is defaultdict else spec._context
        got_keys = ctx[1] if node is defaultdict else ctx
        if set(want_keys) != set(got_keys):
            missing = set(want_keys) - set(got_keys)
            extra = set(got_keys) - set(want_keys)
            raise ValueError(f"Node keys mismatch; missing key(s): {missing}; "
                             f"extra key(s): {extra}.")
        children = [tree[k] for k in want_keys]
    elif ctx != spec._context:
        raise ValueError(f"Node context mismatch for custom node type {spec.type}.")
    for c, s in zip(children, spec.children_specs):
        _flatten_up_to(s, c, out)


def tree_map(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """``tree`` with each leaf ``x`` replaced by ``func(x, *matching leaves of rests)``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(map(func, leaves, *others))


def tree_map_(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
              is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """Call ``func`` on each leaf (for its side effects, e.g. in-place ops); returns ``tree``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    for args in zip(leaves, *others):
        func(*args)
    return tree


def map_only(type_or_types_or_pred: Any, /) -> Callable[[Callable], Callable]:
    """Decorator: apply the function only to leaves of the given type(s) (or passing the
    predicate); other leaves go through unchanged."""
    if isinstance(type_or_types_or_pred, (type, tuple)):
        def pred(x: Any) -> bool:
            return isinstance(x, type_or_types_or_pred)
    elif callable(type_or_types_or_pred):
        pred = type_or_types_or_pred
    else:
        raise TypeError("Argument must be a type, a tuple of types, or a callable.")

    def wrapper(func: Callable) -> Callable:
        def wrapped(x: Any) -> Any:
            return func(x) if pred(x) else x
        wrapped.__name__ = getattr(func, "__name__", "wrapped")
        return wrapped
    return wrapper


def tree_map_only(type_or_types_or_pred: Any, /, func: Callable, tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    return tree_map(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred: Any, /, func: Callable, tree: PyTree,
                   is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    return tree_map_(map_only(type_or_types_or_pred)(func), tree, is_leaf=is_leaf)


def tree_all(pred: Callable[[Any], bool], tree: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred: Callable[[Any], bool], tree: PyTree,
             is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types: Any, /, pred: Callable[[Any], bool], tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    return all(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types: Any, /, pred: Callable[[Any], bool], tree: PyTree,
                  is_leaf: Callable[[PyTree], bool] | None = None) -> bool:
    return any(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


# ----------------------------------------------------------------------------- key paths

def _flatten_with_path(tree: Any, path: tuple, out: list, is_leaf: Callable | None) -> TreeSpec:
    if tree_is_leaf(tree, is_leaf):
        out.append((path, tree))
        return LeafSpec()
    node = _node_type(tree)
    nd = SUPPORTED_NODES[node]
    _, ctx = nd.flatten_fn(tree)
    if nd.flatten_with_keys_fn is None:
        raise ValueError(f"Did not find a flatten_with_keys_fn for type: {node}. Please pass a "
                         f"flatten_with_keys_fn argument to register_pytree_node.")
    pairs, _ = nd.flatten_with_keys_fn(tree)
    specs = [_flatten_with_path(c, path + (k,), out, is_leaf) for k, c in pairs]
    return TreeSpec(node, ctx, specs)


def tree_flatten_with_path(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                           ) -> tuple[list[tuple[KeyPath, Any]], TreeSpec]:
    """``(key path, leaf)`` pairs in order, and the :class:`TreeSpec`."""
    out: list = []
    return out, _flatten_with_path(tree, (), out, is_leaf)


def tree_leaves_with_path(tree: PyTree, is_leaf: Callable[[PyTree], bool] | None = None
                          ) -> list[tuple[KeyPath, Any]]:
    return tree_flatten_with_path(tree, is_leaf)[0]


def tree_map_with_path(func: Callable[..., Any], tree: PyTree, *rests: PyTree,
                       is_leaf: Callable[[PyTree], bool] | None = None) -> PyTree:
    """Like :func:`tree_map`, with the leaf's key path as ``func``'s first argument."""
    pairs, spec = tree_flatten_with_path(tree, is_leaf)
    others = [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(func(kp, x, *xs) for (kp, x), *xs in zip(pairs, *others))


# ----------------------------------------------------------------------------- serialization

def _type_name(cls: type) -> str | None:
    if cls is None:
        return None
    name = _SERIALIZED_NAMES.get(cls)
    if name is None:
        raise NotImplementedError(
            f"No registered serialization name for {cls} found. Please update your "
            f"_register_pytree_node call with a `serialized_type_name` kwarg.")
    return name


def _spec_to_json(spec: TreeSpec) -> dict:
    if spec.is_leaf():
        return {"type": None, "context": None, "children_spec": []}
    ctx = spec._context
    if spec.type is _NamedTupleMarker:
        ctx = [f"{ctx.__module__}.{ctx.__qualname__}", list(ctx._fields)]
    elif spec.type is defaultdict:
        ctx = {"default_factory_module": ctx[0].__module__,
               "default_factory_name": ctx[0].__qualname__, "dict_context": ctx[1]}
    elif spec.type is _StructSeqMarker:
        ctx = f"{ctx.__module__}.{ctx.__qualname__}"
    if spec.type is not defaultdict:
        ctx = json.dumps(ctx)
    return {"type": _type_name(spec.type), "context": ctx,
            "children_spec": [_spec_to_json(c) for c in spec.children_specs]}


def _import(path: str) -> Any:
    module, _, name = path.rpartition(".")
    obj = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _spec_from_json(d: dict) -> TreeSpec:
    if d["type"] is None:
        return LeafSpec()
    by_name = {v: k for k, v in _SERIALIZED_NAMES.items()}
    if d["type"] not in by_name:
        raise NotImplementedError(f"No registered pytree node type for {d['type']}.")
    cls = by_name[d["type"]]
    ctx = d["context"] if cls is defaultdict else json.loads(d["context"])
    if cls is _NamedTupleMarker:
        ctx = _import(ctx[0])
    elif cls is defaultdict:
        ctx = [_import(f"{ctx['default_factory_module']}.{ctx['default_factory_name']}"),
               ctx["dict_context"]]
    elif cls is _StructSeqMarker:
        ctx = _import(ctx)
    return TreeSpec(cls, ctx, [_spec_from_json(c) for c in d["children_spec"]])


def treespec_dumps(treespec: TreeSpec, protocol: int | None = None) -> str:
    """``treespec`` as a JSON string (protocol 1)."""
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"treespec_dumps(treespec, protocol): Expected `treespec` to be "
                        f"instance of TreeSpec but got item of type {type(treespec)}.")
    protocol = 1 if protocol is None else protocol
    if protocol != 1:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [1]")
    return json.dumps([protocol, _spec_to_json(treespec)])


def treespec_loads(serialized: str) -> TreeSpec:
    """The :class:`TreeSpec` that :func:`treespec_dumps` wrote."""
    protocol, data = json.loads(serialized)
    if protocol != 1:
        raise ValueError(f"Unknown protocol {protocol}. Available protocols: [1]")
    return _spec_from_json(data)


class _DummyLeaf:
    def __repr__(self) -> str:
        return "*"


def treespec_pprint(treespec: TreeSpec) -> str:
    """The structure as the tree it describes, leaves shown as ``*``."""
    return repr(treespec.unflatten([_DummyLeaf() for _ in range(treespec.num_leaves)]))


_install_builtins()
