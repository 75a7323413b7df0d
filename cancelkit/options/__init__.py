"""Options from keyword arguments, the command line and `cancelkit.toml`, and every
precedence rule: an explicit option, then the config file, then what the order reports and
the ledger found, then the default.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ..amazon import marketplaces
from ..errors import ConfigError
from ..read.guards import Limits
from ..read.review_figures import review_figures
from .config_file import (
    DEFAULT_CONFIG,
    FAIL_ON,
    MARKET_TABLE_KEYS,
    Config,
    _Count,
    _Figure,
    _policy_table,
    load_config,
    shown,
)
from .figures import _check_market_figures, _figures, parse_figures
from .spapi_settings import spapi_settings

__all__ = [
    "DEFAULT_CONFIG",
    "Config",
    "FAIL_ON",
    "LEDGER_ENV_VAR",
    "LEDGER_FILE_NAME",
    "MARKET_TABLE_KEYS",
    "Options",
    "WindowFigures",
    "build_options",
    "default_ledger_path",
    "load_config",
    "parse_figures",
    "resolve_ledger_path",
    "spapi_settings",
]

#: the environment variable that names the ledger, and the ledger's file name
LEDGER_ENV_VAR = "CANCELKIT_LEDGER"
LEDGER_FILE_NAME = "ledger.sqlite3"


@dataclass
class Options:
    """Everything a run can be told; the CLI and the API fill it the same way."""

    sheet: str | None = None
    marketplace: str = "US"
    orders_in_window: int | None = None
    cancels_in_window: int | None = None
    fail_on: str = "none"
    #: write the upload file of a batch that puts the rate over the target
    #: (`--allow-over-target`); without it such a batch is the risk gate's (exit 3)
    allow_over_target: bool = False
    keep_records: bool = True
    today: dt.date | None = None
    policy_overrides: dict = field(default_factory=dict)
    orders_source: str | None = None
    cancels_source: str | None = None
    #: a review workbook whose approved rows are the input (see review.reader)
    from_review: str | None = None
    #: Amazon order reports joined by order id
    orders_reports: list[str] = field(default_factory=list)
    #: the ledger file (None: no ledger); read here, written by `generate` only
    ledger: str | None = None
    #: an order report older than this many hours is flagged as stale (config
    #: `report_max_age_hours`)
    report_max_age_hours: float = 24.0
    #: the figures of a marketplace's longer window (India's 30 days; config `orders_30d`,
    #: `cancels_30d`)
    orders_in_30d: int | None = None
    cancels_in_30d: int | None = None
    orders_30d_source: str | None = None
    cancels_30d_source: str | None = None
    #: the seller's referral-fee rate (a fraction of the item price), for the cancellation
    #: fee estimate of marketplaces that charge one (config `referral_fee_rate`)
    referral_fee_rate: float | None = None
    #: size limits for reading inputs (None: the defaults of read.guards)
    limits: Limits | None = None
    #: called as `progress(source, row_number)` about every PROGRESS_ROWS rows (the CLI's
    #: progress line); a large file's second half calls it from the parallel reader's worker
    progress: Callable[[str, int], None] | None = None
    #: figures per marketplace (`--orders-7d DE=1200,FR=800`, the config's [orders_7d] and
    #: [cancels_7d] tables): code -> (value, source), the option's entries over the config's
    orders_by_marketplace: dict[str, tuple[int, str]] = field(default_factory=dict)
    cancels_by_marketplace: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: the config's [policy] table: canonical marketplace code -> overrides of its target
    #: and window (`[policy.GB]` is UK's; both given is a config error)
    policy_table: dict = field(default_factory=dict)
    #: where `marketplace` came from: "--marketplace" (the option or API argument), "config
    #: PATH", or None for the default (US): an order report's sales-channel that disagrees
    #: with a marketplace given is `marketplace_conflict`
    marketplace_given: str | None = None
    #: the config file the run read (named, or ./cancelkit.toml found): an input of the
    #: output plan, so no output replaces it
    config_path: str | None = None
    #: `--from-review`: the review's figures kept, and each figure that changed since the
    #: review (words for the summary), and the order reports the review was checked against
    review_kept: list[str] = field(default_factory=list)
    review_changes: list[str] = field(default_factory=list)
    review_order_reports: list[str] = field(default_factory=list)

    def window_figures(
        self,
        found_orders: tuple[int | None, str | None] = (None, None),
        found_cancels: tuple[int | None, str | None] = (None, None),
        long_window: bool = False,
        marketplace: str | None = None,
        single: bool = True,
    ) -> WindowFigures:
        """The window figures a run projects a marketplace with (default `--marketplace`;
        `long_window`: those of the 30-day window): an explicit figure wins over what the
        order reports and the ledger found (`found_*`: value, source). Explicit is the
        marketplace's own entry (`--orders-7d DE=1200`, then the config's table), else a
        plain number (option, then config), which means the batch's marketplace when the
        batch has one (`single`), else `--marketplace`'s.
        The report, the JSON, the terminal summary and the review workbook all use these."""
        if long_window:
            orders, orders_source = self.orders_in_30d, self.orders_30d_source
            cancels, cancels_source = self.cancels_in_30d, self.cancels_30d_source
        else:
            own = marketplaces.canonical(self.marketplace) or self.marketplace
            code = marketplaces.marketplace_code(marketplace or self.marketplace) or own
            plain = single or code == own
            orders, orders_source = self.orders_by_marketplace.get(code, (None, None))
            if orders is None and plain:
                orders, orders_source = self.orders_in_window, self.orders_source
            cancels, cancels_source = self.cancels_by_marketplace.get(code, (None, None))
            if cancels is None and plain:
                cancels, cancels_source = self.cancels_in_window, self.cancels_source
        if orders is None:
            orders, orders_source = found_orders
        if cancels is None:
            cancels, cancels_source = found_cancels
        return WindowFigures(
            orders,
            orders_source if orders is not None else None,
            cancels,
            cancels_source if cancels is not None else None,
        )


@dataclass(frozen=True)
class WindowFigures:
    """Orders and seller cancellations in the metric window, and where each came from."""

    orders_in_window: int | None
    orders_source: str | None
    cancels_in_window: int | None
    cancels_source: str | None


def default_ledger_path() -> Path:
    """The ledger in the user's data folder (e.g. ~/.local/share/cancelkit on Linux)."""
    from platformdirs import user_data_dir  # only when no ledger is named

    return Path(user_data_dir("cancelkit", appauthor=False)) / LEDGER_FILE_NAME


