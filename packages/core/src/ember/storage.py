"""``ember.storage``: the storage classes (PyTorch's ``torch.storage``)."""

from ._storage import TypedStorage, UntypedStorage

__all__ = ["TypedStorage", "UntypedStorage"]
