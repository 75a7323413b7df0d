"""`review`: validate and assess the inputs and write the review workbook in which a person
approves rows (then `generate --from-review` uploads only those)."""

from __future__ import annotations

from collections.abc import Sequence

from ..options import Options
from ..write.plan import OutputPlan
from .outcome import NORMAL, Outcome, Talk
from .running import Clock, Progress, RunSettings, checked_run, exit_code, summary


def review(
    inputs: Sequence[str],
    output: str,
    settings: RunSettings,
    talk: Talk = NORMAL,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """What `cancelkit review` does: plan the workbook (the ledger is only read), run with
    every record kept, write the workbook, then the summary. The exit code is `check`'s,
    except that a batch over the target is not GATE here (the review is the way on): only
    `--fail-on` trips it."""
    clock = Clock()

    def plan(check: OutputPlan, options: Options) -> None:
        check.read_only("ledger", options.ledger)
        check.output("review", output)

    result = checked_run(
        inputs, settings, keep_records=True, force=force, plan_outputs=plan, progress=progress
    )
    clock.check_done()
    with result:
        result.write_review(output, force=force)
        messages = summary(result, talk, clock)
        return Outcome(exit_code(result, review=True), {"review": output}, messages)
