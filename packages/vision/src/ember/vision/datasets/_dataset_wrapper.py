"""``wrap_dataset_for_transforms_v2``: a dataset whose samples come as tv_tensors.

The wrapped dataset returns images unchanged, segmentation masks as ``tv_tensors.Mask``,
boxes as ``tv_tensors.BoundingBoxes`` (XYXY) and detection targets as dicts of tensors,
so that the ``transforms.v2`` pipeline can transform images and targets together. The
dataset's own transforms are moved onto the wrapper and run after the conversion.

Each dataset class has a wrapper factory ``factory(dataset, target_keys)`` returning
``wrapper(index, sample) -> sample``; it is looked up by walking the dataset's class
hierarchy for a class of ``ember.vision.datasets`` named in :data:`_FACTORIES`.
"""

from __future__ import annotations

import collections.abc
import contextlib
from collections import defaultdict
from collections.abc import Callable
from copy import copy
from typing import Any

__all__ = ["wrap_dataset_for_transforms_v2"]

# datasets that take `target_keys`
_TARGET_KEYS_DATASETS = ("CocoDetection", "VOCDetection", "Kitti", "WIDERFace")


def wrap_dataset_for_transforms_v2(dataset: Any, target_keys: Any = None) -> Any:
    """Wrap an ``ember.vision.datasets`` dataset so its samples are tv_tensors.

    Args:
        dataset: the dataset instance.
        target_keys: for ``CocoDetection``, ``VOCDetection``, ``Kitti`` and ``WIDERFace``,
            the keys of the target dict to return: ``None`` (the default keys), ``"all"``
            or a collection of key names.
    """
    if not (target_keys is None or target_keys == "all" or (
            isinstance(target_keys, collections.abc.Collection)
            and all(isinstance(key, str) for key in target_keys))):
        raise ValueError(f"`target_keys` can be None, 'all', or a collection of strings "
                         f"denoting the keys to be returned, but got {target_keys}")
    wrapped_cls = type(f"Wrapped{type(dataset).__name__}",
                       (VisionDatasetTVTensorWrapper, type(dataset)), {})
    return wrapped_cls(dataset, target_keys)


def _datasets_module() -> Any:
    from ember.vision import datasets

    return datasets


def _factory_for(dataset_cls: type) -> tuple[type, Callable] | None:
    """The first class in the MRO that is a registered ``ember.vision.datasets`` class."""
    module = _datasets_module()
    for cls in dataset_cls.mro():
        name = cls.__name__
        if name in _FACTORIES and getattr(module, name, None) is cls:
            return cls, _FACTORIES[name]
        if cls is module.VisionDataset:
            return None
    return None


