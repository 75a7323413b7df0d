"""Which file an input is: its device and inode, and the sha256 of its bytes."""

from __future__ import annotations

import hashlib
import os


def file_identity(path: str) -> tuple[int, int] | None:
    """A file's device and inode (None when it does not exist): the same file under any
    name, symlink, `dir/../` spelling or hard link."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino)


def file_sha256(path: str) -> str:
    """The sha256 of a file's bytes, as hex."""
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()
