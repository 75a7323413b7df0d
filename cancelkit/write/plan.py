"""The output plan: every path a run will write, checked before the first input row is read.

DESIGN.md, "A run is a transaction". Each command names its outputs here first; a path is
resolved to its real path and file identity (device and inode), so no spelling, symlink or
hard link of an input or of another output slips through; its folder must be writable (or
creatable), an existing file is refused without `--force`, a folder is never an output,
and the ledger must open with a known schema and be writable. Any problem is an
`OutputError` (exit 2) before anything was read or written. The files themselves are
then staged (write/files.py `Staging`) and renamed into place together at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputError
from ..ledger.store import SCHEMA_VERSION, Ledger
from ..read.tables import file_identity
from .files import already_exists

try:  # POSIX; on Windows concurrent runs into one out-dir are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None


class OutputPlan:
    """The outputs of one run, checked against its inputs and against each other."""

    def __init__(self, inputs: Iterable[str | os.PathLike | None] = (), force: bool = False):
        self.force = force
        self._inputs: dict[object, str] = {}
        for given in inputs:
            if given is None or str(given) == "-":
                continue
            for key in _keys(Path(given)):
                self._inputs.setdefault(key, str(given))
        self._outputs: dict[object, tuple[str, str]] = {}

    def _claim(self, role: str, path: Path) -> None:
        for key in _keys(path):
            if key in self._inputs:
                raise OutputError(
                    f"{path}: is the input {self._inputs[key]}; an output never replaces an "
                    f"input (name another {role} path)",
                    code="output_is_input",
                )
            if key in self._outputs:
                other, spelled = self._outputs[key]
                raise OutputError(
                    f"{path}: named as both the {other} ({spelled}) and the {role}; give each "
                    "output its own path",
                    code="output_twice",
                )
        for key in _keys(path):
            self._outputs[key] = (role, str(path))

    def output(self, role: str, path: str | os.PathLike | None) -> Path | None:
        """Check one output file (None or "-": nothing to check); returns its path."""
        if path is None or str(path) == "-":
            return None
        path = Path(path)
        self._claim(role, path)
        if os.path.isdir(path):
            raise OutputError(
                f"{path}: is a folder; name a file for the {role}", code="output_is_folder"
            )
        if not self.force and os.path.lexists(path):
            raise already_exists(path)
        check_folder(path.parent if str(path.parent) else Path("."))
        return path

    def folder(self, path: str | os.PathLike) -> Path:
        """Check a folder outputs are written into (the out-dir)."""
        path = Path(path)
        if os.path.lexists(path) and not os.path.isdir(path):
            raise OutputError(f"{path}: is a file, not a folder (--out-dir)", code="output_folder")
        check_folder(path)
        return path

    def read_only(self, role: str, path: str | os.PathLike | None) -> None:
        """A file the run reads but does not write (the ledger of `check`): no output may
        be it."""
        if path is not None:
            self._claim(role, Path(path))

    def ledger(self, path: str | os.PathLike | None, create: bool = True) -> Path | None:
        """Check the ledger: it opens, its schema is one this cancelkit knows, and it (and
        its folder, for SQLite's journal) can be written; a new one can be created."""
        if path is None:
            return None
        path = Path(path)
        self._claim("ledger", path)
        check_ledger(path, create)
        return path


def _keys(path: Path) -> list[object]:
    """What identifies a file: its real path, and its device and inode when it exists."""
    keys: list[object] = [os.path.normcase(os.path.realpath(path))]
    found = file_identity(str(path))
    if found is not None:
        keys.append(found)
    return keys


def check_folder(folder: Path) -> None:
    """A folder that exists and is writable, or that can be created (its nearest existing
    ancestor is a writable folder)."""
    probe = folder
    while not os.path.lexists(probe):
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if os.path.lexists(probe) and not os.path.isdir(probe):
        raise OutputError(
            f"{folder}: cannot be created, as {probe} is a file", code="output_folder"
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "folder" if probe == folder else f"folder {probe} (to create {folder})"
        raise OutputError(f"{folder}: cannot write into the {what}", code="output_not_writable")


def check_ledger(path: Path, create: bool = True) -> None:
    if os.path.isdir(path):
        raise OutputError(
            f"{path}: is a folder; the ledger is a file (--ledger PATH)", code="ledger_unusable"
        )
    if not os.path.exists(path):
        if not create:
            return  # the command says itself that there is no ledger yet
        check_folder(path.parent)
        return
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{path}: the ledger is read-only (it records every batch); make it writable or "
            "name another with --ledger, or run with --no-ledger",
            code="ledger_read_only",
        )
    version = _schema_version(path)
    if version is None or version > SCHEMA_VERSION:
        with Ledger.open(path, create=False):
            pass  # raises its own one-line error for what it cannot use


def _schema_version(path: Path) -> int | None:
    """The ledger's schema version, read without changing the file (None: unknown)."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = db.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return row[0] if row and type(row[0]) is int else None


@contextlib.contextmanager
def reserved_names(folder: Path) -> Iterator[None]:
    """Hold the out-dir's name reservation: concurrent runs choose and write their
    default names one at a time, so each gets its own (-2, -3, ...). The lock file lives in
    the temporary folder, never in the out-dir."""
    if fcntl is None:
        yield
        return
    real = os.path.realpath(folder)
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:20]
    lock_path = Path(tempfile.gettempdir()) / f"cancelkit-outdir-{digest}.lock"
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
