"""Ember audio: torchaudio's API for Ember.

It will hold audio load/save through soundfile, `functional` and `transforms`
(spectrograms, mel scales, MFCC, resampling) and audio data sets read from local
files.
"""

__version__ = "0.1.0"
