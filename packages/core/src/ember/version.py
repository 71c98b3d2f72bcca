"""``ember.version``: the release, as ``torch.version`` gives it (no CUDA build: CuPy brings
its own)."""

from . import __version__ as _release

__version__ = str(_release)  # a plain string here, as torch.version.__version__

cuda = None
hip = None
debug = False
git_version = "unknown"

__all__ = ["__version__", "cuda", "hip", "debug", "git_version"]
