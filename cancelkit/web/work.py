"""What the page does, through the same library as the command line: read a batch and
write its review workbook, project the rate of the approved rows, leave (upload files,
report, rejects, ledger), send through `submit`, reconcile a processing report and list
the ledger's batches. No rule lives here: each step calls the library's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import submit
from ..errors import CancelkitError, InputError, StillProcessing
from ..ledger.store import Ledger
from ..options import build_options, load_config, resolve_ledger_path, spapi_settings
from ..pipeline.run import run
from ..usecases.reconcile import reconcile_report
from ..write import reconcile_text
from ..write.result import Result
from ..write.verdict import verdict
from . import approvals
from .state import Batch, Job, Session

#: what `check` is given from the load form (the command line's options of the same name)
LOAD_OPTIONS = ("marketplace", "orders_in_window", "cancels_in_window")


@dataclass
class Upload:
    """The files of one load, saved in the batch's folder."""

    inputs: list[Path] = field(default_factory=list)
    orders_reports: list[Path] = field(default_factory=list)
    review: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)


def _progress(job: Job) -> Callable[[str, int], None]:
    def progress(source: str, row: int) -> None:
        job.progress = {"file": Path(source).name, "row": row}

    return progress


def _details(result: Result) -> dict[tuple[str, int], dict]:
    return {
        (record["source"], record["row"]): {
            "flags": record["flags"],
            "errors": record["errors"],
        }
        for record in result.iter_records()
    }


def load_batch(session: Session, batch_id: str, folder: Path, upload: Upload, job: Job) -> Batch:
    """Read the batch (or an approved review workbook) and keep it in the session."""
    if upload.review is not None:
        return _load_review(session, batch_id, folder, upload, job)
    options = build_options(
        orders_reports=[str(p) for p in upload.orders_reports],
        keep_records=True,
        **upload.options,
    )
    options.progress = _progress(job)
    with run([str(p) for p in upload.inputs], None, options) as result:
        review = folder / "review.xlsx"
        result.write_review(review)
        result.write_report(folder / "report.html")
        if result.rejected:
            result.write_rejects(folder / "rejects.csv")
        details = _details(result)
    rows = list(approvals.review_rows(review))
    title = ", ".join(p.name for p in upload.inputs)
    batch = Batch(batch_id, folder, title, review, rows, result, details)
    batch.start(i for i, row in enumerate(rows) if row.approvable and row.decision == "yes")
    session.batches[batch_id] = batch
    return batch


def _load_review(session: Session, batch_id: str, folder: Path, upload: Upload, job: Job) -> Batch:
    """A workbook approved in Excel: read through the seal first (every defence of the
    readers, every refusal of `--from-review`), then its rows shown as approved there."""
    assert upload.review is not None
    with approvals.from_review(upload.review, _progress(job), keep_records=True) as result:
        result.write_report(folder / "report.html")
        details = _details(result)
        refused = {entry["row"]: entry["why"] for entry in result.review_refused}
    rows = list(approvals.review_rows(upload.review))
    batch = Batch(batch_id, folder, upload.review.name, upload.review, rows, result, details)
    batch.refused = refused
    batch.start(
        i
        for i, row in enumerate(rows)
        if row.approvable and row.decision == "yes" and row.sheet_row not in refused
    )
    session.batches[batch_id] = batch
    return batch


def projection(batch: Batch) -> list[dict]:
    """The rate of each marketplace if the approved rows were sent: the library's own
    projection (`Result.project`) of the approved rows' distinct counting orders, the
    figure `generate --from-review` puts in the JSON's `metrics`."""
    result = batch.result
    main = result.metrics["marketplace"]
    counting: dict[str, set[str]] = {}
    for index in batch.approved:
        row = batch.rows[index]
        if row.counts and row.approvable:
            counting.setdefault(row.marketplace or main, set()).add(row.order_id)
    markets = {b.market.code: b for b in result.markets}
    shown = []
    for code in sorted({main, *markets}, key=lambda c: (c != main, c)):
        orders = len(counting.get(code, ()))
        if code in markets:
            part = markets[code]
            metrics = result.project(orders, part.market, part.figures)
        else:
            metrics = result.project(orders)
        shown.append({**metrics, "counting_orders": orders})
    return shown


def summary_of(batch: Batch) -> dict:
    result = batch.result
    return {
        "verdict": verdict(result),
        "summary": result.summary,
        "listing_risks": result.listing_risks,
        "budget": list(result.budget.values()),
    }


