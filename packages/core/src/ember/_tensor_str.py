"""``ember._tensor_str``: the print options as PyTorch's ``torch._tensor_str`` holds them
(``PRINT_OPTS``, ``get_printoptions``, ``printoptions``), which some programs reach for."""

from ._formatting import PRINT_OPTS, get_printoptions, printoptions, set_printoptions

__all__ = ["PRINT_OPTS", "get_printoptions", "printoptions", "set_printoptions"]
