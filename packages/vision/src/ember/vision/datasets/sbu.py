"""SBU Captioned Photos: Flickr photos with one caption each.

``root/SBUCaptionedPhotoDataset.tar.gz`` (checked against its md5) unpacks into
``root/dataset/`` with ``SBU_captioned_photo_dataset_urls.txt`` and
``SBU_captioned_photo_dataset_captions.txt`` (line ``i`` of one matches line ``i`` of the
other); the photos are fetched one by one from their URLs into ``root/dataset/``. Only
the photos present on disk are samples.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .folder import default_loader
from .utils import check_integrity, download_and_extract_archive, download_url
from .vision import VisionDataset

__all__ = ["SBU"]


class SBU(VisionDataset):
    """`SBU Captioned Photo Dataset <https://www.cs.rice.edu/~vo9/sbucaptions/>`_.

    Args:
        root: the dataset folder.
        transform / target_transform: applied to the image / the caption string.
        download: fetch the archive and then every photo still reachable (default True,
            as torchvision).
        loader: reads an image from its path.
    """

    url = "https://www.cs.rice.edu/~vo9/sbucaptions/SBUCaptionedPhotoDataset.tar.gz"
    filename = "SBUCaptionedPhotoDataset.tar.gz"
    md5_checksum = "9aec147b3488753cf758b4d493422285"

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = True,
                 loader: Callable[[str], Any] = default_loader) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.loader = loader
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               f"download it ({os.path.join(self.root, self.filename)} is "
                               "missing or fails its md5 check)")
        self.photos: list[str] = []
        self.captions: list[str] = []
        folder = os.path.join(self.root, "dataset")
        with open(os.path.join(folder, "SBU_captioned_photo_dataset_urls.txt")) as urls, \
                open(os.path.join(folder, "SBU_captioned_photo_dataset_captions.txt")) as caps:
            for url_line, caption_line in zip(urls, caps):
                photo = os.path.basename(url_line.rstrip())
                if os.path.exists(os.path.join(folder, photo)):
                    self.photos.append(photo)
                    self.captions.append(caption_line.rstrip())

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img = self.loader(os.path.join(self.root, "dataset", self.photos[index]))
        return self._transformed(img, self.captions[index])

    def __len__(self) -> int:
        return len(self.photos)

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.md5_checksum)

    def download(self) -> None:
        """Fetch and unpack the archive, then every photo whose URL still answers."""
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, self.root, self.filename,
                                     self.md5_checksum)
        folder = os.path.join(self.root, "dataset")
        with open(os.path.join(folder, "SBU_captioned_photo_dataset_urls.txt")) as fh:
            for line in fh:
                try:
                    download_url(line.rstrip(), folder)
                except (OSError, RuntimeError):  # many photos are gone from Flickr
                    pass
