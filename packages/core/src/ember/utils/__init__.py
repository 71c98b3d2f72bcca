"""``ember.utils``: data loading (``ember.utils.data``) and activation checkpointing."""
