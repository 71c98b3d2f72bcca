"""Stochastic weight averaging (to be written)."""
