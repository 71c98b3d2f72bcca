"""An Ember backend over ``array_api_strict``: device type ``"strict"``.

Installing this distribution is all it takes: Ember finds the backend through the
``ember.backends`` entry point the first time a program asks for ``"strict"``.
"""

__version__ = "0.1.0"
