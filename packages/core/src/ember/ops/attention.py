"""TODO family module."""

__all__: list[str] = []
