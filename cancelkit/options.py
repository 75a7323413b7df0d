"""Options from keyword arguments, the command line and `cancelkit.toml`, and every
precedence rule: an explicit option, then the config file, then what the order reports and
the ledger found, then the default.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .amazon import marketplaces, spapi
from .errors import ConfigError
from .read.review_figures import review_figures
from .read.tables import Limits
from .read.words import is_yes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG = "cancelkit.toml"
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
    #: a review workbook whose approved rows are the input (see read.review)
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
    #: size limits for reading inputs (None: the defaults of read.tables)
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


FAIL_ON = ("none", "medium", "high")
#: settings that may also be a table of figures per marketplace (`[orders_7d]` DE = 1200)
MARKET_TABLE_KEYS = ("orders_7d", "cancels_7d")
_Count = Annotated[int, Field(strict=True, ge=0)]
_Positive = Annotated[int, Field(strict=True, gt=0)]
# a figure, or a table of figures per marketplace (each checked by `_figures`)
_Figure = _Count | dict[str, Any]


class PolicyOverride(BaseModel):
    """A marketplace's figures in the config's [policy.CODE] table."""

    model_config = ConfigDict(extra="forbid", strict=True)
    #: the target rate, a fraction: 0.025 is 2.5%
    threshold: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] | None = None
    window_days: Annotated[int, Field(strict=True, ge=1, le=366)] | None = None


class ConfigFile(BaseModel):
    """The settings of cancelkit.toml (the top level or a [cancelkit] table): each key with
    its type and range, so a wrong value names the file, the key and the value."""

    model_config = ConfigDict(extra="forbid", strict=True)
    marketplace: str | None = None
    orders_7d: _Figure | None = None
    cancels_7d: _Figure | None = None
    fail_on: Literal["none", "medium", "high"] | None = None
    sheet: str | None = None
    ledger: str | None = None
    # an order report older than this is flagged as stale (default 24)
    report_max_age_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    # India: the 30-day window's figures, and the referral-fee rate for the fee estimate
    orders_30d: _Count | None = None
    cancels_30d: _Count | None = None
    referral_fee_rate: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    # limits for reading inputs (see read.tables.Limits)
    max_xlsx_bytes: _Positive | None = None
    max_rows: _Positive | None = None
    max_columns: _Positive | None = None
    max_cells: _Positive | None = None
    policy: dict[str, PolicyOverride] = {}


#: keys of the [cancelkit] table (or the top level) of cancelkit.toml
CONFIG_KEYS = tuple(name for name in ConfigFile.model_fields if name != "policy")


def _problem(where: str, error: dict) -> str:
    """One validation error in words: file, key (dotted for [policy.UK]) and value."""
    loc = [str(part) for part in error["loc"]]
    # a union reports which branch failed ("int", "dict[str,any]"): the key is what counts
    key = ".".join(part for part in loc if not part.startswith(("int", "dict[", "constrained")))
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown setting '{key}'"  # the name only: never its value
    if error["type"] == "missing":
        return f"{where}: '{key}' is missing"
    return f"{where}: '{key}' = {shown(key, value)} is not valid: {error['msg'].lower()}"


#: key names that may hold a secret (a token, a password, a client secret, an API key)
_SECRET_NAME = re.compile(r"secret|token|passw|pwd|credential|auth|api.?key|private|refresh", re.I)
#: values shaped like Login with Amazon credentials: a refresh or access token (`Atzr|`,
#: `Atza|`), a client id or client secret (`amzn1.application-oa2-client.`, `amzn1.oa2-cs.`);
#: see https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api
_SECRET_VALUE = re.compile(r"\s*(atz[ar]\||amzn1\.)", re.I)
NOT_SHOWN = "(value not shown: it could be a secret)"


def could_be_secret(key: str, value: object) -> bool:
    """Whether a config value may be a credential, so that no message quotes it: a key
    whose name looks like a secret's, or a value shaped like a Login with Amazon one."""
    if _SECRET_NAME.search(str(key)):
        return True
    if not isinstance(value, str):
        return False
    # a long word without spaces may be a key or token of any shape (a client secret is 64
    # hex digits); what a person mistypes in a setting is shorter, and still shown
    word = value.strip()
    return bool(_SECRET_VALUE.match(value)) or (
        len(word) >= 32 and not any(c.isspace() for c in word)
    )


def shown(key: str, value: object) -> str:
    """A config value as a message may quote it: never one that could be a secret."""
    return NOT_SHOWN if could_be_secret(key, value) else repr(value)


