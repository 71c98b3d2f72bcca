"""ember.utils._pytree against torch.utils._pytree, plus pure round-trip tests."""

import collections
import dataclasses

import pytest

import ember
from ember.utils import _pytree as ep

NT = collections.namedtuple("NT", "x y")


def _trees(mod):
    return {
        "nested": {"a": (1, [2, None]), "b": collections.OrderedDict(x=3)},
        "defaultdict": collections.defaultdict(list, a=1, b=[2, 3]),
        "deque": collections.deque([1, (2, 3)], maxlen=5),
        "namedtuple": NT(1, [2, {"k": 3}]),
        "empty": [(), [], {}],
        "leaf": 5,
        "none": None,
        "size": mod.Size([2, 3]),
        "dict_order": {"z": 1, "a": 2, "m": (3,)},
    }


@pytest.fixture
def tp(torch):
    from torch.utils import _pytree
    return _pytree


def _summary(pt, tree):
    leaves, spec = pt.tree_flatten(tree)
    paths = [(pt.keystr(kp), repr(kp)) for kp, _ in pt.tree_flatten_with_path(tree)[0]]
    return (repr(leaves), repr(spec), spec.num_leaves, spec.num_nodes, spec.is_leaf(),
            len(spec.children()), paths, repr(pt.tree_unflatten(leaves, spec)),
            pt.treespec_pprint(spec))


@pytest.mark.parametrize("name", list(_trees(ember)))
def test_flatten_matches_torch(torch, tp, name):
    assert _summary(ep, _trees(ember)[name]) == _summary(tp, _trees(torch)[name])


@pytest.mark.parametrize("name", ["nested", "defaultdict", "deque", "empty", "leaf"])
def test_dumps_matches_torch(torch, tp, name):
    s = ep.treespec_dumps(ep.tree_structure(_trees(ember)[name]))
    assert s == tp.treespec_dumps(tp.tree_structure(_trees(torch)[name]))
    assert ep.treespec_loads(s) == ep.tree_structure(_trees(ember)[name])


def test_return_types_structure(torch, tp):
    e = ep.tree_structure(ember.max(ember.ones(2, 2), 0))
    t = tp.tree_structure(torch.max(torch.ones(2, 2), 0))
    assert repr(e) == repr(t)
    assert ep.is_structseq(ember.max(ember.ones(2, 2), 0))
    leaves, spec = ep.tree_flatten(ember.max(ember.ones(2, 3), 1))
    back = ep.tree_unflatten(leaves, spec)
    assert type(back).__name__ == "max" and back.indices is leaves[1]


_PAIRS = [((1, 2), [1, 2]), ((1, 2), (1,)), ({"a": 1}, {"b": 1}),
          ({"a": 1, "b": 2}, {"b": 1, "a": 2}), ([1, [2]], [1, 3]), ([1, [2]], [1, [2, 3]]),
          ((1, None), (2, (3, 4)))]


@pytest.mark.parametrize("a,b", _PAIRS)
def test_tree_map_multi_matches_torch(tp, a, b):
    def both(pt):
        try:
            return repr(pt.tree_map(lambda x, y: (x, y), a, b))
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert both(ep) == both(tp)


def test_unflatten_wrong_count_matches_torch(tp):
    for n in (1, 4):
        msgs = []
        for pt in (ep, tp):
            with pytest.raises(ValueError) as info:
                pt.tree_unflatten(list(range(n)), pt.tree_structure((1, [2, {"a": 3}])))
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_helpers_match_torch(tp):
    def rec(pt):
        tree = {"a": [1, NT(2, "s")], "b": (None, 2.5)}
        return (
            repr(pt.tree_map_only(int, lambda x: x * 10, tree)),
            repr(pt.tree_map_only((int, float), lambda x: -x, tree)),
            pt.tree_all(lambda x: x is not None, tree), pt.tree_any(lambda x: x is None, tree),
            pt.tree_all_only(int, lambda x: x > 0, tree),
            pt.tree_any_only(str, lambda x: x == "s", tree),
            repr(pt.tree_map_with_path(lambda kp, x: pt.keystr(kp), tree)),
            pt.key_get(tree, (pt.MappingKey("a"), pt.SequenceKey(1), pt.GetAttrKey("y"))),
            list(pt.tree_iter(tree)), pt.tree_leaves(tree),
            pt.tree_leaves([[1], (2, [3])], is_leaf=lambda x: isinstance(x, list)),
            (pt.tree_is_leaf(None), pt.tree_is_leaf([1]), pt.tree_is_leaf(NT(1, 2))),
            (pt.is_namedtuple(NT), pt.is_namedtuple(NT(1, 2)), pt.is_namedtuple((1,))),
            (repr(pt.SequenceKey(1)), repr(pt.MappingKey("a")), repr(pt.GetAttrKey("x")),
             str(pt.MappingKey(3)), str(pt.GetAttrKey("w"))),
            repr(pt.tree_structure(3)),
        )
    assert rec(ep) == rec(tp)


