"""Lane B (s25): autograd and extension programs, diffed against PyTorch.

Each test runs the same computation in PyTorch and in Ember and compares what a program
would print or look at (values bit for bit where PyTorch's kernel is deterministic).
"""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("exponent", [3, -2, 3.0, -2.0])
def test_pow_three_and_minus_two_round_as_pytorch(dtype: str, exponent: float) -> None:
    """``x ** 3`` is ``x * x * x`` and ``x ** -2`` is ``1 / (x * x)`` in PyTorch's float
    kernels, which round differently from C's ``pow`` (the tutorial's ``d * x ** 3``)."""
    torch.manual_seed(0)
    t = torch.randn(4096).to(getattr(torch, dtype))
    e = ember.tensor(t.float().numpy()).to(getattr(ember, dtype))
    expected = (t ** exponent).float().numpy()
    got = (e ** exponent).float().numpy()
    np.testing.assert_array_equal(got, expected)


def test_pow_three_float16_stays_c_pow() -> None:
    """float16 keeps ``std::pow`` in PyTorch (no x * x * x)."""
    torch.manual_seed(0)
    t = torch.randn(4096).half()
    e = ember.tensor(t.float().numpy()).half()
    np.testing.assert_array_equal((e ** 3).float().numpy(), (t ** 3).float().numpy())


def test_pow_three_gradient_matches() -> None:
    torch.manual_seed(0)
    t = torch.randn(257, requires_grad=True)
    e = ember.tensor(t.detach().numpy(), requires_grad=True)
    (t ** 3).sum().backward()
    (e ** 3).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def _gradgrad_then_draw(lib):  # the same program for both libraries
    lib.manual_seed(0)
    x = lib.randn(3, dtype=lib.float64, requires_grad=True)
    ok = lib.autograd.gradgradcheck(lambda a: (a ** 3, a.sin()), (x,))
    return ok, lib.randn(4).tolist()


def test_gradgradcheck_draws_grad_outputs_from_the_global_generator() -> None:
    """PyTorch's gradgradcheck makes its random grad_outputs with make_tensor(low=-1,
    high=1): the global generator advances, so later randn calls see the same state."""
    assert _gradgrad_then_draw(ember) == _gradgrad_then_draw(torch)


def test_gradgradcheck_noncontiguous_grad_outputs_draw_as_pytorch() -> None:
    def run(lib):
        lib.manual_seed(1)
        x = lib.randn(2, 3, dtype=lib.float64, requires_grad=True)
        ok = lib.autograd.gradgradcheck(lambda a: a * a, (x,),
                                        gen_non_contig_grad_outputs=True)
        return ok, lib.randn(3).tolist()

    assert run(ember) == run(torch)


def test_gradcheck_float32_failure_report_matches() -> None:
    """The float32 numerical Jacobian (printed in gradcheck's error) needs x ** 3 rounded as
    PyTorch's; a float64 draw before it needs gradgradcheck's generator use."""
    def run(lib):
        lib.manual_seed(0)
        x = lib.randn(3, dtype=lib.double, requires_grad=True)

        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a ** 3

            @staticmethod
            def backward(ctx, g):
                a, = ctx.saved_tensors
                return g * 3 * a ** 2

        assert lib.autograd.gradgradcheck(Cube.apply, (x,))
        xf = lib.randn(3, requires_grad=True)
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                lib.autograd.gradcheck(Cube.apply, (xf,))
                return "passed"
            except RuntimeError as e:
                return str(e)

    assert run(ember) == run(torch)


def _setup_context_program(lib) -> list:
    """The extending tutorial's LinearFunction in the setup_context style, called without
    its default ``bias``: setup_context unpacks three inputs in PyTorch."""
    seen = []

    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(input, weight, bias=None):
            out = input.mm(weight.t())
            return out if bias is None else out + bias

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            seen.append((len(inputs), bias, ctx.needs_input_grad))
            ctx.save_for_backward(input, weight)

        @staticmethod
        def backward(ctx, g):
            input, weight = ctx.saved_tensors
            return g.mm(weight), g.t().mm(input), None

    x = lib.ones(2, 3, requires_grad=True)
    w = lib.full((4, 3), 0.5, requires_grad=True)
    LinearFunction.apply(x, w).sum().backward()
    seen.append(x.grad.tolist())
    seen.append(tuple(LinearFunction.apply(x, weight=w).shape))
    return seen


def test_setup_context_sees_default_arguments() -> None:
    assert _setup_context_program(ember) == _setup_context_program(torch)


def _binding_errors(lib) -> list:
    class KW(lib.autograd.Function):
        @staticmethod
        def forward(x, scale=2.0, *, shift=0.0):
            return x * scale + shift

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g, None

    class S(lib.autograd.Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g, None

    out = []
    for call in (lambda: KW.apply(lib.ones(2)), lambda: KW.apply(lib.ones(2), 1.0, 2.0),
                 lambda: S.apply(lib.ones(2)), lambda: S.apply(lib.ones(2), 1, 2),
                 lambda: S.apply(lib.ones(2), z=1)):
        try:
            call()
            out.append("ok")
        except TypeError as e:
            out.append(str(e))
    return out


def test_setup_context_binding_errors_match() -> None:
    assert _binding_errors(ember) == _binding_errors(torch)


def _gradcheck_trace(lib, **kw) -> list:
    """What a custom Function printing in forward and backward shows during gradcheck."""
    log = []

    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            log.append("f")
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, g1, g2):
            log.append("b")
            x, y = ctx.saved_tensors
            return g1 * y + g2, g1 * x + g2

    lib.manual_seed(0)
    x = lib.randn(3, dtype=lib.float64, requires_grad=True)
    y = lib.randn(3, dtype=lib.float64, requires_grad=True)
    log.append(lib.autograd.gradcheck(Mul.apply, (x, y), **kw))
    return log


@pytest.mark.parametrize("kw", [{}, {"check_undefined_grad": False}])
def test_gradcheck_calls_forward_and_backward_as_pytorch(kw: dict) -> None:
    """Forward once, finite differences for every input, each output's rows twice (the
    reentrancy check), the zero-grad_output check, then the undefined-grad forwards."""
    assert _gradcheck_trace(ember, **kw) == _gradcheck_trace(torch, **kw)


def _gradcheck_errors(lib) -> list:
    calls = [0]

    class Drift(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls[0] += 1
            return g * 2 + calls[0] * 1e-9

    class Offset(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + 1

    class Two(lib.autograd.Function):  # wrong: output 1 for input 0, output 0 for input 1
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, y)
            return x * y, x + y

        @staticmethod
        def backward(ctx, g1, g2):
            x, y = ctx.saved_tensors
            return g1 * y + 3 * g2, 3 * g1 * x + g2

    lib.manual_seed(0)
    x = lib.randn(3, dtype=lib.float64, requires_grad=True)
    y = lib.randn(3, dtype=lib.float64, requires_grad=True)
    out = []
    for f, a, kw in ((Drift.apply, (x,), {}), (Offset.apply, (x,), {"atol": 2.0}),
                     (Two.apply, (x, y), {})):
        try:
            out.append(lib.autograd.gradcheck(f, a, **kw))
        except RuntimeError as e:
            out.append(str(e).replace("torch.", "ember."))  # the dtype in the report
    return out


def test_gradcheck_error_messages_and_order_match() -> None:
    """The reentrancy and "not multiplied by grad_output" refusals, and the mismatch of output
    0 reported before output 1 whatever the input."""
    assert _gradcheck_errors(ember) == _gradcheck_errors(torch)
