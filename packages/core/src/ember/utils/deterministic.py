"""``ember.utils.deterministic``: PyTorch's switch for filling uninitialised memory (``empty``)
under deterministic algorithms; kept for programs that read or set it."""

#: whether ``empty`` and friends fill their memory when deterministic algorithms are on
fill_uninitialized_memory = True
