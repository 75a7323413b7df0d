"""The run's files in the temporary folder, and what killed runs left there.

A run keeps two kinds of scratch in the system temporary folder: its work folder
(`cancelkit-run-*`: the upload body, the rejects and records spools, the batch index) and
the copy of standard input (`cancelkit-stdin-*`). Each holds an exclusive `flock` on its
scratch for as long as it lives (a forked reader shares it), so the kernel lets go of it
the moment the process ends, however it ends (SIGKILL too). `remove_abandoned()`, at the
start of every run, removes the scratch nobody holds any more: a killed run's leftovers,
never a live run's. The run removes its own scratch when it ends; no lock file is made.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time

try:  # POSIX; elsewhere a killed run's scratch stays until the system cleans its temp folder
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

RUN_PREFIX = "cancelkit-run-"
STDIN_PREFIX = "cancelkit-stdin-"
#: the name of a scratch in the instant between its creation and its lock; renamed to its
#: prefix once held, so a name with RUN_PREFIX or STDIN_PREFIX is held from its first moment
NEW_PREFIX = "cancelkit-new-"
_PREFIXES = (RUN_PREFIX, STDIN_PREFIX, NEW_PREFIX)
#: a NEW_PREFIX name older than this was left by a run killed in that instant
NEW_STALE_SECONDS = 60.0

#: path -> the descriptor holding its lock
_held: dict[str, int] = {}
_guard = threading.Lock()


def _held_as(new: str, prefix: str) -> str:
    """Lock a new scratch, then give it its real name (the lock stays with it)."""
    folder, name = os.path.split(new)
    final = os.path.join(folder, prefix + name[len(NEW_PREFIX) :])
    if fcntl is None:
        os.rename(new, final)
        return final
    handle = os.open(new, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # new: nobody else has it
        os.rename(new, final)
    except BaseException:
        os.close(handle)
        raise
    with _guard:
        _held[final] = handle
    return final


def _let_go(path: str) -> None:
    with _guard:
        handle = _held.pop(path, None)
    if handle is not None:
        os.close(handle)


def make_workdir() -> str:
    """A new work folder in the temporary folder, held until `remove_workdir`."""
    new = tempfile.mkdtemp(prefix=NEW_PREFIX)
    try:
        return _held_as(new, RUN_PREFIX)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def remove_workdir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    _let_go(path)


def make_stdin_copy():
    """A new file open for writing the copy of standard input, held until `remove_file`."""
    handle, new = tempfile.mkstemp(prefix=NEW_PREFIX)
    os.close(handle)
    try:
        final = _held_as(new, STDIN_PREFIX)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(new)
        raise
    try:
        return open(final, "wb")
    except BaseException:
        remove_file(final)
        raise


def remove_file(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
    _let_go(path)


def remove_abandoned(folder: str | None = None) -> list[str]:
    """Remove the scratch of runs that ended without removing it (killed); returns the
    paths removed. Only this user's entries with cancelkit's prefixes, and only those whose
    lock nobody holds: a live run's scratch is never touched."""
    if fcntl is None:
        return []
    folder = folder or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(_PREFIXES)]
    except OSError:
        return removed
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_symlink() or entry.stat().st_uid != os.getuid():
                continue
            with _guard:
                if entry.path in _held:
                    continue  # this process's own (another thread's run)
            if entry.name.startswith(NEW_PREFIX):
                age = time.time() - entry.stat(follow_symlinks=False).st_mtime
                if age < NEW_STALE_SECONDS:
                    continue  # being created and locked this instant
            handle = os.open(entry.path, os.O_RDONLY)
            try:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # held: a live run
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.remove(entry.path)
                removed.append(entry.path)
            finally:
                os.close(handle)
    return removed
