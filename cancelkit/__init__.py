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

from typing import TYPE_CHECKING, Any

from .errors import CancelkitError, ConfigError, InputError, OutputError
from .version import __version__

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
