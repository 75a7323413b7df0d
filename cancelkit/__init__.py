"""cancelkit: validate Amazon order cancellations, check their Cancellation Rate impact,
and write Amazon's Order Cancellation flat file with a risk report.

    import cancelkit
    result = cancelkit.check("cancellations.xlsx", orders_in_window=4000, marketplace="US")
    result.write_flat_file("upload.txt")

Importing the package is light: the API (cancelkit/api.py, with pydantic, openpyxl and
the rest) loads when one of its names is first used. So the command line's entry
(cancelkit/entry.py, run by `cancelkit` and `python -m cancelkit`) installs its Ctrl-C and
SIGTERM handling before any heavy import.
"""

from __future__ import annotations

import _signal
import os as _os
import sys as _sys


def _early(signum, frame) -> None:  # until interrupts.py takes over: the same line and code
    _os.write(2, b"cancelkit: terminated\n" if signum == 15 else b"cancelkit: interrupted\n")
    _os._exit(143 if signum == 15 else 130)


# the first instructions: a process that may be the command line (`python -m ...` while
# runpy imports the package, or a script named cancelkit) gets the handling before any
# import; interrupts.cli_start() then decides, and a program importing cancelkit as a
# library gets its own handlers back
_before = None
if _sys.argv[:1] == ["-m"] or _os.path.basename(_sys.argv[0] if _sys.argv else "").startswith(
    "cancelkit"
):
    _before = _signal.getsignal(2), _signal.getsignal(15)
    _signal.signal(2, _early)
    _signal.signal(15, _early)

from . import interrupts  # noqa: E402

if interrupts.cli_start():
    interrupts.install()
elif _before is not None:
    _signal.signal(2, _before[0])
    _signal.signal(15, _before[1])
del _before

from typing import TYPE_CHECKING, Any  # noqa: E402

from .errors import CancelkitError, ConfigError, InputError, OutputError  # noqa: E402
from .version import __version__  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from .api import Result, StillProcessing, check, fetch_orders, submit

#: the names `cancelkit.api` gives the package, loaded on first use
_API_NAMES = ("Result", "StillProcessing", "check", "fetch_orders", "submit")


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from . import api  # the one lazy import of the package (tests/test_layout.py)

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cancelkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API_NAMES})


__all__ = [
    "CancelkitError",
    "ConfigError",
    "InputError",
    "OutputError",
    "Result",
    "__version__",
    "StillProcessing",
    "check",
    "fetch_orders",
    "submit",
]
