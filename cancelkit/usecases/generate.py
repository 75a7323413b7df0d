"""`generate`: validate and assess the inputs, write the upload file and reports, record the
batch in the ledger: one transaction (plan, run, stage, commit), then the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from ..options import Options
from ..write.outputs import GenerateOutputs as GenerateOutputs  # the command line's name
from ..write.outputs import write_generate
from ..write.plan import OutputPlan
from ..write.result import NOTHING_TO_UPLOAD
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


def generate(
    inputs: Sequence[str],
    outputs: GenerateOutputs,
    settings: RunSettings,
    talk: Talk = NORMAL,
    *,
    from_review: str | None = None,
    stdout: TextIO | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """What `cancelkit generate` does: check every output (and the ledger) before the first
    input row is read, run, write the outputs staged and record the batch in the ledger
    once they are all in place (a failure takes every file back), then say the summary.

    `outputs.json_path` / `jsonl_path` "-" go to `stdout` (default sys.stdout). The exit
    code: GATE when the risk gate trips, REJECTED when rows were rejected, else OK.
    """
    json_path, jsonl_path = _text(outputs.json_path), _text(outputs.jsonl_path)
    one_stdout(json_path, jsonl_path)
    clock = Clock()

    def plan(check: OutputPlan, options: Options) -> None:
        outputs.plan(check, options.ledger)

    keep = bool(json_path or jsonl_path) or talk.verbose  # exact flag counts need records
    result = checked_run(
        inputs,
        settings,
        keep_records=keep,
        from_review=from_review,
        force=outputs.force,
        plan_outputs=plan,
        progress=progress,
    )
    clock.check_done()
    with result:
        written = write_generate(result, outputs, record=True)
        reports_to_stdout(result, json_path, jsonl_path, stdout)
        messages = summary(result, talk, clock)
        if result.nothing_to_upload and not talk.quiet:
            messages.append(Message(NOTHING_TO_UPLOAD))
        return Outcome(exit_code(result), written, messages, list(result.batch_ids))


def _text(path: object) -> str | None:
    return None if path is None else str(path)
