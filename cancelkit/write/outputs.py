"""What `cancelkit generate` writes, as one staged transaction: the plan of its names, the
files, then the ledger batch (write/ledger_batch.py), or nothing at all.

`GenerateOutputs` names the outputs; `GenerateOutputs.plan` checks them in the output plan
before the first input row is read (usecases/generate.py), and `write_generate` writes
them once the run is done: the one plan of both the command line and
`Result.write_outputs`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..assess.market_shares import MarketBatch
from ..errors import OutputError
from ..ledger.schema import batch_stamp
from ..options import Options
from .files import Staging, free_name, remove_stale_temporaries
from .plan import OutputPlan, reserved_names, usable_path
from .report import report_format_for

#: a path as the library takes it (the command line gives str)
PathArg = str | os.PathLike[str]


def report_format(path: PathArg) -> str:
    """The report format ("html" or "md") of a report path, or `report_format` (an
    OutputError, exit 2) for another suffix, before anything is written."""
    try:
        return report_format_for(path)
    except ValueError as exc:
        raise OutputError(f"{os.fspath(path)}: {exc}", code="report_format") from None


class GenerateResult(Protocol):
    """What `write_generate` needs of a `Result` (write/result.py)."""

    inputs: list[dict]
    options: Options
    outputs: dict
    nothing_to_upload: bool
    generated_at: dt.datetime
    markets: list[MarketBatch]

    @property
    def accepted(self) -> int: ...

    @property
    def rejected(self) -> int: ...

    def gate_tripped(self, fail_on: str | None = None) -> bool: ...

    def flat_file_parts(self, path: str | Path, max_rows: int | None = None) -> list[Path]: ...

    def write_flat_file(
        self,
        path: str | Path,
        force: bool = False,
        max_rows: int | None = None,
        allow_over_target: bool = False,
    ) -> Path: ...

    def write_rejects(self, path: str | Path, force: bool = False) -> Path: ...

    def write_json_file(self, path: str | Path, force: bool = False) -> Path: ...

    def write_jsonl_file(self, path: str | Path, force: bool = False) -> Path: ...

    def write_report(self, path: str | Path, force: bool = False) -> Path: ...

    def record_in_ledger(self) -> str | None: ...


@dataclass(frozen=True)
class GenerateOutputs:
    """The outputs of `cancelkit generate`: files not named go into `out_dir` under names
    carrying the batch time; `json_path` / `jsonl_path` "-" mean standard output (or, from
    `Result.write_outputs`, "not written"); `max_rows_per_file` splits the upload file into
    numbered parts; `default_report` writes the report into `out_dir` when not named."""

    out_dir: PathArg = "cancelkit-out"
    flat_file: PathArg | None = None
    report: PathArg | None = None
    json_path: PathArg | None = None
    jsonl_path: PathArg | None = None
    rejects: PathArg | None = None
    force: bool = False
    default_report: bool = True
    max_rows_per_file: int | None = None

    def plan(self, plan: OutputPlan, ledger: str | None) -> None:
        """Check the named outputs, the out-dir and the ledger before the run reads a row."""
        plan.folder(self.out_dir)
        plan.output("upload file", self.flat_file)
        plan.output("report", self.report)
        plan.output("JSON report", self.json_path)
        plan.output("JSON Lines report", self.jsonl_path)
        plan.output("rejects file", self.rejects)
        plan.ledger(ledger)

    def usable(self) -> Path:
        """Every named path a str or os.PathLike (`path_type`); returns the out-dir."""
        folder = usable_path(self.out_dir, "out-dir")
        for role, given in (
            ("upload file", self.flat_file),
            ("report", self.report),
            ("JSON report", self.json_path),
            ("rejects file", self.rejects),
        ):
            if given is not None:
                usable_path(given, role)  # bytes, 5: `path_type` before anything is written
        return folder


@dataclass(frozen=True)
class _Targets:
    """The paths one generate writes (None: not written)."""

    flat_file: Path | None
    flat_parts: list[Path]
    rejects: Path | None
    report: Path | None
    json: Path | None
    jsonl: Path | None


def _stdout_or_path(given: PathArg | None) -> Path | None:
    return Path(given) if given and str(given) != "-" else None


def _targets(result: GenerateResult, outputs: GenerateOutputs, folder: Path) -> _Targets:
    """Name the outputs not named (in the out-dir, under a free stem)."""
    stem = _free_stem(result, folder, outputs.max_rows_per_file)
    # no row left to upload (every row rejected, e.g. an all-orders report whose orders
    # are all shipped): no upload file, so no 0-row ledger batch either
    result.nothing_to_upload = not result.accepted and not result.gate_tripped()
    flat_file: Path | None = None
    flat_parts: list[Path] = []
    if not (result.gate_tripped() or result.nothing_to_upload):
        flat_file = Path(outputs.flat_file or folder / f"{stem}.txt")
        flat_parts = result.flat_file_parts(flat_file, outputs.max_rows_per_file)
    rejects = Path(outputs.rejects) if outputs.rejects else None
    if rejects is None and result.rejected:
        rejects = folder / f"{stem}-rejects.csv"
    report = Path(outputs.report) if outputs.report else None
    if report is None and outputs.default_report:
        report = folder / f"{stem}-report.html"
    return _Targets(
        flat_file,
        flat_parts,
        rejects,
        report,
        _stdout_or_path(outputs.json_path),
        _stdout_or_path(outputs.jsonl_path),
    )


def _check(check: OutputPlan, targets: _Targets) -> None:
    parts = targets.flat_parts
    for number, part in enumerate(parts, start=1):
        check.output("upload file" if len(parts) == 1 else f"upload part {number}", part)
    check.output("rejects file", targets.rejects)
    check.output("report", targets.report)
    check.output("JSON report", targets.json)
    check.output("JSON Lines report", targets.jsonl)
    if targets.report is not None:
        report_format(targets.report)  # an unknown suffix fails before any write


def _write(result: GenerateResult, targets: _Targets, outputs: GenerateOutputs) -> None:
    force = outputs.force
    if targets.flat_file is not None:
        result.write_flat_file(targets.flat_file, force=force, max_rows=outputs.max_rows_per_file)
    if targets.rejects is not None:
        result.write_rejects(targets.rejects, force=force)
    if targets.report is not None:
        result.outputs["report"] = str(targets.report)
    if targets.json is not None:
        result.write_json_file(targets.json, force=force)
    if targets.jsonl is not None:
        result.write_jsonl_file(targets.jsonl, force=force)
    if targets.report is not None:
        result.write_report(targets.report, force=force)


def write_generate(
    result: GenerateResult, outputs: GenerateOutputs, record: bool = False
) -> dict[str, object]:
    """Write what `cancelkit generate` writes, staged: every target is checked before
    anything is written (a refused overwrite leaves nothing half done), the files are
    renamed into place together, then, with `record`, the batch is recorded in the ledger
    (`record_in_ledger`); a failure anywhere takes every file back. Returns the outputs
    written (the JSON report's `outputs`)."""
    folder = outputs.usable()
    options = result.options
    read = [i["path"] for i in result.inputs]
    read += [*options.orders_reports, options.from_review]
    check = OutputPlan([*read, options.config_path], outputs.force)
    # concurrent runs into one out-dir choose and write their names one at a time
    with reserved_names(folder), Staging() as staging:
        remove_stale_temporaries(folder)  # what a killed earlier run left behind
        targets = _targets(result, outputs, folder)
        _check(check, targets)
        if record:
            check.ledger(options.ledger)
        _write(result, targets, outputs)
        # every file in place, then the ledger batch; a failure takes the files back
        commit: Callable[[], object] | None = result.record_in_ledger if record else None
        staging.commit(commit)
    return dict(result.outputs)


def _free_stem(result: GenerateResult, folder: Path, max_rows_per_file: int | None) -> str:
    stamp = batch_stamp(result.generated_at.astimezone())
    suffixes: Sequence[str] = [".txt", "-report.html", "-rejects.csv"]
    if max_rows_per_file is not None or len(result.markets) > 1:
        parts = result.flat_file_parts("x.txt", max_rows_per_file)
        suffixes = [*suffixes, *(part.name[1:] for part in parts)]  # "-1.txt", "-DE.txt"
    return free_name(folder, f"cancellations-{stamp}", list(suffixes))
