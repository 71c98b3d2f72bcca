"""Flickr8k and Flickr30k: photos with five captions each.

Flickr8k's annotations are an HTML page: a table where each image's link is followed by
a list of its captions. Flickr30k's are a text file of ``<image>#<n><TAB><caption>``
lines. The samples are the images in sorted path order.
"""

from __future__ import annotations

import glob
import os
from collections import defaultdict
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from .folder import default_loader
from .vision import VisionDataset

__all__ = ["Flickr8k", "Flickr30k"]


class Flickr8kParser(HTMLParser):
    """Collects ``{image path: [captions]}`` from the Flickr8k annotation page; an image's
    path is found by globbing ``root/<id>_*.jpg``."""

    def __init__(self, root: str | os.PathLike) -> None:
        super().__init__()
        self.root = root
        self.annotations: dict[str, list[str]] = {}
        self.in_table = False
        self.current_tag: str | None = None
        self.current_img: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current_tag = tag
        if tag == "table":
            self.in_table = True

    def handle_endtag(self, tag: str) -> None:
        self.current_tag = None
        if tag == "table":
            self.in_table = False

    def handle_data(self, data: str) -> None:
        if not self.in_table:
            return
        if data == "Image Not Found":
            self.current_img = None
        elif self.current_tag == "a":
            # the link text is a Flickr URL ending in ".../<id>/"
            img_id = data.split("/")[-2]
            matches = glob.glob(os.path.join(self.root, img_id + "_*.jpg"))
            if not matches:
                raise RuntimeError(f"Flickr8k: no image {img_id}_*.jpg in {self.root}")
            self.current_img = matches[0]
            self.annotations[self.current_img] = []
        elif self.current_tag == "li" and self.current_img:
            self.annotations[self.current_img].append(data.strip())


class Flickr8k(VisionDataset):
    """`Flickr8k Entities <http://hockenmaier.cs.illinois.edu/8k-pictures.html>`_.

    Args:
        root: the folder holding the images.
        ann_file: the annotation HTML page.
        transform / target_transform: applied to the image / the list of captions.
        loader: reads an image from its path.
    """

    def __init__(self, root: str | os.PathLike, ann_file: str,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        parser = Flickr8kParser(self.root)
        with open(self.ann_file) as fh:
            parser.feed(fh.read())
        self.annotations = parser.annotations
        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img_id = self.ids[index]
        img = self.loader(img_id)
        return self._transformed(img, self.annotations[img_id])

    def __len__(self) -> int:
        return len(self.ids)


class Flickr30k(VisionDataset):
    """`Flickr30k Entities <https://bryanplummer.com/Flickr30kEntities/>`_.

    Args:
        root: the folder holding the images.
        ann_file: the token file (``results_20130124.token``).
        transform / target_transform: applied to the image / the list of captions.
        loader: reads an image from its path.
    """

    def __init__(self, root: str | os.PathLike, ann_file: str,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.ann_file = os.path.expanduser(ann_file)
        self.annotations: defaultdict[str, list[str]] = defaultdict(list)
        with open(self.ann_file) as fh:
            for lineno, line in enumerate(fh, 1):
                try:
                    img_id, caption = line.strip().split("\t")
                except ValueError as e:
                    raise RuntimeError(f"{self.ann_file}:{lineno}: expected "
                                       "'<image>#<n><TAB><caption>'") from e
                self.annotations[img_id[:-2]].append(caption)  # drop the "#n" suffix
        self.ids = sorted(self.annotations.keys())
        self.loader = loader

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img_id = self.ids[index]
        img = self.loader(os.path.join(self.root, img_id))
        return self._transformed(img, self.annotations[img_id])

    def __len__(self) -> int:
        return len(self.ids)
