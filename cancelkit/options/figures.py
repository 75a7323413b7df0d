"""The window figures of the command line and the config (`1200`, `DE=1200,FR=800`), and the
refusal of figures that cannot be true or say nothing clear.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from ..amazon import marketplaces
from ..errors import ConfigError
from .config_file import shown

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass


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


def _figures(name: str, value, source: str) -> tuple[int | None, dict[str, tuple[int, str]]]:
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
    found: dict[str, tuple[int, str]] = {}
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
        assert plain is not None  # a number gives its figure
        found[known] = (plain, source)
    return None, found


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
