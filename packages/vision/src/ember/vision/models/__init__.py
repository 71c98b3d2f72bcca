"""``ember.vision.models``: torchvision's classification models on Ember, with torchvision's
layer names (so its checkpoints load), initialisation and pre-trained weights enums."""

from . import (
    alexnet,
    convnext,
    densenet,
    efficientnet,
    googlenet,
    inception,
    lenet,
    maxvit,
    mnasnet,
    mobilenet,
    mobilenetv2,
    mobilenetv3,
    regnet,
    resnet,
    shufflenetv2,
    squeezenet,
    swin_transformer,
    vgg,
    vision_transformer,
)
from ._api import (
    LocalWeights,
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
    register_model,
)
from .alexnet import *
from .convnext import *
from .densenet import *
from .efficientnet import *
from .googlenet import *
from .inception import *
from .lenet import *
from .maxvit import *
from .mnasnet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .regnet import *
from .resnet import *
from .shufflenetv2 import *
from .squeezenet import *
from .swin_transformer import *
from .vgg import *
from .vision_transformer import *