def leave(batch: Batch, ledger_on: bool, allow_over_target: bool, job: Job) -> dict:
    """What `generate --from-review` writes for the page's approvals: the upload file(s)
    per marketplace, the report and the rejects, and (unless told not to) the ledger batch."""
    number = len(list(batch.folder.glob("out-*"))) + 1
    out = batch.folder / f"out-{number}"
    out.mkdir(mode=0o700)
    workbook = approvals.write_approvals(
        batch.review_path,
        out / "approved-review.xlsx",
        {batch.rows[i].token for i in batch.approved},
    )
    with approvals.from_review(
        workbook, _progress(job), no_ledger=not ledger_on, allow_over_target=allow_over_target
    ) as result:
        outputs = result.write_outputs(out, json_path=out / "report.json", record=ledger_on)
        left = {
            "folder": out,
            "outputs": outputs,
            "batch_ids": list(result.batch_ids),
            "nothing_to_upload": result.nothing_to_upload,
            "gate_tripped": result.gate_tripped(),
            "verdict": verdict(result),
            "metrics": result.metrics,
            "review_refused": result.review_refused,
            "skipped": result.summary.get("skipped_by_code", {}),
        }
    batch.left = left
    return left


def files_of(batch: Batch) -> list[tuple[str, str, Path]]:
    """(label, file name, path) of each file a person may download: the check's report and
    rejects, then what the last "leave" wrote."""
    found: list[tuple[str, str, Path]] = [
        (label, path.name, path)
        for label, path in (
            ("risk report of the whole batch", batch.folder / "report.html"),
            ("rejected rows of the whole batch", batch.folder / "rejects.csv"),
        )
        if path.is_file()
    ]
    if batch.left is None:
        return found
    outputs = batch.left["outputs"]
    for path in outputs.get("flat_files") or (
        [outputs["flat_file"]] if outputs["flat_file"] else []
    ):
        found.append(("upload file", Path(path).name, Path(path)))
    for role, label in (("report", "report of the approved rows"), ("rejects", "rejects")):
        if outputs.get(role):
            found.append((label, Path(outputs[role]).name, Path(outputs[role])))
    return found


def ledger_path() -> Path:
    """The ledger the command line uses (the config's `ledger`, `CANCELKIT_LEDGER`, ...)."""
    config = load_config(None)
    path = resolve_ledger_path(config.settings.get("ledger"))
    assert path is not None
    return path


def credentials_set() -> bool:
    """Whether SP-API credentials are set (never what they are: no secret reaches the page)."""
    try:
        config = load_config(None)
        amazon = spapi_settings(None, config.amazon, config.path)
    except CancelkitError:  # unusable settings: `submit` would say why; the page offers no send
        return False
    return amazon.credentials is not None


def send(batch_ids: list[str], job: Job) -> None:
    """`cancelkit submit` for each ledger batch of the upload: its live status lines go to
    the job, then the reconcile outcome."""
    for batch_id in batch_ids:
        try:
            outcome = submit(batch_id, wait=None, say=job.say)
        except StillProcessing as exc:
            job.say(
                f"feed {exc.feed_id} {exc.status}: Amazon is still processing; send again later"
            )
            job.outcome["still_processing"] = True
            continue
        job.say(reconcile_text.outcome_text(outcome, outcome.retry_path))
        job.outcome.setdefault("batches", []).append(
            {
                "batch": outcome.batch.id,
                "feed": outcome.submission.feed_id if outcome.submission else None,
                "confirmed": outcome.confirmed,
                "failed": len(outcome.failed),
                "ok": outcome.ok,
                "retry": outcome.retry_path,
            }
        )


def history() -> tuple[Path, list[dict]]:
    path = ledger_path()
    if not path.exists():
        return path, []
    with Ledger.open(path) as book:
        return path, [b.as_dict() for b in book.batches()]


def reconcile_dropped(report: Path, folder: Path) -> dict:
    """`cancelkit reconcile REPORT`: the outcome and the retry file (in `folder`)."""
    path = ledger_path()
    if not path.exists():
        raise InputError(f"no ledger at {path}: record a batch first", code="ledger_missing")
    outcome, written = reconcile_report(report, path, None, None, False, folder)
    retry = None if written is None else Path(written)
    return {
        "text": reconcile_text.outcome_text(outcome, retry.name if retry else None),
        "ok": outcome.ok,
        "batch": outcome.batch.id,
        "confirmed": outcome.confirmed,
        "failed": len(outcome.failed),
        "retry": retry,
    }


__all__ = ["CancelkitError", "Upload", "leave", "load_batch", "projection"]
