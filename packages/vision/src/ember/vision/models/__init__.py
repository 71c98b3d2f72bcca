"""``ember.vision.models``: torchvision's classification models on Ember, with torchvision's
layer names (so its checkpoints load), initialisation and pre-trained weights enums."""

from . import (
    alexnet,
    densenet,
    efficientnet,
    lenet,
    mobilenet,
    mobilenetv2,
    mobilenetv3,
    resnet,
    squeezenet,
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
from .densenet import *
from .efficientnet import *
from .lenet import *
from .mobilenetv2 import *
from .mobilenetv3 import *
from .resnet import *
from .squeezenet import *
from .vgg import *
from .vision_transformer import *

