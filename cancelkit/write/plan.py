"""The output plan: every path a run will write, checked before the first input row is read.

docs/design.md, "A run is a transaction". Each command names its outputs here first; a path is
resolved to its real path and file identity (device and inode), so no spelling, symlink or
hard link of an input or of another output slips through; its folder must be writable (or
creatable), an existing file is refused without `--force`, a folder is never an output,
and the ledger must open with a known schema and be writable. Any problem is an
`OutputError` (exit 2) before anything was read or written. The files themselves are
then staged (write/files.py `Staging`) and renamed into place together at the end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputError
from ..ledger.schema import SCHEMA_VERSION, probe_file
from ..ledger.store import Ledger
from ..options import DEFAULT_CONFIG, resolve_ledger_path
from ..read.identity import file_identity
from ..review.seal import key_path
from .files import already_exists

#: the files SQLite keeps beside a database: write-ahead log, its index, rollback journal
LEDGER_SIDE_FILES = ("-wal", "-shm", "-journal")

try:  # POSIX; on Windows concurrent runs into one out-dir are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class OutputPlan:
    """The outputs of one run, checked against its inputs and against each other."""

    def __init__(self, inputs: Iterable[str | os.PathLike | None] = (), force: bool = False):
        self.force = force
        self._inputs: dict[object, str] = {}
        self._outputs: dict[object, tuple[str, str]] = {}
        for given in inputs:
            if given is None or str(given) == "-":
                continue
            for key in _keys(Path(given)):
                self._inputs.setdefault(key, str(given))
        # what every run may read without naming it: the working folder's config, the
        # review key and the ledger the environment names (or the default one)
        self._protect("the configuration", Path(DEFAULT_CONFIG))
        self._protect("the review key", key_path())
        self._protect_ledger(resolve_ledger_path(None))

    def _protect(self, label: str, path: Path) -> None:
        """A file the run reads (or keeps) that no output may be, named or not."""
        for key in _keys(path):
            if key in self._outputs:
                role, spelled = self._outputs[key]
                raise _is_input(spelled, role, f"{label} {path}")
            self._inputs.setdefault(key, f"{label} {path}" if label else str(path))

    def _protect_ledger(self, path: Path | None) -> None:
        """The ledger and the files SQLite keeps beside it (its write-ahead log, shared
        memory and rollback journal): a file written there would corrupt the ledger."""
        if path is None:
            return
        self._protect("the ledger", path)
        for suffix in LEDGER_SIDE_FILES:
            self._protect(f"the ledger's SQLite file ({suffix})", Path(f"{path}{suffix}"))

    def _claim(self, role: str, path: Path) -> None:
        for key in _keys(path):
            if key in self._inputs:
                raise _is_input(str(path), role, self._inputs[key])
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
        if path is None or (isinstance(path, str) and path == "-"):
            return None
        path = usable_path(path, role)
        check_length(path, f"the {role}")
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
        path = usable_path(path, "out-dir")
        check_length(path, "the out-dir")
        if os.path.lexists(path) and not os.path.isdir(path):
            if _leads_nowhere(path):
                raise OutputError(
                    f"{path}: is a symbolic link that leads nowhere (--out-dir)",
                    code="output_folder",
                )
            raise OutputError(f"{path}: is a file, not a folder (--out-dir)", code="output_folder")
        check_folder(path)
        return path

    def read_only(self, role: str, path: str | os.PathLike | None) -> None:
        """A file the run reads but does not write (the ledger of `check`): no output may
        be it (nor, for the ledger, one of SQLite's files beside it)."""
        if path is None:
            return
        if role == "ledger":
            self._protect_ledger(Path(path))
        else:
            self._protect(role, Path(path))

    def ledger(self, path: str | os.PathLike | None, create: bool = True) -> Path | None:
        """Check the ledger: it opens, its schema is one this cancelkit knows, and it (and
        its folder, for SQLite's journal) can be written; a new one can be created."""
        if path is None:
            return None
        path = Path(path)
        check_length(path, "the ledger")
        self._protect_ledger(path)  # written in place by SQLite, never as an output
        check_ledger(path, create)
        return path


def usable_path(path: object, role: str) -> Path:
    """A path given from Python as it may be: a str or os.PathLike of str, without a NUL
    character (no file system holds one); else `path_type`, saying what was given."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        shown = repr(path) if len(repr(path)) <= 60 else repr(path)[:57] + "..."
        raise OutputError(
            f"the {role} path must be a str or pathlib.Path, not {type(path).__name__} {shown}",
            code="path_type",
        )
    if "\x00" in path:
        raise OutputError(
            f"{path!r}: a path cannot hold a NUL character (the {role})", code="path_type"
        )
    return Path(path)


def _is_input(path: str, role: str, what: str) -> OutputError:
    return OutputError(
        f"{path}: is the input {what}; an output never replaces an input (name another "
        f"{role} path)",
        code="output_is_input",
    )


def _keys(path: Path) -> list[object]:
    """What identifies a file: its real path, and its device and inode when it exists."""
    keys: list[object] = [os.path.normcase(os.path.realpath(path))]
    found = file_identity(str(path))
    if found is not None:
        keys.append(found)
    return keys


#: the limits assumed where the system does not say (POSIX's usual values)
_FALLBACK_NAME_MAX, _FALLBACK_PATH_MAX = 255, 4096


def _limits(folder: Path) -> tuple[int, int]:
    """The file system's longest name and path (bytes) where `folder` is, or nearest."""
    probe = folder
    while not os.path.isdir(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return os.pathconf(probe, "PC_NAME_MAX"), os.pathconf(probe, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # Windows, or a file system that won't say
        return _FALLBACK_NAME_MAX, _FALLBACK_PATH_MAX


def check_length(path: Path, role: str) -> None:
    """A path the system can hold: every part within the longest name (NAME_MAX), the
    whole within the longest path (PATH_MAX); else `output_path_too_long` before anything
    is read (the system would refuse it with ENAMETOOLONG at the first write)."""
    absolute = Path(os.path.abspath(path))
    name_max, path_max = _limits(absolute.parent)
    for part in absolute.parts[1:]:
        size = len(os.fsencode(part))
        if size > name_max:
            shown = part if len(part) <= 40 else f"{part[:20]}...{part[-12:]}"
            raise OutputError(
                f"{path}: a name in this path is too long for the file system ({shown}: "
                f"{size} bytes, at most {name_max}); name a shorter path for {role}",
                code="output_path_too_long",
            )
    size = len(os.fsencode(str(absolute)))
    if size >= path_max:
        raise OutputError(
            f"{path}: the path is too long for the system ({size} bytes, at most "
            f"{path_max - 1}); name a shorter path for {role}",
            code="output_path_too_long",
        )


def _leads_nowhere(path: Path) -> bool:
    """A symbolic link whose target is missing or a loop of links (ELOOP)."""
    return os.path.islink(path) and not os.path.exists(path)


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
        what = "a symbolic link that leads nowhere" if _leads_nowhere(probe) else "a file"
        raise OutputError(
            f"{folder}: cannot be created, as {probe} is {what}", code="output_folder"
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
    version = probe_file(path).version
    if version is None or version > SCHEMA_VERSION:
        with Ledger.open(path, create=False):
            pass  # raises its own one-line error for what it cannot use


@contextlib.contextmanager
def reserved_names(folder: Path) -> Iterator[None]:
    """Hold the out-dir's name reservation: concurrent runs choose and write their
    default names one at a time, so each gets its own (-2, -3, ...).

    The lock is the out-dir itself (an exclusive `flock` on the folder's descriptor), so
    no lock file is made anywhere: not in the out-dir, not in the temporary folder. The
    out-dir (and its missing parents) is made for it, and what was made is removed again
    when it is still empty at the end (a failed run, or one whose outputs were all named
    elsewhere), while the lock is held.
    """
    created = _make_folders(folder)
    try:
        if fcntl is None:
            yield
            return
        handle = _lock_folder(folder, created)
        try:
            yield
        finally:
            _remove_empty(created)
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)
    finally:
        _remove_empty(created)


def _lock_folder(folder: Path, created: list[Path]) -> int:
    """An open descriptor of `folder` holding its exclusive lock. A run that held the lock
    before may have removed the (empty) folder: then it is made again and locked anew."""
    while True:
        try:
            handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except FileNotFoundError:
            created.extend(_make_folders(folder))
            continue
        except OSError as exc:
            raise OutputError(
                f"{folder}: cannot open the folder to reserve the output names "
                f"({exc.strerror or exc})",
                code="output_not_writable",
            ) from exc
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            same = os.path.samestat(os.fstat(handle), os.stat(folder))
        except FileNotFoundError:
            same = False
        except BaseException:
            os.close(handle)
            raise
        if same:
            return handle
        os.close(handle)
        created.extend(_make_folders(folder))


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and its missing parents; returns those made, innermost first."""
    missing = []
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    made: list[Path] = []
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            continue  # a concurrent run made it: not ours to remove
        except OSError as exc:
            _remove_empty(made[::-1])
            raise OutputError(
                f"{folder}: cannot create the folder ({exc.strerror or exc})",
                code="output_folder",
            ) from exc
        made.append(path)
    return made[::-1]


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a run made that are still empty, innermost first."""
    for path in folders:
        with contextlib.suppress(OSError):
            os.rmdir(path)  # only when empty: never another file's folder
    folders.clear()
