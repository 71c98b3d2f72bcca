"""What users print, against PyTorch (session 25): whole programs run with both libraries and
their printed output compared, plus oracle tests for the differences they found."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

import ember


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def outcome(fn):
    """``fn()``'s value as text, or the exception's type name and message."""
    try:
        return str(fn()).replace("torch", "ember")
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e).replace("torch", "ember")


def raw_outcome(fn):
    """``fn()``'s value as text, or the exception's type name and message, unchanged: the
    legacy type names (``torch.FloatTensor``) are PyTorch's own strings, kept as they are so
    that code comparing them runs unchanged."""
    try:
        return str(fn())
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e)


def printed(src: str, lib) -> str:
    """Run the program ``src`` (written against ``torch``) with ``lib`` bound to that name and
    return what it printed, PyTorch's module name written as Ember's."""
    buf = io.StringIO()
    names = {"torch": lib, "__name__": "__program__"}
    if "nn." in src:
        names.update(nn=lib.nn, F=lib.nn.functional)
    with contextlib.redirect_stdout(buf):
        try:
            exec(compile(src, "<program>", "exec"), names)  # noqa: S102 - fixed programs
        finally:
            for m in (ember, lib):
                m.set_printoptions(profile="default", sci_mode=None)
    return re.sub(r"0x[0-9a-f]+", "0x?", buf.getvalue().replace("torch", "ember"))


# --- return types are struct sequences, not namedtuples -------------------------------------

def test_return_types_have_no_namedtuple_fields(torch):
    for m in (ember, torch):
        r = m.sort(m.tensor([2.0, 1.0]))
        assert (hasattr(r, "_fields"), hasattr(r, "_asdict")) == (False, False)
        assert (r.n_fields, r.n_sequence_fields, r.n_unnamed_fields) == (2, 2, 0)
        assert r.__match_args__ == ("values", "indices")


def test_default_collate_of_return_types_gives_a_list(torch):
    def run(m):
        from importlib import import_module

        collate = import_module(f"{m.__name__}.utils.data").default_collate
        x = m.tensor([[1.0, 3.0, 2.0], [0.0, -1.0, 4.0]])
        out = collate([m.max(x, 1), m.max(x + 1, 1)])
        return type(out).__name__, [t.tolist() for t in out]

    assert run(ember) == run(torch)


# --- legacy type names: PyTorch's strings ---------------------------------------------------

TYPE_CASES = [
    lambda m: m.ones(2).type(),
    lambda m: m.ones(2, dtype=m.int64).type(),
    lambda m: m.ones(2, dtype=m.bool).double().type(),
    lambda m: m.ones(2).to_sparse().type(),
    lambda m: m.ones(2, dtype=m.float64).untyped_storage() and m.ones(2).storage().type(),
    lambda m: m.ones(2).type("torch.DoubleTensor".replace("torch", m.__name__)).type(),
]


@pytest.mark.parametrize("i", range(len(TYPE_CASES)))
def test_legacy_type_names(torch, i):
    """``x.type()`` and the messages quoting it give PyTorch's own ``torch.FloatTensor``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert raw_outcome(lambda: TYPE_CASES[i](ember)) == raw_outcome(
            lambda: TYPE_CASES[i](torch))


def test_conv_dtype_mismatch_names_the_legacy_types(torch):
    pytest.importorskip("ember.nn")

    def run(m):
        return raw_outcome(lambda: m.nn.functional.conv1d(m.ones(1, 1, 3),
                                                          m.ones(1, 1, 2, dtype=m.float64)))

    assert run(ember) == run(torch)


def test_inplace_modified_message_names_the_legacy_type(torch):
    def run(m):
        x = m.ones(3, requires_grad=True)
        y = x.exp()
        y.add_(1)
        return raw_outcome(lambda: y.sum().backward())

    assert run(ember) == run(torch)


# --- AttributeError messages name the C type as PyTorch's ------------------------------------

ATTR_CASES = [
    lambda m: m.finfo(m.float32).precision,
    lambda m: m.iinfo(m.int8).eps,
    lambda m: m.max(m.ones(2, 2), 1).value,
    lambda m: m.aminmax(m.ones(2)).values,
    lambda m: m.strided.foo,
    lambda m: m.channels_last.foo,
    lambda m: m.finfo(m.float16).bits,
    lambda m: m.strided.__class__.__name__,
]


@pytest.mark.parametrize("i", range(len(ATTR_CASES)))
def test_missing_attribute_messages(torch, i):
    assert outcome(lambda: ATTR_CASES[i](ember)) == outcome(lambda: ATTR_CASES[i](torch))


# --- grad_fn names shown in reprs ------------------------------------------------------------

SPARSE_NODES = [
    lambda m, x: x.to_sparse(),
    lambda m, x: x.to_sparse(1),
    lambda m, x: x.to_sparse(2),
    lambda m, x: x.to_sparse(layout=m.sparse_coo),
    lambda m, x: x.to_sparse_coo(),
]


