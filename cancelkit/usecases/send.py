"""The SP-API use cases: `submit` (send a batch and follow it to its reconcile) and
`fetch_orders` (the Orders API into an order report), with the settings they share; the
command line and `cancelkit.api` call them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import spapi
from ..amazon import marketplaces
from ..enrich import amazon_orders
from ..errors import ConfigError
from ..ledger.store import Ledger
from ..options import load_config, resolve_ledger_path, spapi_settings
from ..write.files import atomic_write, free_name, refuse_existing
from ..write.plan import OutputPlan, usable_path
from ..write.retry import write_retry_near
from . import submit as submitting
from .submit import SubmitOutcome


def _spapi_settings(config: str | Path | None):
    """The SP-API settings (environment over the config file's [amazon] table) and the
    config's other settings."""
    settings = load_config(config)
    amazon = spapi_settings(None, settings.amazon, settings.path)
    return amazon, settings


def save_report_beside(path: Path, content: bytes) -> Path:
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
            save_report=save_report_beside,
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


def fetch_orders_checked(
    output: str,
    marketplace: str | None,
    days: int | None,
    *,
    config: str | None,
    force: bool,
    say: Callable[[str], None],
) -> int:
    """`cancelkit fetch-orders`: the output is checked against the config before anything
    else (as for every command), then `fetch_orders`."""
    OutputPlan([config], force=force).output("order report", output)
    return fetch_orders(output, marketplace, days, config=config, force=force, say=say)
