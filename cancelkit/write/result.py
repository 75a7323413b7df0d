"""The result of one pipeline run and the writers that hang off it.

A `Result` owns a temporary folder with the spooled flat-file body, the rejected rows and
(optionally) every record; the writers copy from there into place atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import weakref
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from ..amazon import flatfile
from ..errors import OutputError
from ..read.tables import GUARDED_STARTS
from ..version import __version__
from . import spool
from .files import atomic_write, batch_stamp, free_name, remove_stale_temporaries
from .report import render_report, report_format_for

REJECTS_EXTRA = ("cancelkit-source", "cancelkit-row", "cancelkit-error-codes", "cancelkit-errors")


def guard(value: str) -> str:
    """Prefix a quote to a value a spreadsheet would run as a formula (OWASP CSV injection)."""
    return "'" + value if value[:1] in GUARDED_STARTS and value else value


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
    return entry


class Result:
    """What a run found: summary, metrics, listing risks, records; and the writers."""

    def __init__(self, **state) -> None:
        self._workdir: str = state["workdir"]
        self.inputs: list[dict] = state["inputs"]
        self.summary: dict = state["summary"]
        self.metrics: dict = state["metrics"]
        self.listing_risks: list[dict] = state["listing_risks"]
        self._patches = state["patches"]
        self._flagged = state["flagged"]
        self._flagged_more = state["flagged_more"]
        self._rejected_listed = state["rejected_listed"]
        self._flag_codes = state["flag_codes"]
        self._headers: list[list[str]] = state["headers"]
        self._sources: list[str] = state["sources"]
        self.options = state["options"]
        self.market = state["market"]
        self._records_path = state["records_path"]
        self._ledger_rows = state["ledger_rows"]
        #: the ledger batch id once `record_in_ledger` has run (the first part's, when split)
        self.batch_id: str | None = None
        #: one ledger batch id per written upload file
        self.batch_ids: list[str] = []
        self._max_rows: int | None = None
        self.generated_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.outputs: dict = {
            "flat_file": None,
            "flat_files": None,
            "rejects": None,
            "report": None,
            "review": None,
        }
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._workdir, True)

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Remove the temporary files (also done when the result is garbage-collected)."""
        self._finalizer()

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- figures --------------------------------------------------------------------------
    @property
    def accepted(self) -> int:
        return self.summary["accepted"]

    @property
    def rejected(self) -> int:
        return self.summary["rejected"]

    @property
    def highest_risk(self) -> str:
        risk = self.summary["risk"]
        return next((level for level in ("high", "medium", "low") if risk.get(level)), "none")

    def gate_tripped(self, fail_on: str | None = None) -> bool:
        """Whether the risk gate (`--fail-on`) stops the upload file."""
        level = fail_on or self.options.fail_on
        if level == "none":
            return False
        risk = self.summary["risk"]
        levels = ("high",) if level == "high" else ("high", "medium")
        return any(risk.get(lv) for lv in levels) or bool(self.metrics.get("over_threshold"))

    # -- records --------------------------------------------------------------------------
    def iter_records(self) -> Iterator[dict]:
        """Every input row's record in input order, with its final status."""
        if self._records_path is None:
            raise RuntimeError("records were not kept for this run (keep_records=False)")
        for entry in spool.read(self._records_path):
            yield self._finish(entry)

    @property
    def records(self) -> list[dict]:
        """Every input row's record as a list (see `iter_records` for huge batches)."""
        return list(self.iter_records())

    def _finish(self, entry: dict) -> dict:
        seq = entry.pop("seq")
        entry.pop("values", None)
        patch = self._patches.get(seq) if seq is not None else None
        if patch is not None:
            entry["status"] = patch.status
            entry["counts_against_rate"] = None
            entry["risk"] = None
            if patch.status == "duplicate":
                entry["flags"].append({"code": patch.code, "message": patch.message})
            else:
                entry["errors"].append(
                    {
                        "code": patch.code,
                        "column": "order-id",
                        "value": entry["order_id"],
                        "message": patch.message,
                    }
                )
        return entry

    # -- writers --------------------------------------------------------------------------
    def flat_file_parts(self, path: str | Path, max_rows: int | None = None) -> list[Path]:
        """The upload file name(s): `path` itself, or with `max_rows` the numbered parts
        `NAME-1.txt`, `NAME-2.txt`, ... (at least one, even for no accepted rows)."""
        path = Path(path)
        if max_rows is None:
            return [path]
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1 (got {max_rows})")
        count = max(1, -(-self.accepted // max_rows))
        return [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(1, count + 1)]

    def write_flat_file(
        self, path: str | Path, force: bool = False, max_rows: int | None = None
    ) -> Path:
        """Write Amazon's Order Cancellation flat file of the accepted rows; returns its path.

        With `max_rows`, the rows are split in input order into numbered files of at most
        that many rows (see `flat_file_parts`), each with the template and header rows and
        each written atomically; the first part's path is returned and `outputs["flat_files"]`
        lists them all. Without `force` no part is written when any of them exists.
        """
        body_path = Path(self._workdir) / "flat.txt"
        targets = self.flat_file_parts(path, max_rows)
        if max_rows is None:
            with open(body_path, "rb") as body:
                atomic_write(
                    path, lambda out: shutil.copyfileobj(body, out, 1 << 20), force=force, mode="wb"
                )
        else:
            if not force:
                for target in targets:
                    if target.exists():
                        raise OutputError(f"{target}: already exists; use --force to replace it")
            with open(body_path, encoding="ascii", newline="") as body:
                body.readline()  # the body's own template and header rows
                body.readline()

                def write_part(out: io.TextIOBase) -> None:
                    out.write(flatfile.HEADER_LINES)
                    out.writelines(islice(body, max_rows))

                for target in targets:
                    atomic_write(target, write_part, force=force, encoding="ascii")
        self._max_rows = max_rows
        self.outputs["flat_file"] = str(targets[0])
        self.outputs["flat_files"] = [str(target) for target in targets]
        return targets[0]

    def iter_rejects(self) -> Iterator[tuple[int, int, list[str], list[tuple]]]:
        """The rejected rows: (source index, row, original cells, problems)."""
        return spool.read(str(Path(self._workdir) / "rejects.bin"))

    def _reject_columns(self) -> list[list[str]]:
        """Each source's column names for the rejects file: its headers (a repeated name
        gets its position), then `column N` for cells beyond the header."""
        widths = [len(h) for h in self._headers]
        for source, _, cells, _ in self.iter_rejects():
            widths[source] = max(widths[source], len(cells))
        names = []
        for headers, width in zip(self._headers, widths):
            seen: set[str] = set()
            columns = []
            for i in range(width):
                name = headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"
                if name in seen:
                    name = f"{name} (column {i + 1})"
                seen.add(name)
                columns.append(name)
            names.append(columns)
        return names

    def write_rejects(self, path: str | Path, force: bool = False) -> Path:
        """Write the rejected rows (original values, source, row, codes and messages) as a
        CSV that Excel opens (UTF-8 with BOM); formula-like values are guarded. A rejects
        file fed back in does not repeat its own cancelkit-* columns."""
        columns = self._reject_columns()
        header = [
            name
            for name in dict.fromkeys(n for names in columns for n in names)
            if name not in REJECTS_EXTRA
        ]
        header += REJECTS_EXTRA  # a tuple: extends the new list
        position = {name: i for i, name in enumerate(header)}

        def write(stream: io.TextIOBase) -> None:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(header)
            for source, number, cells, problems in self.iter_rejects():
                out = [""] * len(header)
                for name, value in zip(columns[source], cells):
                    if name not in REJECTS_EXTRA:
                        out[position[name]] = guard(value)
                out[-4] = guard(self._sources[source])
                out[-3] = str(number)
                out[-2] = " ".join(dict.fromkeys(p[0] for p in problems))
                out[-1] = guard("; ".join(f"{p[1]}: {p[3]}" for p in problems))
                writer.writerow(out)

        written = atomic_write(path, write, force=force, encoding="utf-8-sig")
        self.outputs["rejects"] = str(path)
        return written

    def json_document(self) -> dict:
        """The JSON report (schema_version 1) as a dict."""
        return {
            "schema_version": 1,
            "tool": {"name": "cancelkit", "version": __version__},
            "generated_at": self.generated_at.isoformat().replace("+00:00", "Z"),
            "inputs": self.inputs,
            "summary": self.summary,
            "metrics": self.metrics,
            "listing_risks": self.listing_risks,
            "records": self.records if self._records_path else [],
            "outputs": dict(self.outputs),
        }

    def to_json(self, path: str | Path | None = None, force: bool = False) -> str:
        """The JSON report as text; also written atomically to `path` when given."""
        text = json.dumps(self.json_document(), indent=2, ensure_ascii=False) + "\n"
        if path is not None:
            atomic_write(path, lambda out: out.write(text), force=force, newline="\n")
        return text

    def report_context(self) -> dict:
        """Everything the risk report templates show."""
        from .verdict import report_context

        return report_context(self)

    def write_outputs(
        self,
        out_dir: str | Path = "cancelkit-out",
        *,
        flat_file: str | Path | None = None,
        report: str | Path | None = None,
        json_path: str | Path | None = None,
        rejects: str | Path | None = None,
        force: bool = False,
        default_report: bool = True,
        max_rows_per_file: int | None = None,
    ) -> dict:
        """Write what `cancelkit generate` writes.

        Files not named go into `out_dir` under names carrying the batch time. The upload
        file is not written when the risk gate trips; the rejects file only when rows were
        rejected (or it is named). Every target is checked before anything is written, so
        a refused overwrite leaves nothing half done. `json_path` "-" means "return it".
        `max_rows_per_file` splits the upload file into numbered parts (`write_flat_file`).
        """
        folder = Path(out_dir)
        remove_stale_temporaries(folder)  # what a killed earlier run left behind
        stamp = batch_stamp(self.generated_at.astimezone())
        suffixes = [".txt", "-report.html", "-rejects.csv"]
        if max_rows_per_file is not None:
            parts = self.flat_file_parts("x.txt", max_rows_per_file)
            suffixes += [part.name[1:] for part in parts]  # "-1.txt", "-2.txt", ...
        stem = free_name(folder, f"cancellations-{stamp}", suffixes)
        plan: dict[str, Path | None] = {
            "flat_file": None if self.gate_tripped() else Path(flat_file or folder / f"{stem}.txt"),
            "rejects": Path(rejects)
            if rejects
            else (folder / f"{stem}-rejects.csv" if self.rejected else None),
            "report": Path(report)
            if report
            else (folder / f"{stem}-report.html" if default_report else None),
        }
        json_target = Path(json_path) if json_path and str(json_path) != "-" else None
        flat_parts = []
        if plan["flat_file"] is not None:
            flat_parts = self.flat_file_parts(plan["flat_file"], max_rows_per_file)
        if not force:
            for target in [*flat_parts, plan["rejects"], plan["report"], json_target]:
                if target is not None and target.exists():
                    raise OutputError(f"{target}: already exists; use --force to replace it")
        if plan["report"] is not None:
            report_format_for(plan["report"])  # an unknown suffix fails before any write
        if plan["flat_file"] is not None:
            self.write_flat_file(plan["flat_file"], force=force, max_rows=max_rows_per_file)
        if plan["rejects"] is not None:
            self.write_rejects(plan["rejects"], force=force)
        if plan["report"] is not None:
            self.outputs["report"] = str(plan["report"])
        if json_target is not None:
            self.to_json(json_target, force=force)
        if plan["report"] is not None:
            self.write_report(plan["report"], force=force)
        return dict(self.outputs)

    def record_in_ledger(self) -> str | None:
        """Record the written upload file and its rows as a new batch in the ledger (one
        transaction); returns the batch id, or None without a ledger or upload file.

        An upload split into parts is recorded as one batch per part (Amazon's processing
        report numbers records per uploaded file), in part order; `batch_ids` lists them
        and the first part's id is returned."""
        path, flat_file = self.options.ledger, self.outputs["flat_file"]
        if path is None or flat_file is None:
            return None
        from ..ledger.store import Ledger

        parts = self.outputs["flat_files"] or [flat_file]
        meta = {
            "created_at": self.generated_at,
            "marketplace": self.market.code,
            "options": {
                "orders_in_window": self.metrics["orders_in_window"],
                "cancels_in_window": self.metrics["seller_cancels_in_window"],
                "fail_on": self.options.fail_on,
                "orders_reports": self.options.orders_reports,
            },
            "inputs": self.inputs,
            "flat_file": flat_file,
        }
        rows = self._ledger_rows()
        self.batch_ids = []
        with Ledger.open(path) as ledger:
            if len(parts) == 1:
                self.batch_ids.append(ledger.record_batch(meta, rows))
            else:
                for number, part in enumerate(parts, start=1):
                    options = {
                        **meta["options"],
                        "max_rows_per_file": self._max_rows,
                        "part": f"{number}/{len(parts)}",
                    }
                    part_meta = {**meta, "options": options, "flat_file": part}
                    self.batch_ids.append(
                        ledger.record_batch(part_meta, islice(rows, self._max_rows))
                    )
        self.batch_id = self.batch_ids[0]
        return self.batch_id

    def write_review(self, path: str | Path, force: bool = False) -> Path:
        """Write the review workbook in which a person approves rows before upload."""
        from .workbook import write_review

        written = write_review(self, path, force=force)
        self.outputs["review"] = str(path)
        return written

    def write_report(self, path: str | Path, force: bool = False) -> Path:
        """Write the risk summary report; HTML or Markdown by the file suffix."""
        fmt = report_format_for(path)
        self.outputs["report"] = str(path)
        text = render_report(self.report_context(), fmt)
        return atomic_write(path, lambda out: out.write(text), force=force, newline="\n")
