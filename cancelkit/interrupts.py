"""Ctrl-C and SIGTERM from the first instruction of the command line.

The entry (cancelkit/entry.py) calls `install()` before anything heavy is imported: while
the program starts (imports, option parsing) nothing has been read or written, so a signal
prints `cancelkit: interrupted` (or `terminated`) and ends the process at once with 130
(143). When a command starts its work, `working()` switches to raising KeyboardInterrupt
(`Terminated` for SIGTERM) so that every `finally`, staging and ledger rollback runs and
the command's own handler (cli.py `_guarded`) prints the same line and exits the same way.

Only the standard library's C modules are imported here (`_signal`, not `signal`, whose
enums take milliseconds to build): this module runs before the rest, from the first line
of cancelkit/__init__.py when the process is the command line (`cli_start`).
"""

from __future__ import annotations

import _signal as signal  # C module: no enums to build
import os
import sys

#: 128 + the signal number, as shells report a process ended by SIGINT or SIGTERM
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

_installed = False


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so every `finally` and rollback runs."""


def _end_now(signum, frame) -> None:
    # nothing to take back yet: one line, and the exit code a shell expects
    if signum == signal.SIGTERM:
        line, code = b"cancelkit: terminated\n", EXIT_TERMINATED
    else:
        line, code = b"cancelkit: interrupted\n", EXIT_INTERRUPTED
    try:
        os.write(2, line)
    finally:
        os._exit(code)


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


def cli_start() -> bool:
    """Whether this process is starting as the command line: `python -m cancelkit` (while
    runpy imports the package, `sys.argv[0]` is still "-m") or the `cancelkit` console
    script. A program that imports cancelkit as a library is neither."""
    argv = getattr(sys, "orig_argv", [])
    if sys.argv[:1] == ["-m"]:
        for at, arg in enumerate(argv):
            if arg == "-m":
                return argv[at + 1 : at + 2] == ["cancelkit"]
            if arg.startswith("-m"):
                return arg == "-mcancelkit"
        return False
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name in ("cancelkit", "cancelkit.exe", "cancelkit-script.py")


def install() -> None:
    """While the program starts: a signal ends it at once with its line and exit code."""
    global _installed
    signal.signal(signal.SIGINT, _end_now)
    signal.signal(signal.SIGTERM, _end_now)
    _installed = True


def working() -> None:
    """A command begins its work: signals raise, so what it staged is taken back.

    Does nothing unless `install()` ran (the library and click's test runner keep the
    handlers they have) or off the main thread."""
    if not _installed:
        return
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: its handlers stay as they are
        pass
