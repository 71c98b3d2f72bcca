"""QAT Dynamic Modules.

This package is in the process of being deprecated.
Please, use `torch.ao.nn.qat.dynamic` instead.

(``ember.nn.qat``: PyTorch's deprecated path to the quantization-aware-training modules, the
same classes as ``ember.ao.nn.qat``; Ember has no ``Embedding``/``EmbeddingBag`` ones.)
"""

from ember.ao.nn.qat import Conv1d, Conv2d, Conv3d, Linear

__all__ = ["Linear", "Conv1d", "Conv2d", "Conv3d"]
