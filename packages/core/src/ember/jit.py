"""``ember.jit``: PyTorch's TorchScript entry points for code that uses them in passing.

Ember runs eagerly and has no TorchScript compiler. ``script`` and ``trace`` of a module
return PyTorch's shapes of result (a ``RecursiveScriptModule`` / ``TopLevelTracedModule``
sharing the module's parameters and buffers, printed as PyTorch prints them, with
``save``), which run the module's own Python ``forward``; functions come back as they are,
and the decorators (``ignore``, ``unused``, ``export``, ``interface``) leave them alone.
``is_scripting()`` and ``is_tracing()`` are False. ``jit.save``/``jit.load`` round-trip
such a module through an Ember checkpoint (the whole module pickled, so its class must be
importable where it loads); a TorchScript archive written by PyTorch holds compiled code
that Ember cannot run, and loading one says so.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import os
import types
import warnings
import zipfile
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Final

__all__ = ["script", "trace", "trace_module", "is_scripting", "is_tracing", "ignore", "unused",
           "export", "interface", "annotate", "isinstance", "Final", "fork", "wait", "save",
           "load", "freeze", "optimize_for_inference", "script_if_tracing", "ScriptModule",
           "ScriptFunction", "Error"]

Error = RuntimeError


class ScriptModule:
    """The base of what ``script``/``trace`` return for a module (mixed into a subclass of the
    module's own class, so that its ``forward`` runs as written)."""

    original_name: str
    _jit_base: type  # the module's own class, which the wrapper's class derives from

    def _get_name(self) -> str:
        return self._jit_name

    def extra_repr(self) -> str:
        return f"original_name={self.original_name}"

    @property
    def code(self) -> str:
        """The Python source of ``forward`` (Ember compiles no TorchScript code)."""
        try:
            return inspect.getsource(self._jit_base.forward)
        except (OSError, TypeError):
            return ""

    def save(self, f: Any, _extra_files: Any = None) -> None:
        """``ember.jit.save(self, f)``, without its deprecation warning (PyTorch gives none)."""
        _save_module(self, f, _extra_files)

    def __reduce_ex__(self, protocol: Any) -> Any:
        """Refused, as PyTorch refuses to pickle (``torch.save``) a ScriptModule: its ``save``
        (``jit.save``) writes it, and its ``state_dict`` pickles."""
        base = self._jit_base
        raise RuntimeError(f"Tried to serialize object __torch__.{base.__module__}."
                           f"{base.__qualname__} which does not have a __getstate__ method "
                           "defined!")

    def __copy__(self) -> Any:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo: dict) -> Any:
        """A deep copy of the module, scripted (PyTorch's copy of a trace is scripted too)."""
        return _wrap(copy.deepcopy(_unwrap(self), memo), "script")


_classes: dict = {}


def _wrap(mod: Any, kind: str, top: bool = True) -> Any:
    """A new object of a subclass of ``mod``'s class that shares its parameters, buffers and
    attributes (with its own training flag and dicts of them), its children wrapped too.
    ``kind`` "script" names every level ``RecursiveScriptModule``; "trace" names the top
    ``TopLevelTracedModule`` and the rest ``TracedModule``, printed under their own names."""
    if builtins.isinstance(mod, ScriptModule):
        mod = _unwrap(mod)
    base = type(mod)
    if kind == "script":
        name = shown = "RecursiveScriptModule"
    else:
        name, shown = ("TopLevelTracedModule" if top else "TracedModule"), base.__name__
    cls = _classes.get((base, name))
    if cls is None:
        cls = _classes[(base, name)] = type(name, (ScriptModule, base),
                                                {"_jit_name": shown, "_jit_base": base})
    new = object.__new__(cls)
    new.__dict__.update(mod.__dict__)
    for attr in ("_parameters", "_buffers", "_non_persistent_buffers_set"):
        if attr in mod.__dict__:
            new.__dict__[attr] = copy.copy(mod.__dict__[attr])
    new.__dict__["_modules"] = {k: None if m is None else _wrap(m, kind, False)
                                for k, m in mod.__dict__["_modules"].items()}
    new.__dict__["original_name"] = base.__name__
    return new


def _unwrap(mod: Any) -> Any:
    """The plain module a wrapped one stands for (a copy sharing its tensors)."""
    if not builtins.isinstance(mod, ScriptModule):
        return mod
    plain = object.__new__(mod._jit_base)
    plain.__dict__.update({k: v for k, v in mod.__dict__.items() if k != "original_name"})
    plain.__dict__["_modules"] = {k: None if m is None else _unwrap(m)
                                  for k, m in mod.__dict__["_modules"].items()}
    return plain


def _is_module(obj: Any) -> bool:
    return builtins.isinstance(getattr(obj, "__dict__", None), dict) and \
        "_modules" in obj.__dict__ and callable(obj)


def _random_in_training(mod: Any) -> bool:
    """Whether a dropout layer of ``mod`` is training (PyTorch's trace check is shorter)."""
    stack = [mod]
    while stack:
        m = stack.pop()
        if "Dropout" in type(m).__name__ and m.__dict__.get("training", False) \
                and getattr(m, "p", 0) > 0:
            return True
        stack.extend(c for c in m.__dict__.get("_modules", {}).values() if c is not None)
    return False


