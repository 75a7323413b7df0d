"""Options from keyword arguments, the command line and `cancelkit.toml`.

Precedence: an explicit option, then the config file, then the default.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import ConfigError
from .pipeline.run import Options
from .read.tables import Limits

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_CONFIG = "cancelkit.toml"
#: keys of the [cancelkit] table (or the top level) of cancelkit.toml
CONFIG_KEYS = {
    "marketplace": str,
    "orders_7d": int,
    "cancels_7d": int,
    "fail_on": str,
    "sheet": str,
    "ledger": str,
    # limits for reading inputs (see sources.Limits)
    "max_xlsx_bytes": int,
    "max_rows": int,
    "max_columns": int,
}
FAIL_ON = ("none", "medium", "high")


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
    settings = dict(document.get("cancelkit", document))
    policy_table = settings.pop("policy", {})
    unknown = sorted(set(settings) - set(CONFIG_KEYS) - {"cancelkit"})
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    for key, kind in CONFIG_KEYS.items():
        if key in settings and not isinstance(settings[key], kind):
            raise ConfigError(f"{path}: '{key}' must be a {kind.__name__}")
    settings["policy"] = policy_table
    settings["_path"] = str(path)
    return settings


def build_options(
    *,
    sheet: str | None = None,
    marketplace: str | None = None,
    orders_in_window: int | None = None,
    cancels_in_window: int | None = None,
    fail_on: str | None = None,
    keep_records: bool = True,
    config: str | Path | None = None,
    today=None,
    from_review: str | Path | None = None,
    orders_reports: str | Path | list | None = None,
    ledger: str | Path | None = None,
    no_ledger: bool = False,
) -> Options:
    """Options for one run: explicit values over the config file over the defaults."""
    settings = load_config(config)
    where = settings.get("_path")
    orders_source = "--orders-7d" if orders_in_window is not None else None
    if orders_in_window is None and "orders_7d" in settings:
        orders_in_window, orders_source = settings["orders_7d"], f"config {where}"
    cancels_source = "--cancels-7d" if cancels_in_window is not None else None
    if cancels_in_window is None and "cancels_7d" in settings:
        cancels_in_window, cancels_source = settings["cancels_7d"], f"config {where}"
    for name, value in (
        ("orders_in_window", orders_in_window),
        ("cancels_in_window", cancels_in_window),
    ):
        if value is not None and value < 0:
            raise ConfigError(f"{name} must not be negative (got {value})")
    fail_on = fail_on or settings.get("fail_on") or "none"
    if fail_on not in FAIL_ON:
        raise ConfigError(f"fail_on must be one of {', '.join(FAIL_ON)} (got '{fail_on}')")
    market = marketplace or settings.get("marketplace") or "US"
    overrides = settings.get("policy", {}).get(market.upper(), {})
    from .ledger.store import resolve_path

    ledger_path = resolve_path(ledger or settings.get("ledger"), no_ledger)
    if isinstance(orders_reports, (str, Path)):
        orders_reports = [orders_reports]
    return Options(
        sheet=sheet or settings.get("sheet"),
        marketplace=market,
        orders_in_window=orders_in_window,
        cancels_in_window=cancels_in_window,
        fail_on=fail_on,
        keep_records=keep_records,
        today=today,
        policy_overrides=overrides,
        orders_source=orders_source,
        cancels_source=cancels_source,
        from_review=str(from_review) if from_review else None,
        orders_reports=[str(p) for p in orders_reports or []],
        ledger=str(ledger_path) if ledger_path else None,
        limits=_limits(settings),
    )


def _limits(settings: dict) -> Limits | None:
    """The input size limits the config file sets (None: the defaults)."""
    names = ("max_xlsx_bytes", "max_rows", "max_columns")
    given = {key: settings[key] for key in names if key in settings}
    if not given:
        return None
    for key, value in given.items():
        if value <= 0:
            raise ConfigError(f"{settings.get('_path')}: '{key}' must be a positive number")
    return Limits(**given)