@pytest.mark.parametrize("i", range(len(SPARSE_NODES)))
def test_to_sparse_grad_fn_overload(torch, i):
    """``to_sparse()`` (and ``layout=``) records PyTorch's overload 1, ``to_sparse(n)`` 0."""
    def run(m):
        x = m.tensor([[0.0, 1.0], [2.0, 0.0]], requires_grad=True)
        return repr(SPARSE_NODES[i](m, x)).replace("torch", "ember")

    assert run(ember) == run(torch)


# --- Size concatenation from the right -----------------------------------------------------

@pytest.mark.parametrize("left", ["(1,)", "()", "[5]", "'a'", "1", "None"])
def test_size_right_concatenation(torch, left):
    """A tuple + Size is a Size; anything else fails with the left operand's own message."""
    def run(m):
        return outcome(lambda: repr(eval(left) + m.Size([2, 3])))  # noqa: S307 - fixed texts

    assert run(ember) == run(torch)


# --- whole programs (no imports: ``torch``, and ``nn``/``F`` where used, are given) ----------

PROGRAMS: dict[str, str] = {
    "return_types": """
torch.manual_seed(0)
x = torch.randn(3, 4)
r = torch.max(x, 1)
print(r)
print(r.values, r.indices, r[0], type(r).__name__, len(r))
v, i = torch.min(x, dim=0, keepdim=True)
print(v, i)
print(torch.topk(x, 2), torch.sort(x[0]).indices, torch.kthvalue(x, 2, 1))
print(torch.aminmax(x), torch.frexp(torch.tensor([1.0, 8.0, 0.3])))
print(torch.histogram(torch.tensor([1., 2., 1.]), bins=4))
print(hasattr(r, "_fields"), hasattr(r, "_asdict"), r.n_fields)
try:
    r.value
except AttributeError as e:
    print(type(e).__name__, e)
a = torch.randn(3, 3, dtype=torch.float64)
print(torch.linalg.slogdet(a))
print(torch.lu_unpack(*torch.linalg.lu_factor(a)).P)
""",
    "formatting": """
t = torch.tensor(3.14159)
print(f"{t:.3f}", f"{t}", f"{t:10.2f}|", f"{t:e}", format(t), str(t), repr(t))
loss = torch.tensor(0.123456789, requires_grad=True) * 1
print(f"loss: {loss:.4f}", "loss %.3f" % loss, "%s" % loss)
try:
    print(f"{torch.tensor([1.0, 2.0]):.2f}")
except Exception as e:
    print(type(e).__name__, e)
x = torch.arange(6.).reshape(2, 3)
print(repr(x.t()), str(x[:, 1]), [x[0, 0]], {"a": x[1]})
print(torch.tensor([0.1, 0.2, 1/3]).tolist(), torch.tensor([1.1], dtype=torch.float16).tolist())
print(x.numpy(), x.int().numpy(), x.type(), x.long().type())
s = torch.Size([2, 3, 4])
print(s, s.numel(), s[1:], s + (5,), (1,) + s, f"{s}")
try:
    print([1] + s)
except TypeError as e:
    print(type(e).__name__, e)
print(torch.finfo(torch.float16), torch.iinfo(torch.uint8), torch.strided, torch.channels_last)
""",
    "summaries": """
torch.manual_seed(0)
print(torch.randn(2000) * 1e-6)
torch.set_printoptions(edgeitems=1, threshold=10, linewidth=50)
print(torch.randn(4, 5, 6).to(torch.float16))
print(torch.arange(100) * 10**9)
torch.set_printoptions(profile="short", sci_mode=False)
print(torch.tensor([1e-8, 1.0, float("nan"), -0.0]), torch.randn(3, 30))
torch.set_printoptions(profile="default", precision=2)
print(torch.tensor([1+2j, 3.5-1j]), torch.zeros(0, 3, dtype=torch.int32))
print(torch.tensor([[0., 1.], [2., 0.]], requires_grad=True).to_sparse())
""",
    "modules": """
class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)
    def extra_repr(self):
        return "c=%d" % self.bn.num_features
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ModuleList([Block(2), nn.GELU("tanh")]),
                    nn.ModuleDict({"head": nn.Linear(4, 2)}))
print(net)
print(list(net.state_dict()))
print(net[0].weight, net[0].bias)
print(nn.Parameter(torch.tensor(3.0)), nn.ParameterList([nn.Parameter(torch.zeros(2))]))
opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
print(opt)
loss = net[0](torch.randn(5, 3)).pow(2).mean()
loss.backward()
print(f"{loss:.4f}", loss, net[0].bias.grad)
""",
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program(torch, name):
    if "nn." in PROGRAMS[name]:
        pytest.importorskip("ember.nn")
        pytest.importorskip("ember.optim")
    assert printed(PROGRAMS[name], ember) == printed(PROGRAMS[name], torch)
