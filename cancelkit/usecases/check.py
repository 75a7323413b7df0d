"""`check`: validate and assess the inputs and say the summary; write only the reports
asked for, together or none (the ledger is only read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from ..options import Options
from ..write.files import Staging
from ..write.plan import OutputPlan
from ..write.result import Result
from ..write.terminal import plan_lines
from .outcome import NORMAL, Message, Outcome, Talk
from .running import (
    Clock,
    Progress,
    RunSettings,
    checked_run,
    exit_code,
    one_stdout,
    reports_to_stdout,
    summary,
)


@dataclass(frozen=True)
class CheckOutputs:
    """The reports `cancelkit check` writes when asked: the risk report (.html or .md), the
    JSON and the JSON Lines report ("-": standard output); `show_plan` says the proposed
    plan (on stdout; on stderr when the JSON goes there)."""

    report: str | None = None
    json_path: str | None = None
    jsonl_path: str | None = None
    force: bool = False
    show_plan: bool = False

    def plan(self, plan: OutputPlan, ledger: str | None) -> None:
        plan.read_only("ledger", ledger)
        plan.output("report", self.report)
        plan.output("JSON report", self.json_path)
        plan.output("JSON Lines report", self.jsonl_path)

    def write(self, result: Result) -> None:
        """The report and the JSON together, or neither (staged)."""
        with Staging() as staging:
            if self.report:
                result.write_report(self.report, force=self.force)
            if self.json_path and self.json_path != "-":
                result.write_json_file(self.json_path, force=self.force)
            if self.jsonl_path and self.jsonl_path != "-":
                result.write_jsonl_file(self.jsonl_path, force=self.force)
            staging.commit()


def check(
    inputs: Sequence[str],
    outputs: CheckOutputs,
    settings: RunSettings,
    talk: Talk = NORMAL,
    *,
    stdout: TextIO | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """What `cancelkit check` does: plan the reports asked for, run, write them staged,
    then the summary (and the plan). Exit code as `generate`'s; nothing is recorded."""
    one_stdout(outputs.json_path, outputs.jsonl_path)
    clock = Clock()

    def plan(check: OutputPlan, options: Options) -> None:
        outputs.plan(check, options.ledger)

    keep = bool(outputs.json_path or outputs.jsonl_path) or outputs.show_plan or talk.verbose
    result = checked_run(
        inputs,
        settings,
        keep_records=keep,
        force=outputs.force,
        plan_outputs=plan,
        progress=progress,
    )
    clock.check_done()
    with result:
        outputs.write(result)
        reports_to_stdout(result, outputs.json_path, outputs.jsonl_path, stdout)
        messages = summary(result, talk, clock)
        if outputs.show_plan:
            text = "\n".join(plan_lines(result))
            messages.append(Message(text, "stderr" if outputs.json_path == "-" else "stdout"))
        return Outcome(exit_code(result), dict(result.outputs), messages)
