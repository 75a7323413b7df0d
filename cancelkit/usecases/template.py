"""`template`: write the blank input workbook for spreadsheet users."""

from __future__ import annotations

from ..write.plan import OutputPlan
from ..write.workbook import write_template
from .outcome import ExitCode, Message, Outcome


def template(output: str, force: bool = False) -> Outcome:
    """Check the path in the output plan, then write the workbook (atomically)."""
    OutputPlan(force=force).output("template", output)
    write_template(output, force=force)
    return Outcome(ExitCode.OK, {"template": output}, [Message(f"template: {output}")])
