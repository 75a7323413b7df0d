"""The result of one pipeline run and the writers that hang off it.

A `Result` owns a temporary folder with the spooled flat-file body, the rejected rows and
(optionally) every record; the writers copy from there into place atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from . import flat_files, json_report, ledger_batch, outputs, rejects
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


class Result(RunResult):
    """What a run found: summary, metrics, listing risks, records; and the writers."""

    def json_document(self, records: bool = True) -> dict:
        """The JSON report (schema_version 1) as a dict (write/json_report.py)."""
        return json_report.json_document(self, records)

    def write_json(self, stream: io.TextIOBase) -> None:
        """Write the JSON report to a text stream, the records streamed (write/json_report.py)."""
        json_report.write_json(self, stream)

    def write_jsonl(self, stream: io.TextIOBase) -> None:
        """Write the report as JSON Lines, the summary first (write/json_report.py)."""
        json_report.write_jsonl(self, stream)

    def write_jsonl_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON Lines report to `path` atomically."""
        return json_report.write_jsonl_file(self, path, force)

    def to_json(self, path: str | Path | None = None, force: bool = False) -> str:
        """The JSON report as text; with `path`, also written there atomically."""
        return json_report.to_json(self, path, force)

    def write_json_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON report to `path` atomically."""
        return json_report.write_json_file(self, path, force)

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
