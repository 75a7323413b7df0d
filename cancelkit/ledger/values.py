"""Values the ledger returns (batches, rows, known rows) and its time helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from ..read.identity import file_sha256
from .schema import Key


@dataclass(frozen=True)
class BatchSummary:
    """One batch as `history` lists it: its facts and how many rows are in each state."""

    id: str
    created_at: str
    marketplace: str | None
    tool_version: str | None
    options: dict
    inputs: list
    flat_file: str | None
    flat_file_sha256: str | None
    rows: int
    states: dict[str, int]
    #: rows marked as counting against the rate, whatever their state (they count only once
    #: confirmed)
    counts_against_rate: int
    #: confirmed rows that count against the rate, and their distinct orders (the rate
    #: counts orders; filled in by `Ledger.batches`, the listing of `history`)
    confirmed_counting_rows: int = 0
    confirmed_counting_orders: int = 0
    #: counting rows still `generated` or `unconfirmed`: they count once confirmed
    awaiting_counting_rows: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BatchRow:
    record_number: int
    order_id: str
    item_code: str | None
    reason: str | None
    sku: str | None
    asin: str | None
    counts_against_rate: bool
    state: str
    error_code: str | None
    error_message: str | None
    updated_at: str | None  # None until the state first changed


class KnownRows(dict):
    """`(order_id, item_code or None) -> (state, batch_id, created_at)` of the rows that
    are `confirmed`, refused by Amazon as final (state `refused`), `unconfirmed` or
    `generated`; when several exist the first of these wins. `refusals` holds Amazon's code
    and message of each refused key."""

    _by_order: dict[str, list[Key]] | None = None

    def __init__(self) -> None:
        super().__init__()
        self.refusals: dict[Key, tuple[str, str]] = {}

    def keys_of_order(self, order_id: str) -> list[Key]:
        if self._by_order is None:
            self._by_order = {}
            for key in self:
                self._by_order.setdefault(key[0], []).append(key)
        return self._by_order.get(order_id, [])


def _utc(moment: dt.datetime | str | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.astimezone()  # naive means local time, as in the datetime module
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(now: dt.datetime | str | None, days: float) -> tuple[str, str]:
    end = _utc(now)
    return _iso(end - dt.timedelta(days=days)), _iso(end)


def _file_sha256(path: str) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None
