"""``ember.utils.model_zoo``: the old home of ``load_url`` (``ember.hub``'s
``load_state_dict_from_url``), which older PyTorch programs still import."""

from __future__ import annotations

from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