def resolve_ledger_path(option: str | os.PathLike | None, no_ledger: bool = False) -> Path | None:
    """The ledger a run uses: None with `--no-ledger`, else `--ledger PATH` (or the config's
    `ledger`), else the `CANCELKIT_LEDGER` environment variable, else the user data folder."""
    if no_ledger:
        return None
    if option:
        return Path(option).expanduser()
    from_env = os.environ.get(LEDGER_ENV_VAR, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return default_ledger_path()


class ApiOptions(BaseModel):
    """The options of `cancelkit.check` and the CLI, checked at the door: a wrong type or
    range is a `ConfigError` naming the option, never a wrong figure."""

    model_config = ConfigDict(strict=True, arbitrary_types_allowed=True)
    sheet: str | None = None
    marketplace: str | None = None
    orders_in_window: _Figure | None = None
    cancels_in_window: _Figure | None = None
    orders_in_30d: _Count | None = None
    cancels_in_30d: _Count | None = None
    fail_on: Literal["none", "medium", "high"] | None = None
    allow_over_target: bool = False
    keep_records: bool = True
    today: dt.date | None = None
    # paths: a str or an os.PathLike (checked in `_check_paths`)
    no_ledger: bool = False


def _check_paths(values: dict) -> None:
    """The path options of `check()`: a str or os.PathLike (orders_reports: one, or a
    list of them), never a number or bytes read as something else."""
    for name, value in values.items():
        items = value if name == "orders_reports" and isinstance(value, (list, tuple)) else [value]
        for item in items:
            if item is None and name != "orders_reports":
                continue
            if isinstance(item, str) or (
                isinstance(item, os.PathLike) and isinstance(os.fspath(item), str)
            ):
                continue
            what = "a path (str or pathlib.Path)"
            if name == "orders_reports":
                what += " or a list of paths"
            raise ConfigError(
                f"option {name} must be {what}, not {type(item).__name__} {shown(name, item)}"
            )


def _check_api(values: dict) -> None:
    try:
        ApiOptions.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0])
        raise ConfigError(
            f"option {name} = {shown(name, error.get('input'))} is not valid: "
            f"{error['msg'].lower()}"
        ) from None


