"""Ember text: text processing for Ember models.

It will hold tokenizers and vocabularies, text data sets read from local files,
and the sequence utilities (padding, packing, batching) that language models on
`ember.nn` need.
"""

__version__ = "0.1.0"