def _no_credential(where: str, settings: Mapping) -> None:
    """A credential pasted under a setting that is not a credential (`marketplace`,
    `sheet`, `ledger`, ...) is refused without quoting it; credentials go in [amazon]."""
    for key, value in settings.items():
        if isinstance(value, str) and _SECRET_VALUE.match(value):
            raise ConfigError(
                f"{where}: '{key}' holds what looks like an SP-API credential {NOT_SHOWN}; "
                'credentials go in the [amazon] table (see the README, "Sending through '
                'the SP-API")'
            )


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


def load_config(path: str | Path | None) -> dict:
    """The settings of a config file; `cancelkit.toml` in the working folder when no path
    is given and it exists; {} otherwise."""
    explicit = path is not None
    path = Path(path) if explicit else Path(DEFAULT_CONFIG)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    raw = document.get("cancelkit", document)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'cancelkit' must be a table of settings")
    raw = {k: v for k, v in raw.items() if k != "cancelkit"}
    # [amazon]: the SP-API credentials and endpoints (amazon/spapi.py checks its keys)
    amazon_table = raw.pop("amazon", None)
    if amazon_table is None:
        amazon_table = document.get("amazon", {})
    if not isinstance(amazon_table, dict):
        raise ConfigError(f"{path}: 'amazon' must be a table ([amazon])")
    _no_credential(str(path), raw)
    try:
        parsed = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_problem(str(path), e) for e in exc.errors()))
        raise ConfigError("; ".join(problems)) from None
    settings = parsed.model_dump(exclude_none=True, exclude={"policy"})
    settings["policy"] = {
        code.upper(): override.model_dump(exclude_none=True)
        for code, override in parsed.policy.items()
    }
    settings["amazon"] = amazon_table
    settings["_path"] = str(path)
    return settings


def parse_figures(text: str, name: str) -> int | dict[str, int]:
    """A figure of the command line: a plain number (`1200`), or one per marketplace
    (`DE=1200,FR=800`)."""
    text = text.strip()
    if "=" not in text:
        return _whole_number(name, text)
    found: dict[str, int] = {}
    for part in text.split(","):
        code, sep, value = part.partition("=")
        if not sep or not code.strip():
            raise ConfigError(
                f"{name}: write N or CODE=N,CODE=N (e.g. DE=1200,FR=800), not {text!r}"
            )
        key = code.strip()
        known = marketplaces.canonical(key) or key
        if any((marketplaces.canonical(k) or k) == known for k in found):
            raise ConfigError(f"{name}: {known} is given twice in {text!r}; give it once")
        found[key] = _whole_number(name, value.strip())
    return found


def _whole_number(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name}: {text!r} is not a whole number") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative (got {value})")
    return value


