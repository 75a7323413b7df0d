"""The Python API: check(), submit(), fetch_orders(). `import cancelkit` loads this module
only when one of its names is first used (see cancelkit/__init__.py), so that the command
line's entry (cancelkit/entry.py) installs its interrupt handling before anything heavy is
imported."""

from __future__ import annotations

import datetime as dt
import inspect
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import CancelkitError, ConfigError, InputError, OutputError, StillProcessing
from .options import build_options
from .pipeline.run import run

# the SP-API half of the API lives with the use cases (usecases/send.py)
from .usecases.send import fetch_orders as fetch_orders
from .usecases.send import submit as submit
from .version import __version__
from .write.result import Result


def check(
    path_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    rows: Iterable[Any] | None = None,
    *,
    sheet: str | None = None,
    marketplace: str | None = None,
    orders_in_window: int | Mapping[str, int] | None = None,
    cancels_in_window: int | Mapping[str, int] | None = None,
    fail_on: str | None = None,
    allow_over_target: bool = False,
    keep_records: bool = True,
    config: str | Path | None = None,
    from_review: str | Path | None = None,
    orders_reports: str | Path | list[str | Path] | None = None,
    ledger: str | Path | None = None,
    no_ledger: bool = False,
    today: dt.date | None = None,
    report_max_age_hours: float | None = None,
    orders_in_30d: int | None = None,
    cancels_in_30d: int | None = None,
    referral_fee_rate: float | None = None,
    **unknown: object,
) -> Result:
    """Validate and assess cancellations from files and/or in-memory rows.

    `path_or_paths`: a CSV/TSV/xlsx path or a list of them. `rows`: any iterable of
    mappings (csv.DictReader, DataFrame.to_dict("records")) or of sequences whose first
    item is the header row.

    Options (keyword only; each is the command line's option of the same meaning):

    - `sheet`: the worksheet of xlsx inputs (default: the first);
    - `marketplace`: the marketplace code of the target and window (default US, or the
      config's);
    - `orders_in_window`, `cancels_in_window`: all seller-fulfilled orders and the seller
      cancellations already in the 7-day window, a number or per marketplace
      (`{"DE": 1200, "FR": 800}`); `orders_in_30d`, `cancels_in_30d`: India's 30 days;
    - `fail_on`: "none", "medium" or "high", the risk gate; `allow_over_target`: write
      the upload file of a batch over the target;
    - `keep_records`: keep every record (`records`, the JSON's records, the plan);
    - `config`: a cancelkit.toml path (default: ./cancelkit.toml when present);
    - `from_review`: a review workbook: only its approved rows are checked;
    - `orders_reports`: Amazon order report paths joined by order id;
    - `ledger`: the ledger path (default `CANCELKIT_LEDGER` or the user data folder);
      `no_ledger`: neither read nor write it. `check` only reads the ledger;
      `Result.record_in_ledger()` records a written upload file;
    - `today`: the date the run is taken as (tests); `report_max_age_hours`: an order
      report older than this is stale; `referral_fee_rate`: for the cancellation fee
      estimate (India).

    A value of the wrong type or range, or a name `check` has no option of, is a
    `ConfigError`. Returns a `Result` with `summary`, `metrics`, `records`,
    `listing_risks` and writers.
    """
    if unknown:
        raise ConfigError(
            f"check() has no option {', '.join(sorted(unknown))} (its options: "
            f"{', '.join(sorted(CHECK_OPTIONS))})"
        )
    options = build_options(
        sheet=sheet,
        marketplace=marketplace,
        orders_in_window=orders_in_window,
        cancels_in_window=cancels_in_window,
        fail_on=fail_on,
        allow_over_target=allow_over_target,
        keep_records=keep_records,
        config=config,
        from_review=from_review,
        orders_reports=orders_reports,
        ledger=ledger,
        no_ledger=no_ledger,
        today=today,
        report_max_age_hours=report_max_age_hours,
        orders_in_30d=orders_in_30d,
        cancels_in_30d=cancels_in_30d,
        referral_fee_rate=referral_fee_rate,
    )
    return run(_paths(path_or_paths), rows, options)


#: the keyword options of `check`
CHECK_OPTIONS = frozenset(
    name
    for name, parameter in inspect.signature(check).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)


def _paths(given) -> list[str]:
    """The input paths of `check`: a path (str or os.PathLike) or a list of them; anything
    else is an InputError saying what was given (bytes are not read as numbers)."""
    if given is None:
        return []
    if isinstance(given, (str, os.PathLike)):
        given = [given]
    elif isinstance(given, (bytes, bytearray, Mapping)) or not isinstance(given, Iterable):
        raise _path_type(given)
    paths = []
    for item in given:
        if isinstance(item, str) or (
            isinstance(item, os.PathLike) and isinstance(os.fspath(item), str)
        ):
            paths.append(os.fspath(item))
        else:
            raise _path_type(item)
    return paths


def _path_type(value) -> InputError:
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    hint = " (decode bytes first: b'in.csv'.decode())" if isinstance(value, bytes) else ""
    return InputError(
        f"check() takes a path (str or pathlib.Path) or a list of paths, not "
        f"{type(value).__name__} {shown}{hint}",
        code="path_type",
    )


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
