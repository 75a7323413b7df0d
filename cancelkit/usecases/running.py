"""The first half of generate, check and review: their shared options, the output plan
checked before the first input row is read, the run, and the second half's common end (the
summary, the exit code, the reports on standard output)."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO, cast

from ..errors import OutputError
from ..options import Options, build_options
from ..pipeline.run import run
from ..write.plan import OutputPlan
from ..write.result import Result
from ..write.terminal import terminal_summary
from .outcome import ExitCode, Message, Talk

#: a progress line's callback: `progress(source, row_number)` (Options.progress)
Progress = Callable[[str, int], None]
#: names a use case's outputs in the output plan (write/plan.py), given the run's options
PlanOutputs = Callable[[OutputPlan, Options], None]


@dataclass(frozen=True)
class RunSettings:
    """What generate, check and review share (the command line's options of the same
    names): the inputs' sheet, the marketplace, the window figures (a number, or one per
    marketplace), the risk gate, the config file, the order reports and the ledger."""

    sheet: str | None = None
    marketplace: str | None = None
    orders_7d: int | Mapping[str, int] | None = None
    cancels_7d: int | Mapping[str, int] | None = None
    fail_on: str | None = None
    allow_over_target: bool = False
    config: str | None = None
    orders_reports: Sequence[str] = ()
    ledger: str | None = None
    no_ledger: bool = False

    def options(self, from_review: str | None = None, keep_records: bool = True) -> Options:
        """The run's options (explicit values over the config file over the defaults)."""
        return build_options(
            from_review=from_review,
            sheet=self.sheet,
            marketplace=self.marketplace,
            orders_in_window=self.orders_7d,
            cancels_in_window=self.cancels_7d,
            fail_on=self.fail_on,
            allow_over_target=self.allow_over_target,
            config=self.config,
            orders_reports=list(self.orders_reports),
            ledger=self.ledger,
            no_ledger=self.no_ledger,
            keep_records=keep_records,
        )


def checked_run(
    inputs: Sequence[str],
    settings: RunSettings,
    *,
    keep_records: bool,
    from_review: str | None = None,
    force: bool = False,
    plan_outputs: PlanOutputs | None = None,
    progress: Progress | None = None,
) -> Result:
    """Build the options, check the outputs `plan_outputs` names (before the first input
    row is read), and run the pipeline; returns its `Result` (close it, or use `with`)."""
    options = settings.options(from_review, keep_records)
    if plan_outputs is not None:
        read = [*inputs, options.from_review, *options.orders_reports, settings.config]
        plan_outputs(OutputPlan(read, force=force), options)
    options.progress = progress
    return run(list(inputs), None, options)


class Clock:
    """The timings of `--verbose`: reading and checking, then writing."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.checked = self.started

    def check_done(self) -> None:
        self.checked = time.perf_counter()

    def timings(self) -> dict[str, float]:
        return {
            "read and check": self.checked - self.started,
            "write": time.perf_counter() - self.checked,
        }


def summary(result: Result, talk: Talk, clock: Clock) -> list[Message]:
    """The terminal summary on standard error (nothing with `quiet`)."""
    if talk.quiet:
        return []
    text = terminal_summary(result, color=talk.color, verbose=talk.verbose, timings=clock.timings())
    return [Message(text)]


def exit_code(result: Result, review: bool = False) -> ExitCode:
    """GATE when the risk gate trips, REJECTED when rows were rejected, else OK. A review
    is the way on from an over-target batch: there only `--fail-on` trips the gate."""
    tripped = result.gate_tripped()
    if review and result.over_target_blocked():
        fail_on = result.options.fail_on
        tripped = fail_on != "none" and result.gate_tripped(fail_on)
    if tripped:
        return ExitCode.GATE
    return ExitCode.REJECTED if result.rejected else ExitCode.OK


def one_stdout(json_path: str | None, jsonl_path: str | None) -> None:
    """`--json -` and `--jsonl -` together would write two documents to standard output."""
    if json_path == "-" and jsonl_path == "-":
        raise OutputError(
            "--json - and --jsonl - would both write to stdout; name a file for one",
            code="output_twice",
        )


def reports_to_stdout(
    result: Result, json_path: str | None, jsonl_path: str | None, stdout: TextIO | None
) -> None:
    """Write the JSON (Lines) report asked for as "-" to `stdout` (default sys.stdout)."""
    stream = cast(io.TextIOBase, stdout if stdout is not None else sys.stdout)
    if json_path == "-":
        result.write_json(stream)
    if jsonl_path == "-":
        result.write_jsonl(stream)