def _figures(name: str, value, source: str | None) -> tuple[int | None, dict[str, tuple[int, str]]]:
    """A figure as given (None, a number, or a mapping of marketplace codes to numbers): the
    plain number and the entries per marketplace, each with its source."""
    if value is None:
        return None, {}
    if not isinstance(value, Mapping):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(
                f"{name} must be a whole number or CODE=N figures (got {shown(name, value)})"
            )
        if value < 0:
            raise ConfigError(f"{name} must not be negative (got {value})")
        return value, {}
    found = {}
    for code, count in value.items():
        known = marketplaces.marketplace_code(str(code))
        if known is None:
            raise ConfigError(
                f"{name}: unknown marketplace '{code}'; known: {marketplaces.known_codes()}"
            )
        if known in found:
            raise ConfigError(
                f"{name}: '{code}' and another entry both give the figure of {known} (one "
                "marketplace, one figure); keep one of them"
            )
        if isinstance(count, Mapping):
            raise ConfigError(f"{name} {code} must be a whole number (got a table)")
        plain, _ = _figures(f"{name} {code}", count, source)
        found[known] = (plain, source)
    return None, found


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
    settings = load_config(config)
    where = settings.get("_path")
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
    review_market = None
    kept: list[str] = []
    changes: list[str] = []
    review_reports: list[str] = []
    found = review_figures(from_review) if from_review else None
    if found:
        review_market = found.get("marketplace")
        review_reports = [str(t) for t in found.get("order_reports") or ()]
        by_market = found.get("by_marketplace") or {}

        def keep(name, value, source, review_value, review_source):
            """The review's figure unless one is given; a given one that differs is said."""
            if not isinstance(review_value, int) or isinstance(review_value, bool):
                return value, source
            if value is None:
                kept.append(f"{name} {review_value} (from {review_source})")
                return review_value, f"the review ({review_source})"
            if value != review_value:
                changes.append(f"{name}: {review_value} in the review, {value} now ({source})")
            return value, source

        if not by_market:
            orders_in_window, orders_source = keep(
                "orders in the window",
                orders_in_window,
                orders_source,
                found.get("orders_in_window"),
                found.get("orders_source"),
            )
            cancels_in_window, cancels_source = keep(
                "earlier seller cancellations",
                cancels_in_window,
                cancels_source,
                found.get("seller_cancels_in_window"),
                found.get("cancels_source"),
            )
        for code, entry in by_market.items():
            for given_by, config_by, key, source_key, name in (
                (orders_by_market, config_orders_by, "orders_in_window", "orders_source", "orders"),
                (
                    cancels_by_market,
                    config_cancels_by,
                    "seller_cancels_in_window",
                    "cancels_source",
                    "cancels",
                ),
            ):
                value, source = given_by.get(code) or config_by.get(code) or (None, None)
                value, source = keep(
                    f"{name} of {code}", value, source, entry.get(key), entry.get(source_key)
                )
                if value is not None and code not in given_by and code not in config_by:
                    given_by[code] = (value, source)
    fail_on = fail_on or settings.get("fail_on") or "none"
    if fail_on not in FAIL_ON:
        raise ConfigError(f"fail_on must be one of {', '.join(FAIL_ON)} (got '{fail_on}')")
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
    policy_table = _policy_table(settings.get("policy", {}), where)
    overrides = policy_table.get(market, {})
    orders_by = {**config_orders_by, **orders_by_market}
    cancels_by = {**config_cancels_by, **cancels_by_market}
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
    max_age = report_max_age_hours
    if max_age is None:
        max_age = settings.get("report_max_age_hours", 24.0)
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or not max_age > 0:
        raise ConfigError(
            f"report_max_age_hours must be a positive number of hours (got {max_age!r})"
        )
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
        report_max_age_hours=float(max_age),
        orders_in_30d=orders_in_30d,
        cancels_in_30d=cancels_in_30d,
        orders_30d_source=orders_30d_source,
        cancels_30d_source=cancels_30d_source,
        referral_fee_rate=float(fee_rate) if fee_rate is not None else None,
        orders_by_marketplace=orders_by,
        cancels_by_marketplace=cancels_by,
        policy_table=policy_table,
        marketplace_given=market_given,
        config_path=where,
        review_kept=kept,
        review_changes=changes,
        review_order_reports=review_reports,
    )


def _policy_table(table: Mapping, where: str | None) -> dict[str, dict]:
    """The config's [policy] tables by canonical marketplace code: `[policy.GB]` is UK's;
    two tables for one marketplace, or a table of no marketplace, is a config error."""
    found: dict[str, dict] = {}
    spelled: dict[str, str] = {}
    for key, override in table.items():
        code = marketplaces.canonical(str(key))
        if code is None:
            raise ConfigError(
                f"{where}: [policy.{key}] names no marketplace; known: "
                f"{marketplaces.known_codes()} (GB is UK)"
            )
        if code in found:
            raise ConfigError(
                f"{where}: [policy.{spelled[code]}] and [policy.{key}] both set the policy of "
                f"{code} (one marketplace: keep one table)"
            )
        found[code], spelled[code] = dict(override), str(key)
    return found


def _check_market_figures(
    market: str,
    orders: int | None,
    cancels: int | None,
    orders_by: Mapping[str, tuple[int, str]],
    cancels_by: Mapping[str, tuple[int, str]],
    orders_source: str | None,
    cancels_source: str | None,
) -> None:
    """Refuse figures that cannot be true or that say nothing clear: more cancellations than
    orders in one marketplace's window (`--orders-7d DE=10 --cancels-7d DE=500`), and a plain
    figure beside figures per marketplace for the other (`--orders-7d DE=1200,FR=800
    --cancels-7d 5`: whose 5?)."""
    for code in sorted({*orders_by, *cancels_by}):
        own_orders = orders_by.get(code, (orders if code == market else None, None))[0]
        own_cancels = cancels_by.get(code, (cancels if code == market else None, None))[0]
        if own_orders is not None and (own_cancels or 0) > own_orders:
            raise ConfigError(
                f"{own_cancels} seller cancellations in {code} cannot be more than the "
                f"{own_orders} orders of its window (cancellations are counted among the "
                "orders of --orders-7d)",
                code="impossible_figures",
            )
    for plain, plain_source, name, other, other_name in (
        (cancels, cancels_source, "--cancels-7d", orders_by, "--orders-7d"),
        (orders, orders_source, "--orders-7d", cancels_by, "--cancels-7d"),
    ):
        if plain is not None and other and market not in other:
            where = "" if plain_source == name else f" ({plain_source})"
            codes = ",".join(f"{code}=N" for code in other)
            raise ConfigError(
                f"{name} {plain}{where} is one number but {other_name} is given per marketplace "
                f"({', '.join(other)}): say which marketplace it is, e.g. {name} {codes}",
                code="figures_ambiguous",
            )


