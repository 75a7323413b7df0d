"""Writing files safely: atomic replace, no overwrite without force, collision-free names.

Inside an output plan's staging (write/plan.py) `atomic_write` leaves its temporary file
for the plan to rename into place together with the run's other outputs."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import OutputError

#: the prefix of every temporary file cancelkit makes next to an output; only names that
#: carry it are ever cleaned up, so a file of another program is never touched
TEMPORARY_PREFIX = ".cancelkit-tmp-"
#: atomic_write's temporary names: the prefix + the target's name + "." + mkstemp's 8
#: characters + ".tmp"
TEMPORARY_NAME = re.compile(re.escape(TEMPORARY_PREFIX) + r".+\.[a-z0-9_]{8}\.tmp")
#: a temporary file untouched this long belongs to a killed run: a live writer streams into
#: its file (every write updates the mtime) and renames it right after the last write
STALE_AFTER_SECONDS = 60.0


def refuse_existing(path: str | Path) -> None:
    """The one refusal of an existing output: raises unless `path` is free (use force)."""
    if os.path.lexists(path):
        raise already_exists(path)


def already_exists(path: str | Path) -> OutputError:
    return OutputError(f"{path}: already exists; use --force to replace it", code="output_exists")


def temporary_for(path: Path) -> tuple[int, str]:
    """A new temporary file next to `path` (an open descriptor and its name)."""
    folder = path.parent if str(path.parent) else Path(".")
    missing = []
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = current_staging()
        if staging is not None:
            staging.created.extend(missing)  # taken back with the files on a failure
        prefix = f"{TEMPORARY_PREFIX}{_shortened(path.name)}."
        return tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise write_error(path, exc) from exc


#: the longest copy of an output's name in its temporary file's name: with the prefix and
#: mkstemp's part it stays within the usual 255-byte name limit for any legal output name
_NAME_IN_TEMPORARY = 200


def _shortened(name: str) -> str:
    encoded = os.fsencode(name)
    if len(encoded) <= _NAME_IN_TEMPORARY:
        return name
    return os.fsdecode(encoded[:_NAME_IN_TEMPORARY].decode("utf-8", "ignore").encode())


def write_error(path: str | Path, exc: OSError) -> OutputError:
    """The one-line error of a failed write (disk full, no permission, ...)."""
    return OutputError(f"{path}: cannot write ({exc.strerror or exc})", code="write_failed")


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
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a folder; name a file", code="output_is_folder")
    handle, temp = temporary_for(path)
    staging = current_staging()
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        try:
            with os.fdopen(handle, mode, **kwargs) as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp's 0600 would make every output private
        except OSError as exc:  # disk full, quota, I/O error: one line naming the path
            raise write_error(path, exc) from exc
        if staging is not None:
            staging.add(temp, path, force)
        else:
            place(temp, path, force)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temp)
        raise
    return path


#: bytes written to a large output between two starts of the disk's writing (`write_parts`)
WRITEBACK_BYTES = 32 << 20


def write_parts(stream: BinaryIO, parts: Iterable[bytes]) -> None:
    """Write `parts` to a binary stream of `atomic_write` (a real file). After every
    WRITEBACK_BYTES, a thread syncs the file's data written so far while the next parts are
    made, so the fsync of `atomic_write` waits only for the tail of a large output (half a
    second for 500 MB): durability unchanged, the wait overlapped with the work."""
    sync = getattr(os, "fdatasync", os.fsync)
    fd = stream.fileno()
    failed: list[OSError] = []

    def sync_data() -> None:
        try:
            sync(fd)
        except OSError as exc:  # raised in the writer's thread, below
            failed.append(exc)

    syncing: threading.Thread | None = None
    written = 0
    try:
        for part in parts:
            stream.write(part)
            written += len(part)
            if written < WRITEBACK_BYTES or (syncing is not None and syncing.is_alive()):
                continue
            written = 0
            stream.flush()
            syncing = threading.Thread(target=sync_data, name="cancelkit-writeback", daemon=True)
            syncing.start()
            if failed:
                raise failed[0]
    finally:
        if syncing is not None:
            syncing.join()  # before atomic_write closes the file
    if failed:
        raise failed[0]


def place(temp: str, path: Path, force: bool) -> None:
    """Rename a finished temporary file into place; without `force` never over a file
    that exists (checked at the rename itself, so one that appeared meanwhile is kept)."""
    try:
        if force:
            os.replace(temp, path)
            return
        try:
            os.link(temp, path)  # fails if the name was taken meanwhile
        except FileExistsError as exc:
            raise already_exists(path) from exc
        except OSError:
            if os.path.lexists(path):
                raise already_exists(path) from None
            os.replace(temp, path)  # file systems without hard links
        else:
            os.remove(temp)
    except OSError as exc:
        raise write_error(path, exc) from exc


_STAGING: ContextVar[Staging | None] = ContextVar("cancelkit_staging", default=None)


def current_staging() -> Staging | None:
    """The staging `atomic_write` leaves its files to, when one is active."""
    return _STAGING.get()


class Staging:
    """A run's outputs, written to temporary files and renamed into place together.

    Inside `with Staging() as staging:` every `atomic_write` leaves its finished temporary
    file here; `commit(then)` renames them all into place and runs `then` (the ledger
    batch); if anything fails or the run is interrupted, every output renamed so far is
    taken back (a replaced file restored from its backup) and every temporary removed, so
    the folders are as before the run.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path, bool]] = []
        self._token: Token[Staging | None] | None = None
        self._committed = False
        #: folders the staged files made (the out-dir of a first run), innermost first
        self.created: list[Path] = []

    def __enter__(self) -> Staging:
        self._token = _STAGING.set(self)
        return self

    def __exit__(self, *exc) -> None:
        if self._token is not None:
            _STAGING.reset(self._token)
        self.discard()
        if not self._committed:
            for folder in self.created:
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty: never another file's folder

    def add(self, temp: str, path: Path, force: bool) -> None:
        self._staged.append((temp, path, force))

    @property
    def targets(self) -> list[Path]:
        return [path for _, path, _ in self._staged]

    def discard(self) -> None:
        """Remove the temporaries not renamed into place."""
        for temp, _, _ in self._staged:
            with contextlib.suppress(OSError):
                os.remove(temp)
        self._staged.clear()

    def commit(self, then: Callable[[], object] | None = None) -> None:
        placed: list[tuple[Path, str | None]] = []
        try:
            for temp, path, force in self._staged:
                backup = None
                if force and os.path.lexists(path) and not os.path.isdir(path):
                    handle, backup = temporary_for(path)
                    os.close(handle)
                    os.replace(path, backup)
                try:
                    place(temp, path, force)
                except BaseException:
                    if backup is not None:
                        os.replace(backup, path)
                    raise
                placed.append((path, backup))
            if then is not None:
                then()
        except BaseException:
            for path, backup in reversed(placed):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, path)
                    else:
                        os.remove(path)
            raise
        for _, backup in placed:
            if backup is not None:
                with contextlib.suppress(OSError):
                    os.remove(backup)
        self._staged.clear()
        self._committed = True


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