class VisionDatasetTVTensorWrapper:
    """The mixin of the wrapped dataset class: converts each sample, then applies the
    transforms taken from the dataset."""

    def __init__(self, dataset: Any, target_keys: Any) -> None:
        module = _datasets_module()
        dataset_cls = type(dataset)
        if not isinstance(dataset, module.VisionDataset):
            raise TypeError(
                "This wrapper is meant for subclasses of `ember.vision.datasets.VisionDataset`,"
                f" but got a '{dataset_cls.__name__}' instead.\nFor an example of how to "
                "perform the wrapping for custom datasets, see\n\nhttps://pytorch.org/vision/"
                "main/auto_examples/plot_tv_tensors.html#do-i-have-to-wrap-the-output-of-the-"
                "datasets-myself")
        found = _factory_for(dataset_cls)
        if found is None:
            msg = (f"No wrapper exists for dataset class {dataset_cls.__name__}. Please wrap "
                   "the output yourself.")
            if dataset_cls in vars(module).values():
                msg += (" If an automated wrapper for this dataset would be useful for you, "
                        "please open an issue at https://github.com/pytorch/vision/issues.")
            raise TypeError(msg)
        cls, factory = found
        if target_keys is not None and cls.__name__ not in _TARGET_KEYS_DATASETS:
            raise ValueError("`target_keys` is currently only supported for `CocoDetection`, "
                             f"`VOCDetection`, `Kitti`, and `WIDERFace`, but got "
                             f"{cls.__name__}.")
        self._dataset = dataset
        self._target_keys = target_keys
        self._wrapper = factory(dataset, target_keys)
        # the transforms run on the converted sample, so they move from the dataset here
        self.transform, dataset.transform = dataset.transform, None
        self.target_transform, dataset.target_transform = dataset.target_transform, None
        self.transforms, dataset.transforms = dataset.transforms, None

    def __getattr__(self, item: str) -> Any:
        with contextlib.suppress(AttributeError):
            return object.__getattribute__(self, item)
        return getattr(self._dataset, item)

    def __getitem__(self, idx: int) -> Any:
        sample = self._wrapper(idx, self._dataset[idx])
        if self.transforms is not None:
            sample = self.transforms(*sample)
        return sample

    def __len__(self) -> int:
        return len(self._dataset)

    def __reduce__(self) -> tuple[Callable, tuple[Any, Any]]:
        # pickle the plain dataset with its transforms restored, and wrap it again on load
        dataset = copy(self._dataset)
        dataset.transform = self.transform
        dataset.transforms = self.transforms
        dataset.target_transform = self.target_transform
        return wrap_dataset_for_transforms_v2, (dataset, self._target_keys)


# --------------------------------------------------------------------------- helpers

def _not_supported(description: str) -> None:
    raise RuntimeError(f"{description} is currently not supported by this wrapper. If this "
                       "would be helpful for you, please open an issue at "
                       "https://github.com/pytorch/vision/issues.")


def _to_mask(pil_image: Any) -> Any:
    from ember.vision import tv_tensors

    return tv_tensors.Mask(pil_image)


def _parse_target_keys(target_keys: Any, *, available: set[str], default: Any) -> Any:
    if target_keys is None:
        target_keys = default
    if target_keys == "all":
        return available
    target_keys = set(target_keys)
    extra = target_keys - available
    if extra:
        raise ValueError(f"Target keys {sorted(extra)} are not available")
    return target_keys


def _dict_of_lists(list_of_dicts: list[dict]) -> dict[str, list]:
    out: defaultdict[str, list] = defaultdict(list)
    for dct in list_of_dicts:
        for key, value in dct.items():
            out[key].append(value)
    return dict(out)


def _wrap_by_type(target: Any, *, target_types: list[str],
                  type_wrappers: dict[str, Callable]) -> Any:
    """Convert each part of a (possibly tuple) target by its target type."""
    parts = target if isinstance(target, (tuple, list)) else [target]
    wrapped = tuple(type_wrappers.get(t, lambda item: item)(item)
                    for t, item in zip(target_types, parts))
    return wrapped[0] if len(wrapped) == 1 else wrapped


def _xywh_to_xyxy(boxes: Any, canvas_size: tuple[int, int]) -> Any:
    from ember.vision import tv_tensors
    from ember.vision.transforms.v2 import functional as F

    return F.convert_bounding_box_format(
        tv_tensors.BoundingBoxes(boxes, format=tv_tensors.BoundingBoxFormat.XYWH,
                                 canvas_size=canvas_size),
        new_format=tv_tensors.BoundingBoxFormat.XYXY)


# --------------------------------------------------------------------------- factories

def _identity_factory(dataset: Any, target_keys: Any) -> Callable:
    def wrapper(idx: int, sample: Any) -> Any:
        return sample
    return wrapper


def _segmentation_factory(dataset: Any, target_keys: Any) -> Callable:
    def wrapper(idx: int, sample: Any) -> Any:
        image, mask = sample
        return image, _to_mask(mask)
    return wrapper


def _caltech101_factory(dataset: Any, target_keys: Any) -> Callable:
    if "annotation" in dataset.target_type:
        _not_supported("Caltech101 dataset with `target_type=['annotation', ...]`")
    return _identity_factory(dataset, target_keys)


