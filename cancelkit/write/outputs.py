"""What `cancelkit generate` writes, as one staged transaction (the plan of its names,
the files, then the ledger batch)."""

from __future__ import annotations

from pathlib import Path

from ..ledger.store import batch_stamp
from .files import Staging, free_name, remove_stale_temporaries
from .plan import OutputPlan, reserved_names, usable_path
from .report import report_format_for


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
    """Write what `cancelkit generate` writes.

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
    folder = usable_path(out_dir, "out-dir")
    for role, given in (
        ("upload file", flat_file),
        ("report", report),
        ("JSON report", json_path),
        ("rejects file", rejects),
    ):
        if given is not None:
            usable_path(given, role)  # bytes, 5: `path_type` before anything is written
    inputs = [i["path"] for i in self.inputs]
    inputs += [*self.options.orders_reports, self.options.from_review]
    check = OutputPlan([*inputs, self.options.config_path], force)
    # concurrent runs into one out-dir choose and write their names one at a time
    with reserved_names(folder), Staging() as staging:
        remove_stale_temporaries(folder)  # what a killed earlier run left behind
        stem = _free_stem(self, folder, max_rows_per_file)
        # no row left to upload (every row rejected, e.g. an all-orders report whose
        # orders are all shipped): no upload file, so no 0-row ledger batch either
        self.nothing_to_upload = not self.accepted and not self.gate_tripped()
        plan: dict[str, Path | None] = {
            "flat_file": None
            if self.gate_tripped() or self.nothing_to_upload
            else Path(flat_file or folder / f"{stem}.txt"),
            "rejects": Path(rejects)
            if rejects
            else (folder / f"{stem}-rejects.csv" if self.rejected else None),
            "report": Path(report)
            if report
            else (folder / f"{stem}-report.html" if default_report else None),
        }
        json_target = Path(json_path) if json_path and str(json_path) != "-" else None
        jsonl_target = Path(jsonl_path) if jsonl_path and str(jsonl_path) != "-" else None
        flat_parts = []
        if plan["flat_file"] is not None:
            flat_parts = self.flat_file_parts(plan["flat_file"], max_rows_per_file)
        for number, part in enumerate(flat_parts, start=1):
            check.output("upload file" if len(flat_parts) == 1 else f"upload part {number}", part)
        check.output("rejects file", plan["rejects"])
        check.output("report", plan["report"])
        check.output("JSON report", json_target)
        check.output("JSON Lines report", jsonl_target)
        if record:
            check.ledger(self.options.ledger)
        if plan["report"] is not None:
            report_format_for(plan["report"])  # an unknown suffix fails before any write
        if plan["flat_file"] is not None:
            self.write_flat_file(plan["flat_file"], force=force, max_rows=max_rows_per_file)
        if plan["rejects"] is not None:
            self.write_rejects(plan["rejects"], force=force)
        if plan["report"] is not None:
            self.outputs["report"] = str(plan["report"])
        if json_target is not None:
            self.write_json_file(json_target, force=force)
        if jsonl_target is not None:
            self.write_jsonl_file(jsonl_target, force=force)
        if plan["report"] is not None:
            self.write_report(plan["report"], force=force)
        # every file in place, then the ledger batch; a failure takes the files back
        staging.commit(self.record_in_ledger if record else None)
    return dict(self.outputs)


def _free_stem(self, folder: Path, max_rows_per_file: int | None) -> str:
    stamp = batch_stamp(self.generated_at.astimezone())
    suffixes = [".txt", "-report.html", "-rejects.csv"]
    if max_rows_per_file is not None or len(self.markets) > 1:
        parts = self.flat_file_parts("x.txt", max_rows_per_file)
        suffixes += [part.name[1:] for part in parts]  # "-1.txt", "-DE.txt", ...
    return free_name(folder, f"cancellations-{stamp}", suffixes)
