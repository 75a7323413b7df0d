"""The JSON report (schema_version 1) and its JSON Lines form, written from the records
spool (write/records.py): each record is kept as it is made, as orjson text, and streamed
into place when the report is written; a run of repeated records is finished once.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import compress
from pathlib import Path
from typing import Any, Protocol

import orjson

from ..version import __version__
from . import records
from .files import atomic_write, write_parts
from .records import Parts, RecordSpool, around_row

#: stands for the records in the JSON text until they are streamed in its place
_RECORDS_MARK = "\x00records\x00"
_NO_VALUES = object()
#: records joined into one write of the JSON report
_JSON_BLOCK = 2048
#: a run of repeated records this long is written in blocks of its own (`record_texts`)
_LONG_RUN = 256


class Reportable(Protocol):
    """What the JSON writers read of a `write.result.Result`."""

    generated_at: Any
    inputs: list[dict]
    summary: dict
    metrics: dict
    metrics_by_marketplace: dict[str, dict] | None
    listing_risks: list[dict]
    review_refused: list[dict]
    review_corrected: list[dict]
    outputs: dict
    options: Any
    markets: list
    _records_path: str | None
    _patches: Any

    @property
    def records(self) -> list[dict]: ...

    @property
    def states_checked(self) -> bool: ...

    @property
    def budget(self) -> dict[str, dict]: ...

    def plan(self) -> dict: ...

    def _finish(self, entry: dict) -> dict: ...

    def _never_an_input(self, role: str, path: str | Path) -> None: ...


def record_dict(record, seq: int | None, values: bool = False) -> dict:
    """A record as the JSON report's `records` entry (plus `seq` for internal patching)."""
    context = record.context
    entry = {
        "source": record.source,
        "row": record.row,
        "order_id": record.order_id,
        "amazon_order_item_code": record.amazon_order_item_code,
        "reason": record.reason,
        "status": record.status,
        "counts_against_rate": record.counts_against_rate,
        "risk": record.risk,
        "sku": context.get("sku") or None,
        "note": context.get("note") or None,
        "buyer_requested": context.get("buyer_requested") or None,
        "flags": [{"code": f.code, "message": f.message} for f in record.flags],
        "errors": [
            {"code": p.code, "column": p.column, "value": p.value, "message": p.message}
            for p in record.errors
        ],
        "seq": seq,
    }
    if values:
        entry["values"] = record.values
    state = {k: context[k] for k in ("order_status", "fulfillment_channel") if context.get(k)}
    if state:  # what the review seals of the order's state (review/carried_state.py)
        entry["order_state"] = state
    return entry


def _json_bytes(entry: dict) -> bytes:
    """A record as compact JSON text in UTF-8 (orjson: about ten times the standard
    library's speed); a value orjson refuses (a lone surrogate) is escaped by the stdlib."""
    try:
        return orjson.dumps(entry)
    except orjson.JSONEncodeError:
        return json.dumps(entry).encode("ascii")


def keep_record(records: RecordSpool, entry: dict) -> Parts:
    """Append a record to the records spool as it is made: its JSON text (orjson; `seq`
    and the rejected row's `values` are not part of it). Returns the text before and after
    the row number, for `RecordSpool.keep_same`."""
    seq = entry.pop("seq")
    values = entry.pop("values", _NO_VALUES)
    text = _json_bytes(entry)
    entry["seq"] = seq
    if values is not _NO_VALUES:
        entry["values"] = values
    return records.keep(text, seq is not None)


#: what `_finished` yields: one record's finished text, or a run of `count` records whose
#: finished texts are `parts` around their row numbers `row`, `row + 1`, ...
_Finished = bytes | tuple[Parts, int, int]