def _coco_segmentation_to_mask(segmentation: Any, canvas_size: tuple[int, int]) -> Any:
    import ember

    try:
        from pycocotools import mask
    except ImportError as e:
        raise ImportError("Converting COCO segmentations to masks (target key 'masks') "
                          "needs pycocotools: pip install pycocotools") from e
    if isinstance(segmentation, dict):
        if not isinstance(segmentation["counts"], str):
            segmentation = mask.frPyObjects(segmentation, *canvas_size)
    elif isinstance(segmentation, list):
        segmentation = mask.merge(mask.frPyObjects(segmentation, *canvas_size))
    else:
        raise ValueError(f"COCO segmentation expected to be a dict or a list, got "
                         f"{type(segmentation)}")
    return ember.from_numpy(mask.decode(segmentation))


def _coco_detection_factory(dataset: Any, target_keys: Any) -> Callable:
    import ember
    from ember.vision import tv_tensors
    from ember.vision.transforms.v2 import functional as F

    target_keys = _parse_target_keys(
        target_keys, default={"image_id", "boxes", "labels"},
        available={"segmentation", "area", "iscrowd", "image_id", "bbox", "category_id",
                   "boxes", "masks", "labels"})

    def wrapper(idx: int, sample: Any) -> Any:
        image_id = dataset.ids[idx]
        image, target = sample
        if not target:
            return image, {"image_id": image_id}
        canvas_size = tuple(F.get_size(image))
        batched = _dict_of_lists(target)
        out: dict[str, Any] = {}
        if "image_id" in target_keys:
            out["image_id"] = image_id
        if "boxes" in target_keys:
            out["boxes"] = _xywh_to_xyxy(batched["bbox"], canvas_size)
        if "masks" in target_keys:
            out["masks"] = tv_tensors.Mask(ember.stack([
                _coco_segmentation_to_mask(s, canvas_size) for s in batched["segmentation"]]))
        if "labels" in target_keys:
            out["labels"] = ember.tensor(batched["category_id"])
        for key in target_keys - {"image_id", "boxes", "masks", "labels"}:
            out[key] = batched[key]
        return image, out
    return wrapper


VOC_DETECTION_CATEGORIES = [
    "__background__", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat",
    "chair", "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant",
    "sheep", "sofa", "train", "tvmonitor"]
VOC_DETECTION_CATEGORY_TO_IDX = {name: i for i, name in enumerate(VOC_DETECTION_CATEGORIES)}


