"""Test helpers that ship with Ember: closeness checks, the PyTorch oracle, gradcheck helpers,
the op-sample database and the backend conformance suite (a pytest plugin)."""

from ._make import make_tensor
from .oracle import (
           assert_allclose,
           assert_close,
           assert_same_as_torch,
           from_torch,
           requires_torch,
           to_torch,
           torch_or_skip,
)

__all__ = ["assert_allclose", "assert_close", "assert_same_as_torch", "from_torch", "make_tensor", "requires_torch",
           "to_torch", "torch_or_skip"]