def _deprecated(name: str, instead: str = "`torch.compile` or `torch.export`") -> None:
    from ._stacklevel import user_stacklevel

    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to {instead}.",
                  FutureWarning, stacklevel=user_stacklevel())


class ScriptFunction:
    """What ``script``/``trace`` return for a function, as PyTorch's do: calling it calls the
    function, eagerly; ``code`` is its Python source (Ember compiles no TorchScript)."""

    def __init__(self, fn: Callable) -> None:
        self._fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.qualified_name = f"__torch__.{self.name}"
        self.__doc__ = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    @property
    def code(self) -> str:
        """The function's Python source, decorators left out."""
        try:
            lines = inspect.getsource(self._fn).splitlines(keepends=True)
        except (OSError, TypeError):
            return ""
        while lines and lines[0].lstrip().startswith("@"):
            lines.pop(0)
        return "".join(lines)

    @property
    def graph(self) -> Any:
        raise RuntimeError(f"ember.jit: '{self.name}' has no TorchScript graph (Ember runs "
                           "scripted functions eagerly and records none); print .code instead")


def _script_function(fn: Any) -> Any:
    """A plain Python function as a ``ScriptFunction``; anything else as it is."""
    if builtins.isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        return ScriptFunction(fn)
    return fn


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """A module as a ``RecursiveScriptModule`` sharing its tensors; anything else as it is.
    Either way it runs eagerly, as written."""
    _deprecated("script")
    if _is_module(obj):
        return _wrap(obj, "script")
    return _script_function(obj)


_DICT_OUTPUT = (
    "Encountering a dict at the output of the tracer might cause the trace to be incorrect, "
    "this is only valid if the container structure does not change based on the module's "
    "inputs. Consider using a constant container instead (e.g. for `list`, use a `tuple` "
    "instead. for `dict`, use a `NamedTuple` instead). If you absolutely need this and know "
    "the side effects, pass strict=False to trace() to allow this behavior.")


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """A module (or its bound ``forward``) as a ``TopLevelTracedModule`` sharing its tensors;
    a function as it is. No graph is recorded, but the module's forward runs as often as
    PyTorch's tracing runs it (once; with ``check_trace``, four more times per checked input,
    three where a dropout layer in training makes the trace nondeterministic), so that its
    buffers (BatchNorm's statistics) and the random stream end where PyTorch's do. PyTorch's
    deprecation warnings come as PyTorch's nested calls give them: ``trace`` once, then
    ``trace_method`` for the module's trace and for each check (``trace`` again per check of a
    function)."""
    _deprecated("trace")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning,
                      stacklevel=2)
    if builtins.isinstance(func, ScriptModule):
        warnings.warn("The input to trace is already a ScriptModule, tracing it is a no-op. "
                      "Returning the object as is.", stacklevel=2)
        return func
    owner = getattr(func, "__self__", None)
    if _is_module(func) or (_is_module(owner) and getattr(func, "__name__", "") == "forward"):
        mod = func if _is_module(func) else owner
        if example_inputs is None:
            example_inputs = kwargs.get("example_kwarg_inputs")
            if not builtins.isinstance(example_inputs, dict):
                raise RuntimeError("example_kwarg_inputs should be a dict")
        if check_inputs is not None:
            check_inputs = [{"forward": c} for c in check_inputs]
        return _trace_forward(mod, example_inputs, check_trace, check_inputs,
                              kwargs.get("strict", True))
    if check_trace:
        for _ in check_inputs or [example_inputs]:
            _deprecated("trace")
    return _script_function(func)


def _trace_forward(mod: Any, example_inputs: Any, check_trace: bool, check_inputs: Any,
                   strict: bool, warn: bool = True) -> Any:
    """``trace_module(mod, {"forward": example_inputs})`` past its argument checks (``warn``:
    with its deprecation warning)."""
    if warn:
        _deprecated("trace_method")

    def run(inputs: Any) -> Any:
        if builtins.isinstance(inputs, dict):
            return mod(**inputs)
        return mod(*inputs) if builtins.isinstance(inputs, tuple) else mod(inputs)

    if builtins.isinstance(run(example_inputs), dict) and strict:
        raise RuntimeError(_DICT_OUTPUT)
    if check_trace:  # PyTorch's check traces again and runs both versions
        runs = 3 if _random_in_training(mod) else 4
        for inputs in check_inputs or [{"forward": example_inputs}]:
            _deprecated("trace_method")
            for _ in range(runs):
                run(inputs.get("forward") if builtins.isinstance(inputs, dict) else inputs)
    return _wrap(mod, "trace")