def _voc_detection_factory(dataset: Any, target_keys: Any) -> Callable:
    import ember
    from ember.vision import tv_tensors

    target_keys = _parse_target_keys(target_keys, available={"annotation", "boxes", "labels"},
                                     default={"boxes", "labels"})

    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        objects = _dict_of_lists(target["annotation"]["object"])
        if "annotation" not in target_keys:
            target = {}
        if "boxes" in target_keys:
            target["boxes"] = tv_tensors.BoundingBoxes(
                [[int(box[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
                 for box in objects["bndbox"]],
                format=tv_tensors.BoundingBoxFormat.XYXY, canvas_size=(image.height, image.width))
        if "labels" in target_keys:
            target["labels"] = ember.tensor([VOC_DETECTION_CATEGORY_TO_IDX[name]
                                             for name in objects["name"]])
        return image, target
    return wrapper


def _sbd_factory(dataset: Any, target_keys: Any) -> Callable:
    if dataset.mode == "boundaries":
        _not_supported("SBDataset with mode='boundaries'")
    return _segmentation_factory(dataset, target_keys)


def _celeba_factory(dataset: Any, target_keys: Any) -> Callable:
    if any(t in dataset.target_type for t in ("attr", "landmarks")):
        _not_supported("`CelebA` dataset with `target_type=['attr', 'landmarks', ...]`")

    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        boxes = {"bbox": lambda item: _xywh_to_xyxy(item, (image.height, image.width))}
        return image, _wrap_by_type(target, target_types=dataset.target_type,
                                    type_wrappers=boxes)
    return wrapper


KITTI_CATEGORIES = ["Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram",
                    "Misc", "DontCare"]
KITTI_CATEGORY_TO_IDX = {name: i for i, name in enumerate(KITTI_CATEGORIES)}


def _kitti_factory(dataset: Any, target_keys: Any) -> Callable:
    import ember
    from ember.vision import tv_tensors

    target_keys = _parse_target_keys(
        target_keys, default={"boxes", "labels"},
        available={"type", "truncated", "occluded", "alpha", "bbox", "dimensions", "location",
                   "rotation_y", "boxes", "labels"})

    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        if target is None:
            return image, target
        batched = _dict_of_lists(target)
        out: dict[str, Any] = {}
        if "boxes" in target_keys:
            out["boxes"] = tv_tensors.BoundingBoxes(
                batched["bbox"], format=tv_tensors.BoundingBoxFormat.XYXY,
                canvas_size=(image.height, image.width))
        if "labels" in target_keys:
            out["labels"] = ember.tensor([KITTI_CATEGORY_TO_IDX[t] for t in batched["type"]])
        for key in target_keys - {"boxes", "labels"}:
            out[key] = batched[key]
        return image, out
    return wrapper


def _oxford_iiit_pet_factory(dataset: Any, target_keys: Any) -> Callable:
    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        if target is not None:
            target = _wrap_by_type(target, target_types=dataset._target_types,
                                   type_wrappers={"segmentation": _to_mask})
        return image, target
    return wrapper


def _cityscapes_factory(dataset: Any, target_keys: Any) -> Callable:
    import ember
    from ember.vision import tv_tensors

    if any(t in dataset.target_type for t in ("polygon", "color")):
        _not_supported("`Cityscapes` dataset with `target_type=['polygon', 'color', ...]`")

    def instances(mask: Any) -> dict[str, Any]:
        # instance ids >= 1000 encode class * 1000 + instance; smaller ids are class ids
        data = _to_mask(mask)
        masks, labels = [], []
        for id in data.unique():
            masks.append(data == id)
            labels.append(id // 1000 if id >= 1000 else id)
        return {"masks": tv_tensors.Mask(ember.stack(masks)), "labels": ember.stack(labels)}

    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        return image, _wrap_by_type(target, target_types=dataset.target_type,
                                    type_wrappers={"instance": instances,
                                                   "semantic": _to_mask})
    return wrapper


def _widerface_factory(dataset: Any, target_keys: Any) -> Callable:
    target_keys = _parse_target_keys(
        target_keys, default="all",
        available={"bbox", "blur", "expression", "illumination", "occlusion", "pose",
                   "invalid"})

    def wrapper(idx: int, sample: Any) -> Any:
        image, target = sample
        if target is None:
            return image, target
        target = {key: target[key] for key in target_keys}
        if "bbox" in target_keys:
            target["bbox"] = _xywh_to_xyxy(target["bbox"], (image.height, image.width))
        return image, target
    return wrapper


_CLASSIFICATION = ("Caltech256", "CIFAR10", "CIFAR100", "ImageNet", "MNIST", "FashionMNIST",
                   "GTSRB", "DatasetFolder", "ImageFolder", "Imagenette")
# dataset class name -> wrapper factory; names not (yet) in ember.vision.datasets are skipped
_FACTORIES: dict[str, Callable] = {
    **{name: _identity_factory for name in _CLASSIFICATION},
    "VOCSegmentation": _segmentation_factory,
    "Caltech101": _caltech101_factory,
    "CocoDetection": _coco_detection_factory,
    "CocoCaptions": _identity_factory,
    "VOCDetection": _voc_detection_factory,
    "SBDataset": _sbd_factory,
    "CelebA": _celeba_factory,
    "Kitti": _kitti_factory,
    "OxfordIIITPet": _oxford_iiit_pet_factory,
    "Cityscapes": _cityscapes_factory,
    "WIDERFace": _widerface_factory,
}