def _limits(settings: dict) -> Limits | None:
    """The input size limits the config file sets (None: the defaults; each is positive,
    as ConfigFile checked)."""
    names = ("max_xlsx_bytes", "max_rows", "max_columns", "max_cells")
    given = {key: settings[key] for key in names if key in settings}
    return Limits(**given) if given else None


# -- the SP-API settings ------------------------------------------------------------------


#: the words `sandbox` in [amazon] may say (or a TOML boolean)
_SANDBOX_WORDS = ("true", "false", "yes", "no", "1", "0", "on", "off")


def spapi_settings(
    environ: Mapping[str, str] | None = None,
    table: Mapping | None = None,
    config_path: str | os.PathLike | None = None,
) -> spapi.SpapiSettings:
    """The SP-API settings: each value from the environment (`LWA_APP_ID`, ...,
    `CANCELKIT_SPAPI_ENDPOINT`), else from the config file's `[amazon]` table (`table`, read
    from `config_path`), else the default. Warns when a config file holding a secret is
    readable by other users."""
    environ = os.environ if environ is None else environ
    table = dict(table or {})
    where = f"{config_path}: " if config_path else ""
    unknown = sorted(str(k) for k in table if str(k).lower() not in spapi.CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}unknown setting(s) in [amazon]: {', '.join(unknown)} "
            f"(known: {', '.join(spapi.CONFIG_KEYS)})"
        )
    configured = {str(k).lower(): v for k, v in table.items()}
    # no message below quotes a value of [amazon]: any of them could be a secret put
    # under the wrong key
    for key, value in configured.items():
        if key not in ("sandbox", "poll_interval") and not isinstance(value, str):
            raise ConfigError(f"{where}'{key}' in [amazon] must be a string")
    sandbox = configured.get("sandbox")
    if sandbox is not None and not (
        isinstance(sandbox, bool)
        or (isinstance(sandbox, str) and sandbox.strip().lower() in _SANDBOX_WORDS)
    ):
        raise ConfigError(
            f"{where}'sandbox' in [amazon] must be true or false {NOT_SHOWN}", code="config_error"
        )

    def value(key: str) -> str | None:
        given = environ.get(spapi.CONFIG_KEYS[key], "").strip()
        if given:
            return given
        found = configured.get(key)
        if isinstance(found, bool):
            return "true" if found else "false"
        return None if found is None else str(found).strip() or None

    found = {key: value(key) for key in spapi.SECRET_KEYS}
    # a refresh token per region where the seller's accounts differ (amazon/spapi.py)
    regional = tuple((r, value(k) or "") for r, k in spapi.REGIONAL_KEYS.items() if value(k))
    if regional and not found["sp_api_refresh_token"]:
        found["sp_api_refresh_token"] = ""  # only the regions named have one
    missing = tuple(spapi.CONFIG_KEYS[key] for key, given in found.items() if given is None)
    credentials = (
        None
        if missing
        else spapi.Credentials(*(found[k] or "" for k in spapi.SECRET_KEYS), regional=regional)
    )
    warnings = []
    if config_path and any(
        configured.get(k) for k in (*spapi.SECRET_KEYS, *spapi.REGIONAL_KEYS.values())
    ):
        warnings.extend(_readable_by_others(Path(config_path)))
    poll = value("poll_interval")
    from_config = not environ.get(spapi.ENV_POLL_INTERVAL, "").strip()
    poll_name = f"{where}'poll_interval' in [amazon]" if from_config else spapi.ENV_POLL_INTERVAL
    return spapi.SpapiSettings(
        credentials=credentials,
        missing=missing,
        api_endpoint=value("spapi_endpoint"),
        lwa_endpoint=value("lwa_endpoint") or marketplaces.LWA_TOKEN_URL,
        sandbox=is_yes(value("sandbox")),
        poll_interval=(
            spapi.DEFAULT_POLL_INTERVAL
            if poll is None
            else spapi.poll_interval_from(
                poll, poll_name, quote=not from_config and not could_be_secret(poll_name, poll)
            )
        ),
        warnings=tuple(warnings),
    )


def _readable_by_others(path: Path) -> list[str]:
    if os.name != "posix":
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return [
            f"{path} holds SP-API credentials and other users can read it; run: chmod 600 {path}"
        ]
    return []
