"""Files kept on Google Drive (CelebA, WIDERFace, PCAM, ...), fetched by file id."""

from __future__ import annotations

import os

from .utils import download_url

__all__ = ["download_file_from_google_drive"]


def download_file_from_google_drive(file_id: str, root: str | os.PathLike,
                                    filename: str | os.PathLike | None = None,
                                    md5: str | None = None) -> None:
    """Download the Drive file ``file_id`` to ``root/filename`` (default: the id).

    The ``confirm=t`` form skips Drive's virus-scan page for large files; when the file
    cannot be fetched, the error says where to place it by hand.
    """
    root = os.path.expanduser(root)
    url = f"https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t"
    download_url(url, root, filename or file_id, md5)
