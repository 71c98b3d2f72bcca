"""The modules of ``ember.utils.benchmark`` (PyTorch's layout: ``utils.common``,
``utils.timer``, ``utils.compare``, ``utils.fuzzer``)."""
