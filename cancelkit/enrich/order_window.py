"""The window counter: the dated merchant-fulfilled lines of all-orders reports, kept in
compact arrays, and the distinct orders purchased in a window.
"""

from __future__ import annotations

import datetime as dt
from array import array
from itertools import compress


class _Dated:
    """The merchant-fulfilled lines of all-orders reports with a purchase date, for
    `orders_in_window`: order ids as integers, times as epoch seconds and the line's
    marketplace as a small number, in three arrays (17 bytes a line, repeated lines of one
    order once), not as Python objects. Order ids that are not 3-7-7 digits (never in
    Amazon's reports) are kept aside as text."""

    def __init__(self) -> None:
        self.orders = array("q")
        self.times = array("d")
        self.markets = array("B")  # index into `codes`
        self.codes: list[str | None] = []
        self._code_index: dict[str | None, int] = {}
        self.odd: list[tuple[float, str, int]] = []
        self._last: tuple[str, float, int] | None = None

    def add(self, order_id: str, moment: dt.datetime, market: str | None) -> None:
        when = moment.timestamp()
        index = self._code_index.get(market)
        if index is None:
            index = self._code_index[market] = len(self.codes)
            self.codes.append(market)
        if self._last == (order_id, when, index):
            return  # the order's next item line
        self._last = (order_id, when, index)
        digits = order_id.replace("-", "")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            self.orders.append(int(digits))
            self.times.append(when)
            self.markets.append(index)
        else:
            self.odd.append((when, order_id, index))

    def window(
        self, days: int, marketplace: str | None = None
    ) -> tuple[int, dt.datetime, dt.datetime] | None:
        times, orders, odd = self.times, self.orders, self.odd
        if marketplace:  # only the lines of that marketplace
            if marketplace not in self.codes:
                return None
            index = self.codes.index(marketplace)
            mine = list(map(index.__eq__, self.markets))
            times = array("d", compress(times, mine))
            orders = array("q", compress(orders, mine))
            odd = [entry for entry in odd if entry[2] == index]
        if not times and not odd:
            return None
        end_s = max([*([max(times)] if times else []), *(when for when, _, _ in odd)])
        start_s = (
            dt.datetime.fromtimestamp(end_s, dt.timezone.utc) - dt.timedelta(days=days)
        ).timestamp()
        inside = array("q", (o for o, t in zip(orders, times) if start_s < t <= end_s))
        count = distinct_count(inside)
        count += len({o for when, o, _ in odd if start_s < when <= end_s})
        end = dt.datetime.fromtimestamp(end_s, dt.timezone.utc)
        return count, end - dt.timedelta(days=days), end


def distinct_count(values: array) -> int:
    """How many different integers `values` holds, exactly, with two bitmaps of about 16
    bits a value: values whose slot no other value shares are counted at once; only those
    in shared slots (a repeated order, or a collision) go into a set."""
    if not values:
        return 0
    bits = 1 << max(16, (len(values) * 16).bit_length())
    mask = bits - 1
    seen, twice = bytearray(bits >> 3), bytearray(bits >> 3)
    for value in values:
        slot = (value * 0x9E3779B97F4A7C15 >> 17) & mask
        byte, bit = slot >> 3, 1 << (slot & 7)
        if seen[byte] & bit:
            twice[byte] |= bit
        else:
            seen[byte] |= bit
    alone, shared = 0, set()
    for value in values:
        slot = (value * 0x9E3779B97F4A7C15 >> 17) & mask
        if twice[slot >> 3] & 1 << (slot & 7):
            shared.add(value)
        else:
            alone += 1
    return alone + len(shared)