def test_dataclass_and_custom_match_torch(tp):
    def rec(pt):
        @dataclasses.dataclass
        class P:
            w: object
            b: object

        class Box:
            def __init__(self, a, b):
                self.a, self.b = a, b

        pt.register_dataclass(P)
        pt.register_pytree_node(Box, lambda o: ([o.a, o.b], "ctx"), lambda v, c: Box(*v))
        leaves, spec = pt.tree_flatten([P(1, None), Box(2, (3, 4)), P([5], 6)])
        back = pt.tree_unflatten([10, 20, 30, 40, 50, 60][:len(leaves)], spec)
        out = (leaves, repr(spec).replace(P.__qualname__, "P"),
               [pt.keystr(k) for k, _ in pt.tree_flatten_with_path(P(1, [2]))[0]],
               back[0] == P(10, None), back[1].b, back[2] == P([30], 40))
        try:
            pt.register_pytree_node(Box, lambda o: ([], None), lambda v, c: None)
        except ValueError as e:
            out += (str(e).replace(Box.__qualname__, "Box"),)
        return out
    assert rec(ep) == rec(tp)


# ----------------------------------------------------------------------------- no torch

@pytest.mark.parametrize("name", list(_trees(ember)))
def test_roundtrip(name):
    tree = _trees(ember)[name]
    leaves, spec = ep.tree_flatten(tree)
    back = ep.tree_unflatten(leaves, spec)
    if name == "size":  # a Size comes back as a plain tuple, as in PyTorch
        assert type(back) is tuple and back == (2, 3)
        return
    assert back == tree and type(back) is type(tree)
    assert ep.tree_structure(back) == spec
    assert hash(ep.tree_structure(back)) == hash(spec)


def test_defaultdict_and_deque_keep_context():
    d = ep.tree_map(lambda x: x, collections.defaultdict(int, a=1))
    assert d.default_factory is int and d["missing"] == 0
    q = ep.tree_map(lambda x: x * 2, collections.deque([1, 2], maxlen=3))
    assert q.maxlen == 3 and list(q) == [2, 4]


def test_spec_equality_and_leaves():
    s = ep.tree_structure((1, [2, 3]))
    assert s == ep.tree_structure(("a", [None, 3.0]))
    assert s != ep.tree_structure((1, (2, 3)))
    assert s != ep.tree_structure({"a": 1, "b": 2})
    assert ep.LeafSpec() == ep.tree_structure(7) and repr(ep.LeafSpec()) == "*"
    assert s.child(1).type is list and s.child(0).is_leaf()
    assert ep.tree_unflatten(["x", "y", "z"], s) == ("x", ["y", "z"])
    with pytest.raises(ValueError, match="has length 2"):
        s.unflatten([1, 2])
    with pytest.raises(TypeError):
        ep.tree_unflatten([1], "not a spec")


def test_tensors_are_leaves_and_map_only():
    t = ember.ones(2)
    tree = {"w": t, "n": 3, "l": [t * 2]}
    out = ep.tree_map_only(ember.Tensor, lambda x: x.sum().item(), tree)
    assert out == {"w": 2.0, "n": 3, "l": [4.0]}
    assert ep.tree_any_only(ember.Tensor, lambda x: x.dim() == 1, tree)
    seen = []
    assert ep.tree_map_(seen.append, tree) is tree and len(seen) == 3


def test_register_constant():
    @dataclasses.dataclass(frozen=True)
    class Cfg:
        k: int

    ep.register_constant(Cfg)
    try:
        leaves, spec = ep.tree_flatten([1, Cfg(3)])
        assert leaves == [1] and ep.tree_unflatten([5], spec) == [5, Cfg(3)]
    finally:
        ep._deregister_pytree_node(Cfg)


def test_func_uses_public_pytree():
    from ember.func import _pytree as fp
    assert fp.tree_flatten is ep.tree_flatten
    assert ember.utils._pytree is ep
