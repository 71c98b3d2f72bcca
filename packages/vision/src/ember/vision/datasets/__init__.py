"""``ember.vision.datasets``: image datasets that read the real on-disk formats."""

from .caltech import Caltech101, Caltech256
from .cifar import CIFAR10, CIFAR100
from .digits import Digits
from .fakedata import FakeData
from .fine_grained import FGVCAircraft, Flowers102, Food101, OxfordIIITPet, StanfordCars
from .folder import DatasetFolder, ImageFolder
from .image_lists import (
    DTD,
    GTSRB,
    SUN397,
    CLEVRClassification,
    Country211,
    EuroSAT,
    Imagenette,
    RenderedSST2,
)
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .packed_arrays import FER2013, PCAM, SEMEION, STL10, USPS, MovingMNIST
from .phototour import PhotoTour
from .svhn import SVHN
from .vision import StandardTransform, VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "Digits", "DatasetFolder", "EMNIST", "FakeData",
           "FashionMNIST", "ImageFolder", "KMNIST", "MNIST", "QMNIST", "SVHN",
           "StandardTransform", "VisionDataset"]

__all__ += ["CLEVRClassification", "Caltech101", "Caltech256", "Country211", "DTD", "EuroSAT",
            "FER2013", "FGVCAircraft", "Flowers102", "Food101", "GTSRB", "Imagenette",
            "MovingMNIST", "OxfordIIITPet", "PCAM", "PhotoTour", "RenderedSST2", "SEMEION",
            "STL10", "StanfordCars", "SUN397", "USPS"]

# detection, segmentation, captioning and face datasets
from ._dataset_wrapper import wrap_dataset_for_transforms_v2
from .celeba import CelebA
from .cityscapes import Cityscapes
from .coco import CocoCaptions, CocoDetection
from .flickr import Flickr8k, Flickr30k
from .imagenet import ImageNet
from .inaturalist import INaturalist
from .kitti import Kitti
from .lfw import LFWPairs, LFWPeople
from .omniglot import Omniglot
from .places365 import Places365
from .sbd import SBDataset
from .sbu import SBU
from .voc import VOCDetection, VOCSegmentation
from .widerface import WIDERFace

__all__ += ["CelebA", "Cityscapes", "CocoCaptions", "CocoDetection", "Flickr8k", "Flickr30k",
            "ImageNet", "INaturalist", "Kitti", "LFWPairs", "LFWPeople", "Omniglot",
            "Places365", "SBDataset", "SBU", "VOCDetection", "VOCSegmentation", "WIDERFace",
            "wrap_dataset_for_transforms_v2"]
