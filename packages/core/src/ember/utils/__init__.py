"""``ember.utils``: data loading (``ember.utils.data``), activation checkpointing
(``ember.utils.checkpoint``), hook handles (``ember.utils.hooks``), DLPack capsules and the
old ``model_zoo.load_url``, each loaded on first use: ``ember.utils.data.DataLoader`` works
after a plain ``import ember``, as in PyTorch."""

from .._runtime import lazy_submodules

__getattr__ = lazy_submodules(__name__, ("data", "checkpoint", "hooks", "dlpack", "model_zoo",
                                          "deterministic", "_pytree"))


def swap_tensors(t1: object, t2: object) -> None:
    """Swaps the contents of two tensors in place (data, dtype, device, autograd state, class
    and attributes), as PyTorch's ``torch.utils.swap_tensors``: every reference to ``t1`` then
    sees what ``t2`` held and the reverse."""
    from .._tensor import Tensor

    for t in (t1, t2):
        if not isinstance(t, Tensor):  # PyTorch reads a tensor-only attribute here
            raise AttributeError(f"'{type(t).__name__}' object has no attribute '_use_count'")
    if type(t1) is not type(t2):
        c1, c2 = type(t1), type(t2)
        try:
            t1.__class__, t2.__class__ = c2, c1
        except TypeError as e:
            raise RuntimeError(f"Cannot swap t1 and t2 if they have different slots: {e}") from None
    d1, d2 = getattr(t1, "__dict__", None), getattr(t2, "__dict__", None)
    if d1 is not None and d2 is not None:
        t1.__dict__, t2.__dict__ = d2, d1
    for s in Tensor.__slots__:
        if s != "__weakref__" and s != "__dict__":  # the dicts are swapped above
            a, b = getattr(t1, s), getattr(t2, s)
            setattr(t1, s, b)
            setattr(t2, s, a)
    t1._accum = t2._accum = None  # a leaf's accumulator holds its tensor: made afresh on use
