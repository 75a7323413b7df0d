"""Text for the terminal that is not a run's summary (write/verdict.py): the one-line error,
the progress line, colour, and the reason catalogue of `cancelkit reasons`."""

from __future__ import annotations

import json
import os
import sys
import time

from ..amazon import reasons
from ..codes import CODES, printable


def error_line(message: str, code: str | None = None) -> str:
    """`cancelkit: error: MESSAGE [code]` on one line, its control characters escaped."""
    # one line even when a message quotes a cell holding a line break
    message = " ".join(message.splitlines())
    # a message may quote a cell or a header: its control characters never reach the terminal
    message = printable(message)
    suffix = f" [{code}]" if code else ""
    return f"cancelkit: error: {message}{suffix}"


def color() -> bool:
    """Colour on standard error: only a terminal, and never with NO_COLOR set
    (https://no-color.org: a set, non-empty NO_COLOR turns colour off)."""
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


class Progress:
    """Rows read so far, redrawn in place on stderr (a terminal only: see `for_terminal`)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.start = time.monotonic()
        self.shown = False

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress | None:
        """A progress line when stderr is a terminal (never in pipes or CI) and not quiet."""
        return cls() if not quiet and sys.stderr.isatty() else None

    def __call__(self, source: str, row: int) -> None:
        if os.getpid() != self.pid:
            return  # the second-half reader of a large file reads in a forked worker
        elapsed = time.monotonic() - self.start
        self._write(f"\r\x1b[Kreading {source}: row {row:,} ({elapsed:.0f} s)")
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")

    @staticmethod
    def _write(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()


def reasons_text(as_json: bool = False) -> str:
    """The reason codes and how each affects the Cancellation Rate (`cancelkit reasons`)."""
    if as_json:
        return json.dumps(reasons.catalogue_json(), indent=2)
    width = max(len(r.code) for r in reasons.CATALOGUE)
    lines = []
    for r in reasons.CATALOGUE:
        where = "" if r.accepted_in_flat_file else " [not in flat file]"
        lines.append(f"{r.code:<{width}}  {r.effect_text}{where}")
    lines += ["", CODES["counts_against_rate"].explanation]
    return "\n".join(lines)
