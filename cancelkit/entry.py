"""The entry of the `cancelkit` console script and of `python -m cancelkit`.

Its first instruction installs the interrupt handling (interrupts.py); only then is the
command line, with click, pydantic and the rest of cancelkit, imported.
"""

from __future__ import annotations

from . import interrupts

interrupts.install()

from . import cli  # noqa: E402  (after the handlers, on purpose)


def main() -> None:
    """Run the command line (the console script's entry point)."""
    cli.main()
