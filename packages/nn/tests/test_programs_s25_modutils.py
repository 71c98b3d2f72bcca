"""Session 25, lane N: whole programs on module utilities and initialisation (``nn.init``,
``nn.utils`` pruning / clipping / fusion / skip_init, Module bookkeeping), diffed against
PyTorch. Each test is a difference found that way; every expected value, error type and
message comes from torch at test time."""

from __future__ import annotations

import pytest
from _programs import raises_same, run

import ember
import ember.nn.utils.prune

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # not imported by torch.nn.utils itself


# ------------------------------------------------------------------ skip_init
@pytest.mark.parametrize("arg", ["function", "instance"])
def test_skip_init_non_class_is_issubclass_typeerror(arg: str) -> None:
    """A function or a module instance: PyTorch's ``issubclass`` TypeError (was a
    RuntimeError 'Expected a Module')."""
    def bad(lib: object) -> object:
        return (lambda: lib.nn.Linear(1, 1)) if arg == "function" else lib.nn.Linear(1, 1)

    raises_same(lambda: torch.nn.utils.skip_init(bad(torch)),
                lambda: ember.nn.utils.skip_init(bad(ember)))


def test_skip_init_non_module_class_still_runtime_error() -> None:
    raises_same(lambda: torch.nn.utils.skip_init(int), lambda: ember.nn.utils.skip_init(int))


# ------------------------------------------------------------------ modules()
def test_modules_remove_duplicate() -> None:
    """``Module.modules(remove_duplicate=False)`` lists a shared module each time it occurs
    (was a TypeError: no such argument)."""
    def program(L: object) -> list:
        shared = L.nn.Linear(2, 2)
        net = L.nn.Sequential(shared, L.nn.ReLU(), L.nn.Sequential(shared, L.nn.Tanh()))
        return [[type(m).__name__ for m in net.modules()],
                [type(m).__name__ for m in net.modules(remove_duplicate=False)],
                [type(m).__name__ for m in net.modules(remove_duplicate=True)],
                len(list(net.modules(False)))]

    run(program, torch)


# ------------------------------------------------------------------ prune .apply
def test_structured_apply_positional_arguments() -> None:
    """``LnStructured.apply(module, name, amount, n, dim, importance_scores)`` and
    ``RandomStructured.apply(module, name, amount, dim)`` take PyTorch's positional
    arguments (importance_scores given positionally was passed to the constructor)."""
    def program(L: object) -> list:
        L.torch.manual_seed(0)
        prune = L.torch.nn.utils.prune
        conv = L.nn.Conv2d(2, 4, 2)
        scores = L.torch.arange(32.).reshape(4, 2, 2, 2)
        prune.LnStructured.apply(conv, "weight", 0.5, 1, 0, scores)
        lin = L.nn.Linear(4, 3)
        prune.RandomStructured.apply(lin, "weight", 2, 1)
        m3 = L.nn.Linear(4, 3)
        prune.RandomStructured.apply(m3, "weight", 0.4)
        return [conv.weight_mask, lin.weight_mask, m3.weight_mask]

    run(program, torch)


# ------------------------------------------------------------------ whole programs
def test_program_gpt_style_init_recipe() -> None:
    """A GPT-style ``apply(_init_weights)`` recipe (trunc_normal_, normal_ on ``.data``, a
    zeroed padding row, a scaled residual projection) draws the same numbers as PyTorch."""
    def program(L: object) -> list:
        nn = L.nn
        L.torch.manual_seed(1234)

        def init(m: object) -> None:
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                m.weight.data.normal_(mean=0.0, std=0.02)
                m.weight.data[m.padding_idx].zero_()

        model = nn.Sequential(nn.Embedding(11, 8, padding_idx=0), nn.LayerNorm(8),
                              nn.Linear(8, 32), nn.GELU(), nn.Linear(32, 8),
                              nn.Linear(8, 11, bias=False))
        model.apply(init)
        nn.init.normal_(model[4].weight, mean=0.0, std=0.02 / 2.0)
        lecun = nn.init.trunc_normal_(L.torch.empty(3, 4), std=0.5, a=-1.0, b=1.0)
        return [[(n, p) for n, p in model.named_parameters()], lecun,
                model(L.torch.tensor([[0, 3, 5]]))]

    run(program, torch)


