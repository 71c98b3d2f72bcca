"""Which scaled-dot-product-attention backends are switched on (``sdpa_kernel`` sets them).

Ember runs one math kernel everywhere; the flags are kept so that the calls that PyTorch
would refuse (every usable backend switched off) are refused the same way.
"""

from __future__ import annotations

from ember.backends import cuda as _cuda

# backend value -> enabled; values are SDPBackend's (MATH=0, FLASH=1, EFFICIENT=2, CUDNN=3,
# OVERRIDEABLE=4); ERROR (-1) is never a switch. The one table that
# ``ember.backends.cuda.enable_*_sdp`` switch too (the same object, updated in place), so
# both see one state, as in PyTorch.
enabled: dict[int, bool] = _cuda._sdp_enabled
priority: list[int] = [1, 2, 0, 3, 4]


def check_sdpa_backend(device_type: str, dropout_p: float) -> None:
    """Raise PyTorch's RuntimeError when no enabled backend could run this call."""
    if all(enabled.values()):
        return
    if device_type == "cpu":  # PyTorch's CPU has the math kernel and a flash kernel
        if enabled[0]:
            return
        if enabled[1]:
            if dropout_p > 0.0:
                raise RuntimeError("No available kernel.  Aborting execution.")
            return
    elif any(enabled[b] for b in (0, 1, 2, 3)):
        return
    raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is "
                       "likely due to turning off both the math kernel and the fused kernels.")
