"""Writing files safely: atomic replace, no overwrite without force, collision-free names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import OutputError

#: atomic_write's temporary names: "." + the target's name + "." + mkstemp's 8 characters
TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
#: a temporary file untouched this long belongs to a killed run: a live writer streams into
#: its file (every write updates the mtime) and renames it right after the last write
STALE_AFTER_SECONDS = 60.0


def refuse_existing(path: str | Path) -> None:
    """The one refusal of an existing output: raises unless `path` is free (use force)."""
    if os.path.lexists(path):
        raise already_exists(path)


def already_exists(path: str | Path) -> OutputError:
    return OutputError(f"{path}: already exists; use --force to replace it")


def atomic_write(
    path: str | Path,
    write: Callable,
    *,
    force: bool = False,
    mode: str = "w",
    encoding: str | None = "utf-8",
    newline: str | None = "",
) -> Path:
    """Write a file through a temporary file in the same folder, then rename it into place.

    `write(stream)` produces the content. Without `force` an existing file is never
    replaced (checked again at the rename, so a file that appeared meanwhile is kept).
    """
    path = Path(path)
    if not force:
        refuse_existing(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with os.fdopen(handle, mode, **kwargs) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp's 0600 would make every output private
        if force:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if the name was taken meanwhile
            except FileExistsError as exc:
                raise already_exists(path) from exc
            except OSError:
                os.replace(temp, path)  # file systems without hard links
            else:
                os.remove(temp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    return path


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete atomic_write temporaries that a killed run left in `folder`; returns them.

    Only names of atomic_write's pattern whose mtime is older than STALE_AFTER_SECONDS go,
    so the file a concurrent run is writing right now stays.
    """
    removed: list[Path] = []
    limit = time.time() - STALE_AFTER_SECONDS
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # no folder yet: nothing left behind
    for entry in entries:
        if not TEMPORARY_NAME.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < limit:
                os.remove(entry.path)
                removed.append(Path(entry.path))
    return removed


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def free_name(folder: Path, stem: str, suffixes: list[str]) -> str:
    """A stem such that no `stem + suffix` exists in the folder (adds -2, -3, ...)."""
    candidate, number = stem, 1
    while any((folder / f"{candidate}{suffix}").exists() for suffix in suffixes):
        number += 1
        candidate = f"{stem}-{number}"
    return candidate
