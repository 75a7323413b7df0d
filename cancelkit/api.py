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

from . import spapi
from .amazon import marketplaces
from .enrich import amazon_orders
from .errors import CancelkitError, ConfigError, InputError, OutputError, StillProcessing
from .ledger.store import Ledger
from .options import build_options, load_config, resolve_ledger_path, spapi_settings
from .pipeline.run import run
from .usecases import submit as submitting
from .usecases.submit import SubmitOutcome
from .version import __version__
from .write.files import atomic_write, free_name, refuse_existing
from .write.plan import OutputPlan, usable_path
from .write.result import Result
from .write.retry import write_retry_near


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


def _spapi_settings(config: str | Path | None):
    """The SP-API settings (environment over the config file's [amazon] table) and the
    config's other settings."""
    settings = load_config(config)
    amazon = spapi_settings(None, settings.amazon, settings.path)
    return amazon, settings


def _save_report(path: Path, content: bytes) -> Path:
    """Write a downloaded processing report beside the upload file, numbered when taken."""
    folder = path.parent
    name = free_name(folder, path.stem, [path.suffix]) + path.suffix
    return atomic_write(folder / name, lambda stream: stream.write(content), mode="wb")


def submit(
    batch: str | None = None,
    ledger: str | Path | None = None,
    wait: float | None = None,
    *,
    resubmit: bool = False,
    config: str | Path | None = None,
    say=None,
) -> SubmitOutcome:
    """Send a batch's upload file through the SP-API Feeds API, wait for Amazon's
    processing report, save it beside the upload file and reconcile it.

    `batch`: a batch id (default: the newest); `ledger`: the ledger path (default
    `CANCELKIT_LEDGER`, the config's `ledger`, or the user data folder); `wait`: seconds to
    wait for Amazon (default 1800; a rerun resumes the recorded feed); `resubmit=True` sends
    a batch that was already sent. Credentials and endpoints: the environment or the
    config's [amazon] table (see the README). `say(text)` receives progress lines.

    Returns the reconcile outcome (`SubmitOutcome`: `confirmed`, `failed`, `file_failed`,
    `warnings`, `unclear`, `ok`, plus `submission` with the feed id, `report_path` and
    `retry_path`, the retry file of the failed rows a retry can fix beside the report, or
    None). Raises
    `StillProcessing` (with `feed_id`) when Amazon has not finished when the wait ends, and
    a `CancelkitError` when the batch cannot be sent or the feed ended unprocessed.
    """
    submitting.check_arguments(batch, wait, resubmit)
    say = say or (lambda _text: None)
    amazon, settings = _spapi_settings(config)
    for warning in amazon.warnings:
        say(f"warning: {warning}")
    path = resolve_ledger_path(ledger or settings.settings.get("ledger"))
    assert path is not None  # None only with no_ledger
    with Ledger.open(path, create=False) as book:
        outcome = submitting.submit(
            book,
            amazon,
            batch,
            wait=submitting.DEFAULT_WAIT_S if wait is None else wait,
            resubmit=resubmit,
            save_report=_save_report,
            say=say,
        )
    written = write_retry_near(outcome)  # only rows a retry can fix
    outcome.retry_path = None if written is None else str(written)
    return outcome


def fetch_orders(
    output: str | Path,
    marketplace: str | None = None,
    days: int | None = None,
    *,
    config: str | Path | None = None,
    force: bool = False,
    say=None,
) -> int:
    """Write Amazon's unshipped merchant-fulfilled orders of a marketplace (default: the
    config's marketplace, else US) created in the last `days` days (default 30) as a
    tab-separated order report for `--orders-report`, without buyer personal data.
    Returns the number of order-item lines written."""
    say = say or (lambda _text: None)
    amazon, settings = _spapi_settings(config)
    for warning in amazon.warnings:
        say(f"warning: {warning}")
    days = amazon_orders.DEFAULT_DAYS if days is None else days
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(f"days must be a whole number of days >= 1 (got {days!r})")
    if marketplace is not None and not isinstance(marketplace, str):
        raise ConfigError(f"marketplace must be a marketplace code (got {marketplace!r})")
    market = marketplaces.spapi_marketplace(
        marketplace or settings.settings.get("marketplace") or "US"
    )
    amazon.refuse_sandbox(market, "fetch-orders")
    # the config, the review key and the ledger are never replaced, named or found
    output = usable_path(output, "order report")
    OutputPlan([config, settings.path], force=force).output("order report", output)
    if not force:
        refuse_existing(output)
    amazon.require_credentials()
    written = 0

    def write(stream) -> None:
        nonlocal written
        waiting = lambda seconds, why: say(spapi.wait_text(seconds, why))  # noqa: E731
        since, now = amazon_orders.window(days)
        with spapi.SpapiClient(amazon, market, on_wait=waiting) as client:
            # the first line records the listing's window, marketplace and time (issue 17)
            stream.write(
                amazon_orders.preamble(market.code, market.marketplace_id, since, now) + "\r\n"
            )
            stream.write("\t".join(amazon_orders.COLUMNS) + "\r\n")
            for line in amazon_orders.fetch(client, days, now):
                stream.write("\t".join(line) + "\r\n")
                written += 1

    atomic_write(output, write, force=force)
    return written


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
