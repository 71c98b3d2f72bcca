"""``ember.fx.passes``: analyses over traced graphs (``shape_prop.ShapeProp``)."""

from . import shape_prop

__all__ = ["shape_prop"]
