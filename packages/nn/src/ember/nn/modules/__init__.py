"""``ember.nn.modules``: every layer, one file per family, at PyTorch's module paths."""

import types

from .activation import (
                         CELU,
                         ELU,
                         GELU,
                         GLU,
                         SELU,
                         Hardshrink,
                         Hardsigmoid,
                         Hardswish,
                         Hardtanh,
                         LeakyReLU,
                         LogSigmoid,
                         LogSoftmax,
                         Mish,
                         MultiheadAttention,
                         PReLU,
                         ReLU,
                         ReLU6,
                         RReLU,
                         Sigmoid,
                         SiLU,
                         Softmax,
                         Softmax2d,
                         Softmin,
                         Softplus,
                         Softshrink,
                         Softsign,
                         Tanh,
                         Tanhshrink,
                         Threshold,
)
from .adaptive import AdaptiveLogSoftmaxWithLoss
from .batchnorm import (
                         BatchNorm1d,
                         BatchNorm2d,
                         BatchNorm3d,
                         LazyBatchNorm1d,
                         LazyBatchNorm2d,
                         LazyBatchNorm3d,
                         SyncBatchNorm,
)
from .channelshuffle import ChannelShuffle
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import (
                         Conv1d,
                         Conv2d,
                         Conv3d,
                         ConvTranspose1d,
                         ConvTranspose2d,
                         ConvTranspose3d,
                         LazyConv1d,
                         LazyConv2d,
                         LazyConv3d,
                         LazyConvTranspose1d,
                         LazyConvTranspose2d,
                         LazyConvTranspose3d,
)
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .flatten import Flatten, Unflatten
from .fold import Fold, Unfold
from .instancenorm import (
                         InstanceNorm1d,
                         InstanceNorm2d,
                         InstanceNorm3d,
                         LazyInstanceNorm1d,
                         LazyInstanceNorm2d,
                         LazyInstanceNorm3d,
)
from .lazy import LazyModuleMixin
from .linear import Bilinear, Identity, LazyLinear, Linear
from .linear_cross_entropy_options import LinearCrossEntropyOptions
from .loss import (
                         BCELoss,
                         BCEWithLogitsLoss,
                         CosineEmbeddingLoss,
                         CrossEntropyLoss,
                         CTCLoss,
                         GaussianNLLLoss,
                         HingeEmbeddingLoss,
                         HuberLoss,
                         KLDivLoss,
                         L1Loss,
                         LinearCrossEntropyLoss,
                         MarginRankingLoss,
                         MSELoss,
                         MultiLabelMarginLoss,
                         MultiLabelSoftMarginLoss,
                         MultiMarginLoss,
                         NLLLoss,
                         NLLLoss2d,
                         PoissonNLLLoss,
                         SmoothL1Loss,
                         SoftMarginLoss,
                         TripletMarginLoss,
                         TripletMarginWithDistanceLoss,
)
from .module import Module
from .normalization import CrossMapLRN2d, GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm
from .padding import (
                         CircularPad1d,
                         CircularPad2d,
                         CircularPad3d,
                         ConstantPad1d,
                         ConstantPad2d,
                         ConstantPad3d,
                         ReflectionPad1d,
                         ReflectionPad2d,
                         ReflectionPad3d,
                         ReplicationPad1d,
                         ReplicationPad2d,
                         ReplicationPad3d,
                         ZeroPad1d,
                         ZeroPad2d,
                         ZeroPad3d,
)
from .pixelshuffle import PixelShuffle, PixelUnshuffle
from .pooling import (
                         AdaptiveAvgPool1d,
                         AdaptiveAvgPool2d,
                         AdaptiveAvgPool3d,
                         AdaptiveMaxPool1d,
                         AdaptiveMaxPool2d,
                         AdaptiveMaxPool3d,
                         AvgPool1d,
                         AvgPool2d,
                         AvgPool3d,
                         FractionalMaxPool2d,
                         FractionalMaxPool3d,
                         LPPool1d,
                         LPPool2d,
                         LPPool3d,
                         MaxPool1d,
                         MaxPool2d,
                         MaxPool3d,
                         MaxUnpool1d,
                         MaxUnpool2d,
                         MaxUnpool3d,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding, EmbeddingBag
from .transformer import (
                         Transformer,
                         TransformerDecoder,
                         TransformerDecoderLayer,
                         TransformerEncoder,
                         TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = [name for name in dir() if name[0].isupper()]


def _name_forward(cls: type, owner: str | None = None, attr: str = "forward") -> None:
    """Give ``cls`` its own copy of its (inherited) ``forward`` (or ``attr``), named
    ``<owner>.<attr>``.

    PyTorch defines ``forward`` (``__init__``) on each of these classes, so a wrong call reads
    "ReLU.forward() missing 1 required positional argument"; Ember shares one body.
    """
    f = getattr(cls, attr)
    qualname = f"{owner or cls.__name__}.{attr}"
    if f.__qualname__ == qualname:
        return
    code = f.__code__
    if hasattr(code, "co_qualname"):  # Python 3.11+
        code = code.replace(co_qualname=qualname)
    g = types.FunctionType(code, f.__globals__, attr, f.__defaults__, f.__closure__)
    g.__kwdefaults__ = f.__kwdefaults__
    g.__qualname__ = qualname
    g.__doc__ = f.__doc__
    g.__annotations__ = f.__annotations__
    g.__module__ = cls.__module__
    setattr(cls, attr, g)


for _cls in (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
             AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool2d, AvgPool3d, CELU, ELU, Conv1d,
             Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, Dropout,
             Dropout1d, Dropout2d, Dropout3d, FractionalMaxPool2d, FractionalMaxPool3d, GRU,
             LSTM, RNN, Hardsigmoid, Hardswish, Mish, ReLU, SELU, SiLU, LogSigmoid, Softsign,
             Tanhshrink, Sigmoid, Tanh, LPPool1d, LPPool2d, LPPool3d, LogSoftmax, Softmax,
             Softmin, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
             Hardshrink, Softshrink, SyncBatchNorm, LocalResponseNorm, CrossMapLRN2d):
    _name_forward(_cls)
for _cls in (ReflectionPad1d, ReflectionPad2d, ReflectionPad3d):
    _name_forward(_cls, "_ReflectionPadNd")
for _cls in (ReplicationPad1d, ReplicationPad2d, ReplicationPad3d):
    _name_forward(_cls, "_ReplicationPadNd")
# constructors PyTorch defines per class (Ember shares a base's): named as PyTorch's
for _cls in (AvgPool2d, AvgPool3d, CELU, CircularPad1d, CircularPad2d, CircularPad3d,
             ConstantPad1d, ConstantPad2d, ConstantPad3d, ELU, FractionalMaxPool2d, Hardshrink,
             Hardsigmoid, Hardswish, LocalResponseNorm, LogSoftmax, MaxUnpool1d, MaxUnpool2d,
             MaxUnpool3d, Mish, ReLU, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d,
             ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, SELU, SiLU, Softmax, Softmin,
             Softshrink, ZeroPad1d, ZeroPad2d, ZeroPad3d):
    _name_forward(_cls, attr="__init__")
for _cls in (BatchNorm1d, BatchNorm2d, BatchNorm3d):
    _name_forward(_cls, "_BatchNorm", "__init__")
del _cls