def _finished(result: Reportable) -> Iterator[_Finished]:
    """Every record's JSON text in input order, with its final status: as the spool kept
    it, or, for a record a batch rule patched (or one to be told its marketplace), decoded,
    finished and encoded again. A run of records repeating the record kept whole before
    is finished once per patch (`Patches.kind_runs`), and stays a run: a million duplicates
    of one row are one encoding."""
    assert result._records_path is not None  # the writers call this only with records kept
    patches, finish = result._patches, result._finish
    every = bool(result.markets)  # accepted records name their marketplace
    mask = patches.keep_mask() if patches else None
    whole = b""  # the last record spooled whole
    parts = (b"", b"")  # its text around its row number
    done: dict[object, Parts] = {}  # patch -> the finished text's parts
    for entry in records.read(result._records_path):
        if len(entry) == 2:
            seq, text = entry
            whole = text
            parts = around_row(text)
            done.clear()
            if every or (mask is not None and seq is not None and not mask[seq]):
                text = _finish_text(finish, text, seq)
            yield text
            continue
        seq, row, count = entry
        if not every and (mask is None or not mask.count(0, seq, seq + count)):
            yield parts, row, count  # no record of the run is patched
            continue
        runs = patches.kind_runs(seq, seq + count) if patches else ((seq, seq + count, None),)
        for start, stop, key in runs:
            found = parts if key is None and not every else done.get(key)
            if found is None:
                found = done[key] = around_row(_finish_text(finish, whole, start))
            yield found, row + start - seq, stop - start


def finished_texts(result: Reportable) -> Iterator[bytes]:
    """Every record's JSON text in input order, with its final status (`_finished`, runs
    written out)."""
    for item in _finished(result):
        if item.__class__ is bytes:
            yield item
        else:
            (before, after), row, count = item  # type: ignore[misc]
            for number in range(row, row + count):
                yield b"%b%d%b" % (before, number, after)


def _finish_text(finish: Callable[[dict], dict], text: bytes, seq: int | None) -> bytes:
    entry = orjson.loads(text)
    entry["seq"] = seq
    return _json_bytes(finish(entry))


def plan_entries(result: Reportable) -> Iterator[dict]:
    """The records `assess.budget.make_plan` reads, in input order: those no batch rule
    patched (a patched record is a duplicate or rejected, which the plan skips; a row
    rejected on its own has no seq), decoded and finished; a run of a million duplicates
    costs one count of its patched rows, not a decoding."""
    assert result._records_path is not None  # the plan reads records only when kept
    patches, finish = result._patches, result._finish
    every = bool(result.markets)  # accepted records name their marketplace
    mask = patches.keep_mask() if patches else None
    loads = orjson.loads
    parts = (b"", b"")  # the last record spooled whole, around its row number
    for entry in records.read(result._records_path):
        if len(entry) == 2:
            seq, text = entry
            parts = around_row(text)
            if seq is None or (mask is not None and not mask[seq]):
                continue
            texts: Iterable[tuple[int, bytes]] = ((seq, text),)
        else:
            seq, row, count = entry
            numbers: Iterable[tuple[int, int]] = zip(
                range(seq, seq + count), range(row, row + count)
            )
            if mask is not None:
                if mask.count(0, seq, seq + count) == count:
                    continue  # every record of the run patched (duplicates)
                numbers = compress(numbers, mask[seq : seq + count])
            before, after = parts
            texts = ((s, b"%b%d%b" % (before, number, after)) for s, number in numbers)
        for seq, text in texts:
            found = loads(text)
            if every:
                found["seq"] = seq
                found = finish(found)
            yield found


def iter_records(result: Reportable) -> Iterator[dict]:
    """Every input row's record in input order, with its final status."""
    if result._records_path is None:
        raise RuntimeError("records were not kept for this run (keep_records=False)")
    loads = orjson.loads
    for text in finished_texts(result):
        yield loads(text)


def json_document(result: Reportable, records: bool = True) -> dict:
    """The JSON report (schema_version 1) as a dict (`records` empty when not kept, or
    when `records` is False: `write_json` streams them)."""
    return {
        "schema_version": 1,
        "tool": {"name": "cancelkit", "version": __version__},
        "generated_at": result.generated_at.isoformat().replace("+00:00", "Z"),
        "inputs": result.inputs,
        "summary": result.summary,
        "metrics": result.metrics,
        **(
            {"metrics_by_marketplace": result.metrics_by_marketplace}
            if result.metrics_by_marketplace
            else {}
        ),
        "listing_risks": result.listing_risks,
        "records": result.records if result._records_path and records else [],
        # with --from-review: the review rows refused as tampered with
        **({"review_refused": result.review_refused} if result.options.from_review else {}),
        **({"review_corrected": result.review_corrected} if result.options.from_review else {}),
        "outputs": dict(result.outputs),
        # round 3 (DESIGN.md "The decision and the page"): added keys, schema_version 1
        "states_checked": result.states_checked,
        "budget": result.budget,
        "plan": result.plan(),
        **(
            {
                "review_figures": {
                    "kept": result.options.review_kept,
                    "changed": result.options.review_changes,
                    "order_reports": result.options.review_order_reports,
                }
            }
            if result.options.from_review
            else {}
        ),
    }