def trace_module(mod: Any, inputs: Any, optimize: Any = None, check_trace: bool = True,
                 check_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``trace`` of the module's methods named in ``inputs`` (only ``forward`` runs)."""
    _deprecated("trace_method")
    if optimize is not None:
        warnings.warn("`optimize` is deprecated and has no effect. Use `with "
                      "torch.jit.optimized_execution()` instead", FutureWarning,
                      stacklevel=2)
    if not _is_module(mod):
        raise AttributeError("expected torch.nn.Module as the first argument")
    if not builtins.isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    if "forward" not in inputs:
        return _wrap(mod, "trace")
    ex = inputs["forward"]
    return _trace_forward(mod, tuple(ex) if builtins.isinstance(ex, list) else ex, check_trace,
                          check_inputs, kwargs.get("strict", True), warn=False)


def script_if_tracing(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Usable as ``@ignore`` and ``@ignore(drop=True)``."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def interface(obj: Any) -> Any:
    return obj


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


def isinstance(obj: Any, target_type: Any) -> bool:  # noqa: A001
    """``builtins.isinstance``, with ``typing`` generics (List[int], ...) read as their origin."""
    origin = getattr(target_type, "__origin__", None)
    return builtins.isinstance(obj, origin if origin is not None else target_type)


def fork(func: Callable, *args: Any, **kwargs: Any) -> Future:
    """Run ``func`` now; a completed future holds its result (or exception)."""
    fut: Future = Future()
    try:
        fut.set_result(func(*args, **kwargs))
    except Exception as e:  # delivered by wait(), as PyTorch's futures do
        fut.set_exception(e)
    return fut


def wait(fut: Future) -> Any:
    return fut.result()


def _needs_script_module(mod: Any, what: str) -> None:
    from ._stacklevel import user_stacklevel

    warnings.warn(f"`torch.jit.{what}` is deprecated. Please use `torch.compile` instead.",
                  FutureWarning, stacklevel=user_stacklevel())
    if not builtins.isinstance(mod, ScriptModule):
        raise RuntimeError(f"{'Freezing' if what == 'freeze' else what} expects a ScriptModule "
                           "as input. Please use torch.jit.script or torch.jit.trace to script "
                           "your 'nn.Module'.")


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    """A new ``RecursiveScriptModule`` sharing ``mod``'s tensors (Ember folds no constants);
    PyTorch's checks: a scripted or traced module, in eval mode."""
    _needs_script_module(mod, "freeze")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. "
                           "Please call .eval() on your module before freezing.")
    return _wrap(mod, "script")


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    """``freeze(mod.eval())``, as PyTorch's begins (its graph passes have no Ember analogue)."""
    _needs_script_module(mod, "optimize_for_inference")
    return freeze(mod.eval(), preserved_attrs=other_methods)


_MARK = "ember.jit module"


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Save a scripted or traced module (or a plain one) for ``ember.jit.load``: an Ember
    checkpoint of the whole module, so its class must be importable where it is loaded."""
    _deprecated("save", "`torch.export`")
    if not builtins.isinstance(m, (ScriptModule, ScriptFunction)):  # PyTorch calls m.save
        attr = "save" if builtins.isinstance(f, (str, os.PathLike)) else "save_to_buffer"
        raise AttributeError(f"'{type(m).__name__}' object has no attribute '{attr}'")
    _save_module(m, f, _extra_files)


def _save_module(m: Any, f: Any, _extra_files: Any = None) -> None:
    if not _is_module(m):
        raise TypeError(f"ember.jit.save: expected a module, got {type(m).__name__}")
    from .serialization import save as _save

    _save({_MARK: _unwrap(m), "extra_files": dict(_extra_files or {})}, f)


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """A module saved by ``ember.jit.save``, as a ``RecursiveScriptModule``."""
    _deprecated("load", "`torch.export`")
    from .serialization import load as _load

    if builtins.isinstance(f, (str, os.PathLike)):
        if not os.path.exists(f):
            raise ValueError(f"The provided filename {f} does not exist")
        if os.path.isdir(f):
            raise ValueError(f"The provided filename {f} is a directory")

    if _is_torchscript(f):
        raise RuntimeError(f"ember.jit.load: {f!r} is a TorchScript archive written by PyTorch; "
                           "Ember has no TorchScript interpreter. Save the model's state_dict "
                           "with torch.save and load it into the model's class with "
                           "ember.load and load_state_dict")
    obj = _load(f, map_location=map_location, weights_only=False)
    if not (builtins.isinstance(obj, dict) and _MARK in obj):
        raise RuntimeError(f"ember.jit.load: {f!r} was not written by ember.jit.save (load "
                           "checkpoints with ember.load)")
    if _extra_files is not None:
        for name in _extra_files:
            got = obj["extra_files"].get(name, b"")  # read back as bytes, as PyTorch's are
            _extra_files[name] = got.encode() if builtins.isinstance(got, str) else got
    return _wrap(obj[_MARK], "script")


def _is_torchscript(f: Any) -> bool:
    """Whether ``f`` is a zip archive with TorchScript's code folder."""
    pos = f.tell() if hasattr(f, "tell") else None
    try:
        with zipfile.ZipFile(f) as z:
            return any("/code/" in n or n.endswith("constants.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        if pos is not None:
            f.seek(pos)


Final = Final
