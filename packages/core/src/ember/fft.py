"""``ember.fft``: discrete Fourier transforms with PyTorch's names, ``norm`` modes and gradients.

The transforms live in ``ember.ops.spectral`` (so that other ops, such as ``stft``, can use
them); this module is their public face.
"""

from .ops.spectral import (
    fft,
    fft2,
    fftfreq,
    fftn,
    fftshift,
    hfft,
    hfft2,
    hfftn,
    ifft,
    ifft2,
    ifftn,
    ifftshift,
    ihfft,
    ihfft2,
    ihfftn,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftfreq,
    rfftn,
)

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift",
           "ifftshift", "hfft2", "hfftn", "ihfft2", "ihfftn"]