def build_options(
    *,
    sheet: str | None = None,
    marketplace: str | None = None,
    orders_in_window: int | Mapping[str, int] | None = None,
    cancels_in_window: int | Mapping[str, int] | None = None,
    fail_on: str | None = None,
    keep_records: bool = True,
    config: str | Path | None = None,
    allow_over_target: bool = False,
    today=None,
    from_review: str | Path | None = None,
    orders_reports: str | Path | list | None = None,
    ledger: str | Path | None = None,
    no_ledger: bool = False,
    report_max_age_hours: float | None = None,
    orders_in_30d: int | None = None,
    cancels_in_30d: int | None = None,
    referral_fee_rate: float | None = None,
) -> Options:
    """Options for one run: explicit values over the config file over the defaults."""
    _check_api(
        {
            "sheet": sheet,
            "marketplace": marketplace,
            "orders_in_window": orders_in_window,
            "cancels_in_window": cancels_in_window,
            "orders_in_30d": orders_in_30d,
            "cancels_in_30d": cancels_in_30d,
            "fail_on": fail_on,
            "allow_over_target": allow_over_target,
            "keep_records": keep_records,
            "today": today,
            "no_ledger": no_ledger,
        }
    )
    _check_paths(
        {
            "config": config,
            "from_review": from_review,
            "ledger": ledger,
            "orders_reports": [] if orders_reports is None else orders_reports,
        }
    )
    config_file = load_config(config)
    settings, where = config_file.settings, config_file.path
    from_config = f"config {where}"
    orders_in_window, orders_by_market = _figures(
        "orders_in_window", orders_in_window, "--orders-7d"
    )
    config_orders, config_orders_by = _figures("orders_7d", settings.get("orders_7d"), from_config)
    orders_source = "--orders-7d" if orders_in_window is not None else None
    if orders_in_window is None and config_orders is not None:
        orders_in_window, orders_source = config_orders, from_config
    cancels_in_window, cancels_by_market = _figures(
        "cancels_in_window", cancels_in_window, "--cancels-7d"
    )
    config_cancels, config_cancels_by = _figures(
        "cancels_7d", settings.get("cancels_7d"), from_config
    )
    cancels_source = "--cancels-7d" if cancels_in_window is not None else None
    if cancels_in_window is None and config_cancels is not None:
        cancels_in_window, cancels_source = config_cancels, from_config
    orders_30d_source = "orders_in_30d option" if orders_in_30d is not None else None
    if orders_in_30d is None and "orders_30d" in settings:
        orders_in_30d, orders_30d_source = settings["orders_30d"], f"config {where}"
    cancels_30d_source = "cancels_in_30d option" if cancels_in_30d is not None else None
    if cancels_in_30d is None and "cancels_30d" in settings:
        cancels_in_30d, cancels_30d_source = settings["cancels_30d"], f"config {where}"
    _check_figures(orders_in_window, cancels_in_window, orders_in_30d, cancels_in_30d)
    review = _ReviewFigures(from_review)
    orders_in_window, orders_source, cancels_in_window, cancels_source = review.apply(
        orders_in_window,
        orders_source,
        cancels_in_window,
        cancels_source,
        (orders_by_market, config_orders_by),
        (cancels_by_market, config_cancels_by),
    )
    review_market, kept, changes = review.market, review.kept, review.changes
    review_reports = review.reports
    fail_on = fail_on or settings.get("fail_on") or "none"
    if fail_on not in FAIL_ON:
        raise ConfigError(f"fail_on must be one of {', '.join(FAIL_ON)} (got '{fail_on}')")
    market, market_given = _marketplace(marketplace, settings, from_config, review_market, changes)
    policy_table = _policy_table(settings.get("policy", {}), where)
    overrides = policy_table.get(market, {})
    orders_by = {**config_orders_by, **orders_by_market}
    cancels_by = {**config_cancels_by, **cancels_by_market}
    # plain figures by now: a table per marketplace went into orders_by / cancels_by
    assert not isinstance(orders_in_window, Mapping)
    assert not isinstance(cancels_in_window, Mapping)
    _check_market_figures(
        market,
        orders_in_window,
        cancels_in_window,
        orders_by,
        cancels_by,
        orders_source,
        cancels_source,
    )
    ledger_path = resolve_ledger_path(ledger or settings.get("ledger"), no_ledger)
    if isinstance(orders_reports, (str, Path)):
        orders_reports = [orders_reports]
    max_age = _max_age(report_max_age_hours, settings)
    fee_rate = _fee_rate(referral_fee_rate, settings)
    return Options(
        sheet=sheet or settings.get("sheet"),
        marketplace=market,
        orders_in_window=orders_in_window,
        cancels_in_window=cancels_in_window,
        fail_on=fail_on,
        allow_over_target=allow_over_target,
        keep_records=keep_records,
        today=today,
        policy_overrides=overrides,
        orders_source=orders_source,
        cancels_source=cancels_source,
        from_review=str(from_review) if from_review else None,
        orders_reports=[str(p) for p in orders_reports or []],
        ledger=str(ledger_path) if ledger_path else None,
        limits=_limits(settings),
        report_max_age_hours=max_age,
        orders_in_30d=orders_in_30d,
        cancels_in_30d=cancels_in_30d,
        orders_30d_source=orders_30d_source,
        cancels_30d_source=cancels_30d_source,
        referral_fee_rate=fee_rate,
        orders_by_marketplace=orders_by,
        cancels_by_marketplace=cancels_by,
        policy_table=policy_table,
        marketplace_given=market_given,
        config_path=where,
        review_kept=kept,
        review_changes=changes,
        review_order_reports=review_reports,
    )