# ------------------------------------------------------------------ meta-device modules
@pytest.mark.parametrize("case", ["2d", "2d_bias", "3d", "1d", "cpu_input", "cpu_weight",
                                  "module"])
def test_meta_linear_width_mismatch_words(case: str) -> None:
    """A meta-device ``Linear`` fed the wrong width (shape inference on meta): PyTorch's meta
    kernel's "a and b must have same reduction dim" (was the CPU kernel's mat1/mat2 words)."""
    def call(lib: object) -> object:
        dev = {"x": "cpu" if case == "cpu_input" else "meta",
               "w": "cpu" if case == "cpu_weight" else "meta"}
        x = lib.randn({"3d": (2, 4, 5), "1d": (5,)}.get(case, (4, 5)), device=dev["x"])
        if case == "module":
            return lib.nn.Linear(3, 2, device="meta")(x)
        w = lib.randn(2, 3, device=dev["w"])
        b = lib.randn(2, device="meta") if case == "2d_bias" else None
        return lib.nn.functional.linear(x, w, b)

    raises_same(lambda: call(torch), lambda: call(ember))


_META_INITS = {
    "trunc_normal_": lambda init, t: init.trunc_normal_(t),
    "trunc_normal_narrow": lambda init, t: init.trunc_normal_(t, std=0.01, a=0.5, b=1.0),
    "orthogonal_": lambda init, t: init.orthogonal_(t),
    "sparse_": lambda init, t: init.sparse_(t, 0.5),
    "dirac_": lambda init, t: init.dirac_(t.reshape(3, 3, 1, 0)),
    "normal_": lambda init, t: init.normal_(t),
    "kaiming_uniform_": lambda init, t: init.kaiming_uniform_(t),
}


@pytest.mark.parametrize("name", sorted(_META_INITS))
def test_meta_init_is_a_no_op_drawing_nothing(name: str) -> None:
    """``nn.init`` on a meta tensor returns it untouched and draws nothing from the CPU
    generator, as PyTorch (trunc_normal_ failed reading a meta value; orthogonal_ and
    sparse_ consumed random numbers, shifting every later draw of a seeded program;
    trunc_normal_ warned of its mean)."""
    import warnings

    def program(L: object) -> list:
        L.torch.manual_seed(0)
        t = L.torch.empty(3, 3, device="meta") if name != "dirac_" else L.torch.empty(
            0, device="meta")
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            out = _META_INITS[name](L.nn.init, t)
        return [out is t or name == "dirac_", out.is_meta, list(out.shape), len(ws),
                L.torch.rand(2)]

    run(program, torch)


def test_program_meta_model_then_seeded_init() -> None:
    """A model built on meta, given trunc_normal_/orthogonal_ inits there, then materialised
    with ``to_empty`` and initialised under a seed: PyTorch's numbers."""
    def program(L: object) -> list:
        nn = L.nn
        L.torch.manual_seed(0)
        with L.torch.device("meta"):
            model = nn.Sequential(nn.Linear(3, 4), nn.GRU(4, 4))
        nn.init.trunc_normal_(model[0].weight, std=0.02)
        nn.init.orthogonal_(model[1].weight_hh_l0)
        drawn = L.torch.rand(2)
        model.to_empty(device="cpu")
        for m in model:
            m.reset_parameters()
        return [drawn, [(n, p) for n, p in model.named_parameters()]]

    run(program, torch)


@pytest.mark.parametrize("method", ["ln_structured", "l1_unstructured", "random_structured"])
def test_prune_meta_module(method: str) -> None:
    """Pruning a meta-device module gives meta masks of PyTorch's shape and dtype
    (ln_structured failed copying its norms' top-k out of the meta tensor)."""
    def program(L: object) -> list:
        prune = L.torch.nn.utils.prune
        L.torch.manual_seed(0)
        m = L.nn.Conv2d(2, 4, 2, device="meta")
        {"ln_structured": lambda: prune.ln_structured(m, "weight", 0.5, 2, 0),
         "l1_unstructured": lambda: prune.l1_unstructured(m, "weight", 3),
         "random_structured": lambda: prune.random_structured(m, "weight", 1, 1)}[method]()
        return [m.weight_mask.is_meta, list(m.weight_mask.shape), str(m.weight_mask.dtype),
                m.weight.is_meta, sorted(n for n, _ in m.named_buffers()), L.torch.rand(2)]

    run(program, torch)
