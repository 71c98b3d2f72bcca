"""Ember vision: torchvision's API for Ember.

It will hold datasets (MNIST, CIFAR, folders of images), transforms, models and
their registry, vision ops (nms, roi_align) registered as core ops, image io,
utils (make_grid, save_image) and a runnable training demo (`ember.vision.demo`).
"""

__version__ = "0.1.0"
