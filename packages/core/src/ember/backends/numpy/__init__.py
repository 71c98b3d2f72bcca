"""The built-in NumPy (CPU) backend."""
