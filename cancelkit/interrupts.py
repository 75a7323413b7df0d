"""Ctrl-C and SIGTERM from the first instruction of the command line.

The entry (cancelkit/entry.py) calls `install()` before anything heavy is imported: while
the program starts (imports, option parsing) nothing has been read or written, so a signal
prints `cancelkit: interrupted` (or `terminated`) and ends the process at once with 130
(143). When a command starts its work, `working()` switches to raising KeyboardInterrupt
(`Terminated` for SIGTERM) so that every `finally`, staging and ledger rollback runs and
the command's own handler (cli.py `_guarded`) prints the same line and exits the same way.

Only the standard library is imported here: this module runs before the rest.
"""

from __future__ import annotations

import os
import signal
import threading

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
    if not _installed or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_terminated)
