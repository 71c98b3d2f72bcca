"""Learning-rate schedulers (to be written)."""
