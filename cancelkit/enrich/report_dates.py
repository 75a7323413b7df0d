"""The dates of an order report's lines: the newest plausible one (the report's time), the
dates in the future, and the purchase dates' span, kept line by line or a block at a time.

A block's dates are taken at once when every non-empty date of a column has one shape
(the same characters where the first has no digit, digits where it has one, one offset):
then text order is time order, and the block's newest and oldest are its greatest and
smallest text, parsed once. Any other block goes line by line, with the same result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import itemgetter

from .report_file import _parse_time

#: a date later than the run's clock by more than this is in the future (a finding)
FUTURE_SLACK = dt.timedelta(minutes=10)
#: every digit as 0: the shape of a date text
_SHAPE = str.maketrans("0123456789", "0000000000")


class _Dates:
    """The newest plausible date among a report's date columns, and the dates in the future
    (later than the run's clock): those are counted and named, never the report's age."""

    def __init__(self, now: dt.datetime) -> None:
        self.limit = now + FUTURE_SLACK
        self.newest: dt.datetime | None = None
        self.basis: str | None = None
        self.future = 0
        self.first_future: str | None = None
        #: each column's greatest plausible date as written: a later cell of the same shape
        #: (length and offset) that sorts at or below it cannot be newer, and is not parsed
        self._top: dict[str, str] = {}

    def see(self, name: str, text: str, line: int) -> None:
        top = self._top.get(name)
        if top is not None and len(text) == len(top) and text[-6:] == top[-6:] and text <= top:
            return  # not newer (ISO 8601 of one shape sorts as it reads)
        if not text.strip():
            return
        moment = _parse_time(text)
        if moment is None:
            return
        if moment > self.limit:
            self.future += 1
            if self.first_future is None:
                self.first_future = f"line {line}: {name} {text.strip()}"
            return
        if top is None or len(text) != len(top) or text[-6:] != top[-6:] or text > top:
            self._top[name] = text
        if self.newest is None or moment > self.newest:
            self.newest, self.basis = moment, name

    def see_span(self, spans: list[ColumnSpan]) -> None:
        """A block's columns at once (`block_span` found none of their dates in the future):
        the same newest and basis as the block seen line by line, columns in header order."""
        best: tuple[dt.datetime, int, int] | None = None
        for order, span in enumerate(spans):
            top = self._top.get(span.name)
            text = span.greatest
            if top is None or len(text) != len(top) or text[-6:] != top[-6:] or text > top:
                self._top[span.name] = text
            key = (span.newest, -span.first, -order)
            if best is None or key > best:
                best = key
        if best is not None and (self.newest is None or best[0] > self.newest):
            self.newest, self.basis = best[0], spans[-best[2]].name


class _Newest:
    """The newest purchase-date of a report, kept on the way (a date repeated on the next
    line, as an order's items are, is parsed once)."""

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None
        self._text: str | None = None
        self._parsed: dt.datetime | None = None

    def see(self, text: str) -> dt.datetime | None:
        """The line's purchase time (None when it has none), noting the newest."""
        if text != self._text:
            self._text = text
            self._parsed = _parse_time(text) if text.strip() else None
            if self._parsed is not None and (self.moment is None or self._parsed > self.moment):
                self.moment = self._parsed
        return self._parsed

    def see_moment(self, moment: dt.datetime) -> None:
        """A block's newest purchase time (`ColumnSpan.newest`)."""
        if self.moment is None or moment > self.moment:
            self.moment = moment


@dataclass(frozen=True)
class ColumnSpan:
    """One date column of a block whose dates share one shape: its greatest text, the first
    line (index in the block) that holds it, its time, and the oldest time of the column."""

    name: str
    greatest: str
    first: int
    newest: dt.datetime
    oldest: dt.datetime


def _offset_start(shape: str) -> int:
    """Where a date text's UTC offset starts (len: none): after the time, a sign."""
    for index in range(len(shape) - 1, 10, -1):
        if shape[index] in "+-":
            return index
    return len(shape)


def column_span(name: str, values: list[str], limit: dt.datetime) -> ColumnSpan | None | bool:
    """The span of a block's column: None when it holds no date, False when it cannot be
    taken at once (shapes differ, its greatest or smallest text is no date, or a date is
    in the future); the caller then reads the block line by line."""
    dates = list(filter(None, values))
    if not dates:
        return None
    first = dates[0]
    shape = first.translate(_SHAPE)
    if len(set(map(len, dates))) > 1 or "".join(dates).translate(_SHAPE) != shape * len(dates):
        return False
    offset = _offset_start(shape)
    if offset < len(shape) and len(set(map(itemgetter(slice(offset, None)), dates))) > 1:
        return False
    greatest, smallest = max(dates), min(dates)
    newest, oldest = _parse_time(greatest), _parse_time(smallest)
    if newest is None or oldest is None or newest > limit:
        return False
    return ColumnSpan(name, greatest, values.index(greatest), newest, oldest)


def _count(text: str) -> int | None:
    """A quantity cell as a whole number (None when it is not one)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None