def write_json(result: Reportable, stream: io.TextIOBase) -> None:
    """Write the JSON report to a text stream, the records one at a time as they are
    read back from the spool (memory bounded by a block of records)."""
    for part in json_parts(result):
        stream.write(part.decode("utf-8"))


def json_parts(result: Reportable) -> Iterator[bytes]:
    """The JSON report as UTF-8 text, in parts: the document is indented as
    `json.dumps(..., indent=2)` would; each record is one line (the C encoder: an indented
    record costs five times as much to write)."""
    document = json_document(result, records=False)
    document["records"] = _RECORDS_MARK
    text = json.dumps(document, indent=2, ensure_ascii=False)
    head, tail = text.split(json.dumps(_RECORDS_MARK), 1)
    yield head.encode("utf-8")
    if result._records_path is None:
        yield b"[]"
    else:
        opened = False
        for block in record_texts(result, b",\n    "):
            yield b",\n    " if opened else b"[\n    "
            yield block
            opened = True
        yield b"\n  ]" if opened else b"[]"
    yield (tail + "\n").encode("utf-8")


def record_texts(result: Reportable, separator: bytes) -> Iterator[bytes]:
    """The records' JSON texts (`finished_texts`) joined by `separator` in blocks of
    _JSON_BLOCK; a long run of repeated records in blocks of their own, each one join of
    the row numbers with the text between two of them."""
    block: list[bytes] = []
    for item in _finished(result):
        if item.__class__ is bytes:
            block.append(item)
            if len(block) >= _JSON_BLOCK:
                yield separator.join(block)
                block.clear()
            continue
        (before, after), row, count = item  # type: ignore[misc]
        end = row + count
        if count >= _LONG_RUN:
            if block:
                yield separator.join(block)
                block.clear()
            between = after + separator + before
            for start in range(row, end, _JSON_BLOCK):
                numbers = between.join(
                    map(b"%d".__mod__, range(start, min(end, start + _JSON_BLOCK)))
                )
                yield b"".join((before, numbers, after))
            continue
        block += [b"%b%d%b" % (before, number, after) for number in range(row, end)]
        if len(block) >= _JSON_BLOCK:
            yield separator.join(block)
            block.clear()
    if block:
        yield separator.join(block)


def write_jsonl(result: Reportable, stream: io.TextIOBase) -> None:
    """Write the report as JSON Lines: the first line the JSON report without `records`
    (schema_version 1), then each record on a line of its own, in input order, as it
    is read back from the spool (for `jq -c`, DuckDB's read_json, line-by-line tools)."""
    for part in jsonl_parts(result):
        stream.write(part.decode("utf-8"))


def jsonl_parts(result: Reportable) -> Iterator[bytes]:
    """The JSON Lines report as UTF-8 text, in parts."""
    document = json_document(result, records=False)
    del document["records"]
    head = json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"
    yield head.encode("utf-8")
    if result._records_path is not None:
        for block in record_texts(result, b"\n"):
            yield block
            yield b"\n"


def write_jsonl_file(result: Reportable, path: str | Path, force: bool = False) -> Path:
    """Write the JSON Lines report to `path` atomically (what `--jsonl PATH` does), bytes
    as they are made (no decoding and encoding again of every record)."""
    result._never_an_input("JSON Lines report", path)
    return atomic_write(
        path, lambda out: write_parts(out, jsonl_parts(result)), force=force, mode="wb"
    )


def to_json(result: Reportable, path: str | Path | None = None, force: bool = False) -> str:
    """The JSON report as text; also written atomically to `path` when given. For a
    huge batch use `write_json_file`, which never holds the whole text."""
    if path is not None:
        result._never_an_input("JSON report", path)
    out = io.StringIO()
    write_json(result, out)
    text = out.getvalue()
    if path is not None:
        atomic_write(path, lambda stream: stream.write(text), force=force, newline="\n")
    return text


def write_json_file(result: Reportable, path: str | Path, force: bool = False) -> Path:
    """Write the JSON report to `path` atomically, streaming the records (what
    `--json PATH` does) as UTF-8 bytes."""
    result._never_an_input("JSON report", path)
    return atomic_write(
        path, lambda out: write_parts(out, json_parts(result)), force=force, mode="wb"
    )
