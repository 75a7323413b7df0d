"""The result of one pipeline run and the writers that hang off it.

A `Result` owns a temporary folder with the spooled flat-file body, the rejected rows and
(optionally) every record; the writers copy from there into place atomically.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import orjson

from ..version import __version__
from . import flat_files, ledger_batch, outputs, rejects, spool
from .files import atomic_write
from .rejects import guard as guard  # where write/retry.py finds it
from .report import render_report
from .result_data import RunResult
from .verdict import report_context
from .workbook import write_review

#: what `generate` says when no row was accepted (no upload file, no ledger batch)
NOTHING_TO_UPLOAD = (
    "nothing was left to upload: no row was accepted, so no upload file was written and no "
    "ledger batch was recorded"
)
#: stands for the records in the JSON text until they are streamed in its place
_RECORDS_MARK = "\x00records\x00"
_NO_VALUES = object()
#: records joined into one write of the JSON report
_JSON_BLOCK = 2048


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
    if state:  # what the review seals of the order's state (read/review.py)
        entry["order_state"] = state
    return entry


def _json_bytes(entry: dict) -> bytes:
    """A record as compact JSON text in UTF-8 (orjson: about ten times the standard
    library's speed); a value orjson refuses (a lone surrogate) is escaped by the stdlib."""
    try:
        return orjson.dumps(entry)
    except orjson.JSONEncodeError:
        return json.dumps(entry).encode("ascii")


def keep_record(stream, entry: dict) -> tuple[bytes, bytes]:
    """Append a record to the records spool as it is made: its seq and its JSON text
    (orjson; `seq` and the rejected row's `values` are not part of it). Returns the text
    before and after the row number, for `keep_same_record`."""
    seq = entry.pop("seq")
    values = entry.pop("values", _NO_VALUES)
    text = _json_bytes(entry)
    entry["seq"] = seq
    if values is not _NO_VALUES:
        entry["values"] = values
    spool.append(stream, (seq, text))
    # the first `,"row":` is the key's: a quote inside a string value is escaped
    start = text.find(b',"row":') + 7
    return text[:start], text[start + len(str(entry["row"])) :]


def keep_same_record(stream, seq: int, parts: tuple[bytes, bytes], row: int) -> None:
    """Append the record of a row whose cells repeat the row before (`parts`, from
    keep_record): the same text but its row number."""
    spool.append(stream, (seq, b"%b%d%b" % (parts[0], row, parts[1])))


class Result(RunResult):
    """What a run found: summary, metrics, listing risks, records; and the writers."""

    def json_document(self, records: bool = True) -> dict:
        """The JSON report (schema_version 1) as a dict (`records` empty when not kept, or
        when `records` is False: `write_json` streams them)."""
        return {
            "schema_version": 1,
            "tool": {"name": "cancelkit", "version": __version__},
            "generated_at": self.generated_at.isoformat().replace("+00:00", "Z"),
            "inputs": self.inputs,
            "summary": self.summary,
            "metrics": self.metrics,
            **(
                {"metrics_by_marketplace": self.metrics_by_marketplace}
                if self.metrics_by_marketplace
                else {}
            ),
            "listing_risks": self.listing_risks,
            "records": self.records if self._records_path and records else [],
            # with --from-review: the review rows refused as tampered with
            **({"review_refused": self.review_refused} if self.options.from_review else {}),
            **({"review_corrected": self.review_corrected} if self.options.from_review else {}),
            "outputs": dict(self.outputs),
            # round 3 (DESIGN.md "The decision and the page"): added keys, schema_version 1
            "states_checked": self.states_checked,
            "budget": self.budget,
            "plan": self.plan(),
            **(
                {
                    "review_figures": {
                        "kept": self.options.review_kept,
                        "changed": self.options.review_changes,
                        "order_reports": self.options.review_order_reports,
                    }
                }
                if self.options.from_review
                else {}
            ),
        }

    def write_json(self, stream: io.TextIOBase) -> None:
        """Write the JSON report to a text stream, the records one at a time as they are
        read back from the spool (memory bounded by one record). The document is indented
        as `json.dumps(..., indent=2)` would; each record is one line (the C encoder: an
        indented record costs five times as much to write)."""
        document = self.json_document(records=False)
        document["records"] = _RECORDS_MARK
        text = json.dumps(document, indent=2, ensure_ascii=False)
        head, tail = text.split(json.dumps(_RECORDS_MARK), 1)
        stream.write(head)
        if self._records_path is None:
            stream.write("[]")
        else:
            opened = False
            for block in self._record_texts(b",\n    "):
                stream.write(("[\n    " if not opened else ",\n    ") + block)
                opened = True
            stream.write("\n  ]" if opened else "[]")
        stream.write(tail + "\n")

    def _record_texts(self, separator: bytes) -> Iterator[str]:
        """The records' JSON texts as the spool kept them, joined by `separator` in blocks
        of _JSON_BLOCK; a record a batch rule patched (or one to be told its marketplace)
        is decoded, finished and encoded again."""
        patches, finish = self._patches, self._finish
        every = bool(self.markets)  # accepted records name their marketplace
        loads = orjson.loads
        block: list[bytes] = []
        for seq, text in spool.read(self._records_path):
            if every or (seq is not None and patches and seq in patches):
                entry = loads(text)
                entry["seq"] = seq
                text = _json_bytes(finish(entry))
            block.append(text)
            if len(block) >= _JSON_BLOCK:
                yield separator.join(block).decode("utf-8")
                block.clear()
        if block:
            yield separator.join(block).decode("utf-8")

    def write_jsonl(self, stream: io.TextIOBase) -> None:
        """Write the report as JSON Lines: the first line the JSON report without `records`
        (schema_version 1), then each record on a line of its own, in input order, as it
        is read back from the spool (for `jq -c`, DuckDB's read_json, line-by-line tools)."""
        document = self.json_document(records=False)
        del document["records"]
        stream.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
        if self._records_path is not None:
            for block in self._record_texts(b"\n"):
                stream.write(block + "\n")

    def write_jsonl_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON Lines report to `path` atomically (what `--jsonl PATH` does)."""
        self._never_an_input("JSON Lines report", path)
        return atomic_write(path, self.write_jsonl, force=force, newline="\n")

    def to_json(self, path: str | Path | None = None, force: bool = False) -> str:
        """The JSON report as text; also written atomically to `path` when given. For a
        huge batch use `write_json_file`, which never holds the whole text."""
        if path is not None:
            self._never_an_input("JSON report", path)
        out = io.StringIO()
        self.write_json(out)
        text = out.getvalue()
        if path is not None:
            atomic_write(path, lambda stream: stream.write(text), force=force, newline="\n")
        return text

    def write_json_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON report to `path` atomically, streaming the records (what
        `--json PATH` does)."""
        self._never_an_input("JSON report", path)
        return atomic_write(path, self.write_json, force=force, newline="\n")

    def report_context(self) -> dict:
        """Everything the risk report templates show."""
        return report_context(self)

    def flat_file_parts(self, path: str | Path, max_rows: int | None = None) -> list[Path]:
        """The upload file name(s) (see `flat_files.flat_file_parts`)."""
        return flat_files.flat_file_parts(self, path, max_rows)

    def write_flat_file(
        self,
        path: str | Path,
        force: bool = False,
        max_rows: int | None = None,
        allow_over_target: bool = False,
    ) -> Path:
        """Write Amazon's Order Cancellation flat file (see `flat_files.write_flat_file`)."""
        return flat_files.write_flat_file(self, path, force, max_rows, allow_over_target)

    def write_rejects(self, path: str | Path, force: bool = False) -> Path:
        """Write the rejected rows as a CSV (see `rejects.write_rejects`)."""
        return rejects.write_rejects(self, path, force)

    def write_outputs(
        self,
        out_dir: str | Path = "cancelkit-out",
        *,
        flat_file: str | Path | None = None,
        report: str | Path | None = None,
        json_path: str | Path | None = None,
        rejects: str | Path | None = None,
        jsonl_path: str | Path | None = None,
        force: bool = False,
        default_report: bool = True,
        max_rows_per_file: int | None = None,
        record: bool = False,
    ) -> dict:
        """Write what `cancelkit generate` writes (the same staged plan: write/outputs.py).

        Files not named go into `out_dir` under names carrying the batch time. The upload
        file is not written when the risk gate trips or no row was accepted (nothing to
        upload: `nothing_to_upload` is set); the rejects file only when rows were
        rejected (or it is named). Every target is checked before anything is written, so
        a refused overwrite leaves nothing half done. `json_path` "-" means "return it";
        `jsonl_path` (JSON Lines, see `write_jsonl`) likewise.
        `max_rows_per_file` splits the upload file into numbered parts (`write_flat_file`).
        With `record`, the batch is then recorded in the ledger (`record_in_ledger`), only
        once every file is in place: what `cancelkit generate` does.
        """
        targets = outputs.GenerateOutputs(
            out_dir=out_dir,
            flat_file=flat_file,
            report=report,
            json_path=json_path,
            jsonl_path=jsonl_path,
            rejects=rejects,
            force=force,
            default_report=default_report,
            max_rows_per_file=max_rows_per_file,
        )
        return outputs.write_generate(self, targets, record=record)

    def record_in_ledger(self) -> str | None:
        """Record the written upload file as ledger batches (see `ledger_batch`)."""
        return ledger_batch.record_in_ledger(self)

    def write_review(self, path: str | Path, force: bool = False) -> Path:
        """Write the review workbook in which a person approves rows before upload."""
        self._never_an_input("review", path)
        written = write_review(self, path, force=force)
        self.outputs["review"] = str(path)
        return written

    def write_report(self, path: str | Path, force: bool = False) -> Path:
        """Write the risk summary report; HTML or Markdown by the file suffix."""
        self._never_an_input("report", path)
        fmt = outputs.report_format(path)
        self.outputs["report"] = str(path)
        text = render_report(self.report_context(), fmt)
        return atomic_write(path, lambda out: out.write(text), force=force, newline="\n")
