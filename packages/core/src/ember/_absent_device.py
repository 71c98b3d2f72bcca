"""What PyTorch's device modules (``torch.xpu``, ``torch.mtia``, ``torch.mps``) do on a build
without their device, shared by Ember's: seeding is accepted and does nothing (the seed is
still checked to be an integer), and there are no per-device generator states."""

from __future__ import annotations


def is_available() -> bool:
    """False: Ember has no backend for this device."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """A no-op without a device (the seed is still checked to be an integer)."""
    int(seed)


def manual_seed_all(seed: int) -> None:
    int(seed)


def seed() -> None:
    """A no-op without a device."""


def seed_all() -> None:
    """A no-op without a device."""


def get_rng_state_all() -> list:
    return []