def _check_figures(
    orders_in_window: int | None,
    cancels_in_window: int | None,
    orders_in_30d: int | None,
    cancels_in_30d: int | None,
) -> None:
    """No figure negative, no window with more seller cancellations than orders."""
    for name, value in (
        ("orders_in_window", orders_in_window),
        ("cancels_in_window", cancels_in_window),
        ("orders_in_30d", orders_in_30d),
        ("cancels_in_30d", cancels_in_30d),
    ):
        if value is not None and value < 0:
            raise ConfigError(f"{name} must not be negative (got {value})")
    for orders, cancels, window in (
        (orders_in_window, cancels_in_window, "--orders-7d"),
        (orders_in_30d, cancels_in_30d, "the 30-day orders"),
    ):
        if orders is not None and (cancels or 0) > orders:
            raise ConfigError(
                f"{cancels} seller cancellations cannot be more than the {orders} orders of "
                f"the window (cancellations are counted among the orders of {window})",
                code="impossible_figures",
            )


_ByMarket = dict  # marketplace code -> (figure, its source)


class _ReviewFigures:
    """The figures a review workbook (`--from-review`) carries, and the sentences that say
    which were kept and which a given figure changes."""

    def __init__(self, from_review: str | Path | None) -> None:
        self.found = review_figures(from_review) if from_review else None
        self.kept: list[str] = []
        self.changes: list[str] = []
        self.market = self.found.get("marketplace") if self.found else None
        self.reports = [str(t) for t in (self.found or {}).get("order_reports") or ()]

    def keep(
        self, name: str, value: object, source: object, review_value: object, review_source: object
    ) -> tuple:
        """The review's figure unless one is given; a given one that differs is said."""
        if not isinstance(review_value, int) or isinstance(review_value, bool):
            return value, source
        if value is None:
            self.kept.append(f"{name} {review_value} (from {review_source})")
            return review_value, f"the review ({review_source})"
        if value != review_value:
            self.changes.append(f"{name}: {review_value} in the review, {value} now ({source})")
        return value, source

    def apply(
        self,
        orders_in_window: object,
        orders_source: object,
        cancels_in_window: object,
        cancels_source: object,
        orders_by: tuple[_ByMarket, _ByMarket],
        cancels_by: tuple[_ByMarket, _ByMarket],
    ) -> tuple:
        """The plain figures with the review's kept; per-marketplace figures of the review
        go into the given tables (first of each pair) where neither table has them."""
        found = self.found
        if not found:
            return orders_in_window, orders_source, cancels_in_window, cancels_source
        by_market = found.get("by_marketplace") or {}
        if not by_market:
            orders_in_window, orders_source = self.keep(
                "orders in the window",
                orders_in_window,
                orders_source,
                found.get("orders_in_window"),
                found.get("orders_source"),
            )
            cancels_in_window, cancels_source = self.keep(
                "earlier seller cancellations",
                cancels_in_window,
                cancels_source,
                found.get("seller_cancels_in_window"),
                found.get("cancels_source"),
            )
        for code, entry in by_market.items():
            for (given_by, config_by), key, source_key, name in (
                (orders_by, "orders_in_window", "orders_source", "orders"),
                (cancels_by, "seller_cancels_in_window", "cancels_source", "cancels"),
            ):
                value, source = given_by.get(code) or config_by.get(code) or (None, None)
                value, source = self.keep(
                    f"{name} of {code}", value, source, entry.get(key), entry.get(source_key)
                )
                if value is not None and code not in given_by and code not in config_by:
                    given_by[code] = (value, source)
        return orders_in_window, orders_source, cancels_in_window, cancels_source


