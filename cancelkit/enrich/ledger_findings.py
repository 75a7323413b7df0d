"""Enrich: what the ledger says about a new row (already cancelled, in an open batch)."""

from __future__ import annotations

from collections.abc import Mapping

from ..codes import Flag, Problem
from ..ledger.schema import Key
from ..ledger.values import KnownRows


def _keys_of_order(known: Mapping, order_id: str) -> list[Key]:
    if isinstance(known, KnownRows):
        return known.keys_of_order(order_id)
    return [key for key in known if key[0] == order_id]


def _what(key: Key) -> str:
    order_id, item_code = key
    return (
        f"order {order_id} (whole order)"
        if item_code is None
        else f"item {item_code} of {order_id}"
    )


def _shown_time(created_at: str) -> str:
    return created_at.replace("T", " ").replace("Z", " UTC")


def check_row(
    known: Mapping[Key, tuple[str, str, str]], order_id: str, item_code: str | None
) -> Problem | Flag | None:
    """What the ledger says about a new row: the Problem `already_confirmed` (its column
    is the field `order_id`, its value the order id) when the order item (or the whole
    order) is already cancelled in a confirmed batch, the Flag `in_unconfirmed_batch` when
    it is in a batch not yet confirmed (`refused_by_amazon` when Amazon refused it as
    final), else None. A whole-order row meets every row of its order, an item row the same item
    and whole-order rows of its order."""
    if item_code is None:
        keys = _keys_of_order(known, order_id)
    else:
        keys = [k for k in ((order_id, item_code), (order_id, None)) if k in known]
    found = [(key, known[key]) for key in keys]
    confirmed = [(key, value) for key, value in found if value[0] == "confirmed"]
    refused = [(key, value) for key, value in found if value[0] == "refused"]
    unconfirmed = [(key, value) for key, value in found if value[0] == "unconfirmed"]
    if not confirmed and refused:
        return _refused_finding(known, *max(refused, key=lambda entry: entry[1][2]))
    if not confirmed and unconfirmed:
        key, (_, batch_id, created_at) = max(unconfirmed, key=lambda entry: entry[1][2])
        return Flag(
            "in_unconfirmed_batch",
            f"{_what(key)} is also in batch {batch_id} of {_shown_time(created_at)}, whose "
            "processing report did not say clearly whether Amazon cancelled it; check the "
            f"order in Seller Central, then `cancelkit reconcile REPORT --batch {batch_id}` "
            f"or `cancelkit confirm --batch {batch_id}`",
        )
    if confirmed:
        key, (_, batch_id, created_at) = min(confirmed, key=lambda entry: entry[1][2])
        return Problem(
            "already_confirmed",
            "order_id",
            order_id,
            f"{_what(key)} is already cancelled: batch {batch_id} of "
            f"{_shown_time(created_at)} is confirmed; remove this row",
        )
    generated = [(key, value) for key, value in found if value[0] == "generated"]
    if generated:
        key, (_, batch_id, created_at) = max(generated, key=lambda entry: entry[1][2])
        return Flag(
            "in_unconfirmed_batch",
            f"{_what(key)} is also in batch {batch_id} of {_shown_time(created_at)}, not yet "
            "confirmed; upload only one of the two files (this batch replaces that one), "
            "then run `cancelkit reconcile` or `cancelkit confirm`",
        )
    return None


def _refused_finding(known: Mapping, key: Key, value: tuple[str, str, str]) -> Flag:
    """The flag of a row whose order Amazon refused to cancel as final in an earlier batch."""
    _, batch_id, created_at = value
    code, message = getattr(known, "refusals", {}).get(key, ("", ""))
    said = f" ({code}: {message})" if code or message else ""
    return Flag(
        "refused_by_amazon",
        f"Amazon refused to cancel {_what(key)} in batch {batch_id} of "
        f"{_shown_time(created_at)}{said}, a refusal a retry cannot change; check the order "
        "in Seller Central before sending it again",
    )
