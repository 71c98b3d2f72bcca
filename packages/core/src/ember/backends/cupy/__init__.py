"""The built-in CuPy (CUDA) backend; CuPy is imported only when CUDA is first used."""
