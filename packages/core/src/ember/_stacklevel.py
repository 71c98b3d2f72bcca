"""Where a warning points: at the user's line, past Ember's own frames."""

from __future__ import annotations

import os
import sys


def user_stacklevel() -> int:
    """The ``stacklevel`` for ``warnings.warn`` in the function that calls this one, so that
    the warning names the first caller outside Ember (users reach ops through wrappers of
    varying depth: modules, functional, Tensor methods)."""
    # every ember distribution's folder (the namespace's path; read, not imported: this
    # module sits below the package's own __init__)
    roots = tuple(os.path.join(p, "") for p in sys.modules["ember"].__path__)
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(roots):
        frame, level = frame.f_back, level + 1
    return level
