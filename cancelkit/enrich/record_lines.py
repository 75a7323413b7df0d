"""Multi-line joining: the records of a tab-separated report without quoting, rebuilt
from the physical lines a line break inside a field split them over.
"""

from __future__ import annotations

import re

from ..amazon.flatfile import ORDER_ID_PATTERN
from ..amazon.order_ids import clean_order_id

_ORDER_ID = re.compile(ORDER_ID_PATTERN)


class RecordLines:
    """Rejoins the records of a tab-separated report without quoting.

    A line break inside a field (a product name, a gift message) splits a record over
    several physical lines (DOMAIN.md section 7). A line with fewer cells than the header
    is completed by the following lines that do not start a record (no order id in the
    order-id column), the break kept inside the field, until the record has the header's
    column count. A record that overshoots it cannot be rejoined: it is dropped and named,
    with its line numbers, in `problems`; its columns are never shifted.

    The reader hands over only the lines that are not one whole record (`feed`), and `""`
    (no line end) at the end of the file; a whole line needs no call while nothing is
    pending.
    """

    def __init__(self, columns: int, i_order: int, state_width: int = 0):
        self.columns = columns
        self.i_order = i_order
        #: the cells a record needs for its order's state to be read: a record cut short
        #: before them (a line break, then a line that starts a record) is unreadable
        self.state_width = state_width
        self.number = 0
        #: the cells of a record still waiting for its continuation lines
        self.pending: list[str] | None = None
        self.first = 0
        self.problems: list[str] = []
        #: order id -> the problem of its record that could not be read
        self.unreadable: dict[str, str] = {}

    def _starts_record(self, cells: list[str]) -> bool:
        return len(cells) > self.i_order and bool(
            _ORDER_ID.fullmatch(clean_order_id(cells[self.i_order]))
        )

    def _close_short(self, pending: list[str], done: list[list[str]]) -> None:
        """A record that ended before the header's column count: read when it has every
        cell its order's state needs, else named and its order unreadable (fail closed:
        a state cut off is never an empty state)."""
        if len(pending) >= self.state_width:
            done.append(pending)
            return
        self._unjoinable(
            pending,
            self.first,
            len(pending),
            "ends before its state columns (a line break inside a field, then a line that "
            "starts with an order id)",
        )

    def feed(self, number: int, cells: list[str], line: str) -> list[list[str]]:
        """The records complete after physical line `number` (its `cells`)."""
        self.number = number
        pending = self.pending
        done: list[list[str]] = []
        if not line:  # the end of the file
            self.pending = None
            if pending is not None:
                self._close_short(pending, done)
            return done
        if pending is not None:
            if self._starts_record(cells):
                self.pending = None
                if len(pending) + len(cells) - 1 == self.columns and len(cells) < self.columns:
                    # the two short lines make exactly one record: a line break inside a
                    # field whose continuation starts with an order id. Which one it is
                    # cannot be told: neither is read, and both orders are unreadable.
                    self._unjoinable(
                        pending,
                        self.first,
                        len(pending),
                        "and the next line together have the header's cell count (a line "
                        "break inside a field, the next line starting with an order id): "
                        "the record cannot be rebuilt",
                    )
                    self._unjoinable(
                        cells, number, len(cells), "may be the continuation of line "
                        f"{self.first}, not a record",
                    )  # fmt: skip
                    return done
                self._close_short(pending, done)
            else:
                pending[-1] += "\n" + cells[0]
                pending.extend(cells[1:])
                if len(pending) < self.columns:
                    return done
                if len(pending) == self.columns:
                    done.append(pending)
                else:
                    self._unjoinable(pending, self.first, len(pending))
                self.pending = None
                return done
        if len(cells) > self.columns:
            if any(cell.strip() for cell in cells[self.columns :]):
                # a tab inside a field: every column after it would be shifted
                self._unjoinable(cells, number, len(cells))
            else:
                done.append(cells[: self.columns])  # trailing empty cells
        elif len(cells) == self.columns or not line.strip():
            done.append(cells)
        elif not self._starts_record(cells):
            self._unjoinable(cells, number, len(cells))
        else:
            self.pending, self.first = cells, number
        return done

    def _unjoinable(self, cells: list[str], first: int, count: int, why: str = "") -> None:
        last = self.number if not why else first
        lines = f"line {first}" if first == last else f"lines {first}-{last}"
        order = clean_order_id(cells[self.i_order]) if self._starts_record(cells) else None
        what = f"the record of order {order}" if order else "a line that starts no record"
        why = why or ("(a line break or tab inside a field that cannot be rejoined)")
        problem = (
            f"{lines}: {what} has {count} cells where the header has {self.columns} {why}; not read"
        )
        self.problems.append(problem)
        if order:
            self.unreadable[order] = problem
