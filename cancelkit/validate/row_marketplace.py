"""The marketplace of one row (its role among the marketplace modules: amazon/marketplaces.py
is the table, assess/market_shares.py a batch's share per marketplace, enrich/market_figures.py
the window figures per marketplace, pipeline/market_split.py the run's step), decided from
everything that names it, never by a silent choice.

What states it: the batch's own marketplace column (a code, a site or an id), else
`--marketplace` (or the config's `marketplace`) when it was given. What the order report
says: its `sales-channel` (`Amazon.com.tr`), else the order's `currency` when only one
marketplace sells in it (`JPY`: JP; `EUR` is several). The order's marketplace is the
report's when the report gives one; a report that disagrees with what states it rejects the
row (`marketplace_conflict`), naming both. With nothing stated and nothing in the report, the
row takes the default marketplace (US), which the terminal says; but when the order ships to
the country of another marketplace (`ship-country` JP) the row is refused
(`marketplace_unclear`) rather than guessed. A `ship-country` never decides a marketplace on
its own: an order of Amazon.com may ship to Canada.

A value in the input that names no marketplace rejects the row (`marketplace_unknown`), as
does a report's sales-channel that names none (`Amazon.xx`).
"""

from __future__ import annotations

from ..amazon import marketplaces
from ..codes import Flag
from ..read.table import unguard
from .rows import Record


def check(record: Record, column_index: int) -> None:
    """Reject the record when its marketplace cell holds a value that names no marketplace."""
    value = unguard(record.cells[column_index])
    if value.strip() and marketplaces.marketplace_code(value) is None:
        record.reject(
            "marketplace_unknown",
            record.table.column_of("marketplace"),
            value,
            f"'{value.strip()}' names no marketplace cancelkit knows; write a code "
            f"({marketplaces.known_codes()}), a site such as Amazon.de, or a marketplace id",
        )


def market_of(record: Record, default: str) -> str:
    """The marketplace code of an accepted record from its context (the row's column, else
    the report's sales-channel), else `default`."""
    value = record.context.get("marketplace")
    return (value and marketplaces.marketplace_code(value)) or default


def resolve(
    record: Record,
    column_index: int | None,
    report,
    default: str,
    given: str | None,
) -> tuple[str | None, bool]:
    """The marketplace of an accepted record and whether anything named it: `(code, named)`;
    `(None, True)` when the record was rejected here (see the module's first lines).
    `given`: where `--marketplace` came from, None when it is the default."""
    cell = unguard(record.cells[column_index]).strip() if column_index is not None else ""
    stated = marketplaces.marketplace_code(cell) if cell else None
    if stated is not None:
        where = f"column {record.table.column_of('marketplace')} says {cell}"
    elif given is not None:
        stated, where = default, f"{given} says {default}"
    order = report.get(record.order_id) if report is not None else None
    if order is not None and order.marketplace.strip():
        text = order.marketplace.strip()
        found = marketplaces.marketplace_code(text)
        column = "sales-channel (order report)"
        if found is None:
            record.reject(
                "marketplace_unknown",
                column,
                text,
                f"the order report's sales-channel '{text}' of order {record.order_id} names "
                "no Amazon marketplace cancelkit knows; this file cancels orders of Amazon's "
                "marketplaces only",
            )
            return None, True
        if stated is not None and stated != found:
            _conflict(record, column, text, found, where)
            return None, True
        return found, True
    currency = order.currency.strip().upper() if order is not None else ""
    if currency:
        candidates = marketplaces.markets_of_currency(currency)
        column = "currency (order report)"
        if stated is not None:
            if candidates and stated not in candidates:
                _conflict(record, column, currency, "/".join(candidates), where)
                return None, True
            return stated, True
        if len(candidates) == 1:
            record.flags.append(
                Flag(
                    "marketplace_inferred",
                    f"the order report names no sales-channel; currency {currency} is sold in "
                    f"{candidates[0]} only, so order {record.order_id} is of {candidates[0]}",
                )
            )
            return candidates[0], True
        sold = f"sold in {', '.join(candidates)}" if candidates else "of no marketplace known"
        _unclear(record, column, currency, f"its currency {currency} is {sold}")
        return None, True
    if stated is not None:
        return stated, True
    country = order.ship_country.strip() if order is not None else ""
    ships_to = marketplaces.canonical(country) if country else None
    if ships_to is not None and ships_to != default:
        column = "ship-country (order report)"
        why = f"it ships to {country} (the country of Amazon's {ships_to} marketplace)"
        _unclear(record, column, country, why)
        return None, True
    return default, False


def _conflict(record: Record, column: str, value: str, found: str, where: str) -> None:
    record.reject(
        "marketplace_conflict",
        column,
        value,
        f"order {record.order_id} is of {found} by the order report ('{value}') but {where}; "
        "an order is cancelled in its own marketplace's file: correct the marketplace, or "
        "run this order with its marketplace",
    )


def _unclear(record: Record, column: str, value: str, why: str) -> None:
    record.reject(
        "marketplace_unclear",
        column,
        value,
        f"the order report names no sales-channel for order {record.order_id} and {why}; "
        "cancelkit does not guess the marketplace: give --marketplace (or a marketplace "
        "column)",
    )