def _marketplace(
    marketplace: str | None,
    settings: dict,
    from_config: str,
    review_market: object,
    changes: list[str],
) -> tuple[str, str | None]:
    """The run's canonical marketplace code and who gave it (option, config, or None for the
    review's or the default); a review of another marketplace is said in `changes`."""
    given = marketplace or settings.get("marketplace")
    market_given = None
    if marketplace:
        market_given = "--marketplace"
    elif given:
        market_given = from_config
    elif review_market:
        given = review_market  # the review's (not "given": no marketplace_conflict from it)
    # a code, an alias (GB), a site (Amazon.co.uk) or a marketplace id: its canonical code
    market = marketplaces.marketplace_code(str(given or "US"))
    if market is None:
        raise ConfigError(
            f"{market_given}: unknown marketplace '{given}'; known: {marketplaces.known_codes()}"
        )
    if review_market and market != marketplaces.marketplace_code(str(review_market)):
        changes.append(f"marketplace: {review_market} in the review, {market} now")
    return market, market_given


def _max_age(report_max_age_hours: float | None, settings: dict) -> float:
    """The orders report's maximum age in hours: the option, the config, or 24."""
    max_age = report_max_age_hours
    if max_age is None:
        max_age = settings.get("report_max_age_hours", 24.0)
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or not max_age > 0:
        raise ConfigError(
            f"report_max_age_hours must be a positive number of hours (got {max_age!r})"
        )
    return float(max_age)


def _fee_rate(referral_fee_rate: float | None, settings: dict) -> float | None:
    """The referral fee rate (a fraction in (0, 1]): the option, the config, or None."""
    fee_rate = (
        referral_fee_rate if referral_fee_rate is not None else settings.get("referral_fee_rate")
    )
    if fee_rate is not None and (
        isinstance(fee_rate, bool)
        or not isinstance(fee_rate, (int, float))
        or not 0 < fee_rate <= 1
    ):
        raise ConfigError(
            f"referral_fee_rate must be a fraction of the item price, above 0 and at most 1 "
            f"(got {fee_rate!r}; 8% is 0.08)"
        )
    return float(fee_rate) if fee_rate is not None else None


def _limits(settings: dict) -> Limits | None:
    """The input size limits the config file sets (None: the defaults; each is positive,
    as ConfigFile checked)."""
    names = ("max_xlsx_bytes", "max_rows", "max_columns", "max_cells")
    given = {key: settings[key] for key in names if key in settings}
    return Limits(**given) if given else None
