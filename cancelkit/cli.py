"""The command line: each command parses its options, calls one use case (usecases/) and
prints its outcome."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from typing import Any, NoReturn, TextIO, cast

import click

from . import interrupts
from .errors import CancelkitError, StillProcessing
from .interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated
from .options import parse_figures
from .usecases.check import CheckOutputs, check
from .usecases.confirm import confirm
from .usecases.generate import GenerateOutputs, generate
from .usecases.history import history
from .usecases.outcome import ExitCode, Outcome, Talk, TalkLevel
from .usecases.reconcile import reconcile_batch, submitted_text
from .usecases.review import review
from .usecases.running import RunSettings
from .usecases.send import fetch_orders_checked, submit
from .usecases.submit import DEFAULT_WAIT_S
from .usecases.template import template
from .version import __version__
from .write.terminal import Progress, color, error_line, reasons_text

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "Terminated", "cli", "main"]


def _fail(message: str, code: str | None = None) -> NoReturn:
    click.echo(error_line(message, code), err=True)
    sys.exit(ExitCode.USAGE)


def _guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's errors for unusable input into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            # the options are parsed: from here a signal raises, so what is staged is taken back
            interrupts.working()
            return command(*args, **kwargs)
        except CancelkitError as exc:
            _fail(str(exc), exc.code)
        except KeyboardInterrupt:
            # the outputs were staged and are taken back; the ledger batch was not committed
            click.echo("cancelkit: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except Terminated:
            click.echo("cancelkit: terminated", err=True)
            sys.exit(ExitCode.TERMINATED)

    return wrapper


def _say_outcome(outcome: Outcome) -> NoReturn:
    """Print the outcome's messages in order and exit with its code."""
    _print(outcome)
    sys.exit(outcome.exit_code)


def _print(outcome: Outcome) -> None:
    for message in outcome.messages:
        click.echo(message.text, err=message.stream == "stderr")


class _Figures(click.ParamType):
    """A plain number, or one per marketplace: `1200` or `DE=1200,FR=800`."""

    name = "N|CODE=N,..."

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return parse_figures(value, param.opts[0] if param else "figure")
        except CancelkitError as exc:
            self.fail(str(exc), param, ctx)


def _metric_options(command):
    options = [
        click.option("--sheet", help="Worksheet to read from xlsx inputs (default: the first)."),
        click.option(
            "--marketplace", help="Marketplace code for the target and window (default US)."
        ),
        click.option(
            "--orders-7d",
            type=_Figures(),
            help="All seller-fulfilled orders in the 7-day window, including those cancelled; "
            "per marketplace as DE=1200,FR=800.",
        ),
        click.option(
            "--cancels-7d",
            type=_Figures(),
            help="Seller cancellations already in the window, not counting this batch; per "
            "marketplace as DE=3,FR=0.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["none", "medium", "high"]),
            help="Risk gate: exit 3 and write no upload file when a record reaches this level.",
        ),
        click.option(
            "--allow-over-target",
            is_flag=True,
            help="Write the upload file even when the batch puts the rate over the target "
            "(without it: exit 3, reports only).",
        ),
        click.option(
            "--config",
            type=click.Path(dir_okay=False),
            help="TOML config file (default: ./cancelkit.toml when present).",
        ),
        click.option(
            "--orders-report",
            "orders_reports",
            multiple=True,
            type=click.Path(dir_okay=False),
            help="Amazon order report (Unshipped Orders or all orders) to join; repeatable.",
        ),
        click.option(
            "--ledger",
            type=click.Path(dir_okay=False),
            help="Ledger file (default: $CANCELKIT_LEDGER or the user data folder).",
        ),
        click.option("--no-ledger", is_flag=True, help="Neither read nor write the ledger."),
    ]
    names = [field.name for field in fields(RunSettings)]

    @functools.wraps(command)
    def gathered(*args, **kwargs):
        kwargs["settings"] = RunSettings(**{name: kwargs.pop(name) for name in names})
        return command(*args, **kwargs)

    for option in reversed(options):
        gathered = option(gathered)
    return gathered


def _talk_options(command):
    """`--quiet` and `--verbose` of generate, check and review."""
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Also print counts by risk, reason and flag code, and timings.",
    )(command)
    return click.option(
        "-q", "--quiet", is_flag=True, help="Print nothing but errors (no summary)."
    )(command)


def _talk(quiet: bool, verbose: bool) -> Talk:
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")
    level: TalkLevel = "quiet" if quiet else "verbose" if verbose else "normal"
    return Talk(level, color())  # stderr is a terminal and NO_COLOR is not set


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """The progress line of a terminal while reading, cleared before any printing."""
    progress = Progress.for_terminal(quiet)
    try:
        yield progress
    finally:
        if progress is not None:
            progress.clear()


def _with_progress(talk: Talk, call: Callable[[Progress | None], Outcome]) -> Outcome:
    with _progress(talk.quiet) as progress:
        return call(progress)


def _need_inputs(inputs: Sequence[str], from_review: str | None = None) -> None:
    if not inputs and not from_review:
        _fail("no INPUT given; name a CSV, TSV or xlsx file, or - for stdin")


def _one_stdout(json_path: str | None, jsonl_path: str | None) -> None:
    if json_path == "-" and jsonl_path == "-":
        _fail("--json - and --jsonl - would both write to stdout; name a file for one")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cancelkit")
def cli() -> None:
    """Validate Amazon order cancellations, check their Cancellation Rate impact, and write
    Amazon's Order Cancellation flat file."""


@cli.command(name="generate")
@click.argument("inputs", nargs=-1)
@_metric_options
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    default="cancelkit-out",
    show_default=True,
    help="Folder for outputs not named explicitly.",
)
@click.option("--flat-file", type=click.Path(dir_okay=False), help="Upload file path.")
@click.option("--report", type=click.Path(dir_okay=False), help="Risk report (.html or .md).")
@click.option("--json", "json_path", help="JSON report path, or - for stdout.")
@click.option(
    "--jsonl",
    "jsonl_path",
    help="JSON Lines report path (summary line, then one record a line), or - for stdout.",
)
@click.option("--rejects", type=click.Path(dir_okay=False), help="Rejected rows (CSV).")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option(
    "--from-review",
    type=click.Path(dir_okay=False),
    help="Take only the approved rows of a review workbook (see `cancelkit review`).",
)
@click.option(
    "--max-rows-per-file",
    type=click.IntRange(min=1),
    metavar="N",
    help="Split the upload into NAME-1.txt, NAME-2.txt, ... of at most N rows each.",
)
@_talk_options
@_guarded
def generate_command(
    inputs: tuple[str, ...],
    settings: RunSettings,
    from_review: str | None,
    quiet: bool,
    verbose: bool,
    **named: Any,  # GenerateOutputs' fields: --out-dir, --flat-file, --report, ...
) -> None:
    """Validate and assess INPUT files and write the upload file and reports.

    \b
    Example:
      cancelkit generate cancellations.csv --orders-7d 4000 --cancels-7d 12
      cancelkit generate big.csv --max-rows-per-file 20000 --quiet
    """
    talk = _talk(quiet, verbose)
    _need_inputs(inputs, from_review)
    _one_stdout(named["json_path"], named["jsonl_path"])
    outputs = GenerateOutputs(**named)
    outcome = _with_progress(
        talk,
        lambda progress: generate(
            inputs,
            outputs,
            settings,
            talk,
            from_review=from_review,
            stdout=cast(TextIO, click.open_file("-", "w")),
            progress=progress,
        ),
    )
    _say_outcome(outcome)


@cli.command(name="check")
@click.argument("inputs", nargs=-1)
@_metric_options
@click.option("--report", type=click.Path(dir_okay=False), help="Risk report (.html or .md).")
@click.option("--json", "json_path", help="JSON report path, or - for stdout.")
@click.option(
    "--jsonl",
    "jsonl_path",
    help="JSON Lines report path (summary line, then one record a line), or - for stdout.",
)
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option(
    "--plan",
    "show_plan",
    is_flag=True,
    help="Print the proposed plan: which counting rows to approve within the budget, which "
    "to hold (advice only).",
)
@_talk_options
@_guarded
def check_command(
    inputs: tuple[str, ...], settings: RunSettings, quiet: bool, verbose: bool, **named: Any
) -> None:
    """Validate and assess INPUT files and print the summary; write only what is asked.

    \b
    Example:
      cancelkit check cancellations.xlsx --orders-7d 4000 --json -
    """
    talk = _talk(quiet, verbose)
    _need_inputs(inputs)
    _one_stdout(named["json_path"], named["jsonl_path"])
    outputs = CheckOutputs(**named)  # --report, --json, --jsonl, --force, --plan
    outcome = _with_progress(
        talk,
        lambda progress: check(
            inputs,
            outputs,
            settings,
            talk,
            stdout=cast(TextIO, click.open_file("-", "w")),
            progress=progress,
        ),
    )
    _say_outcome(outcome)


@cli.command(name="reasons")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def reasons_command(as_json: bool) -> None:
    """List the cancellation reason codes and how each affects the Cancellation Rate.

    \b
    Example:
      cancelkit reasons
    """
    click.echo(reasons_text(as_json))


@cli.command(name="template")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Path of the blank input workbook (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_guarded
def template_command(output: str, force: bool) -> None:
    """Write a blank input workbook for spreadsheet users (Text-formatted id columns,
    reason drop-down, instructions and the reason catalogue).

    \b
    Example:
      cancelkit template -o cancellations.xlsx
    """
    _print(template(output, force))


@cli.command(name="review")
@click.argument("inputs", nargs=-1)
@_metric_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Path of the review workbook (.xlsx).",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_talk_options
@_guarded
def review_command(
    inputs: tuple[str, ...],
    settings: RunSettings,
    output: str,
    force: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Validate and assess INPUT files and write a review workbook in which a person
    approves rows; then `cancelkit generate --from-review` uploads only the approved ones.

    \b
    Example:
      cancelkit review cancellations.csv --orders-7d 4000 -o review.xlsx
    """
    talk = _talk(quiet, verbose)
    _need_inputs(inputs)
    outcome = _with_progress(
        talk,
        lambda progress: review(inputs, output, settings, talk, force=force, progress=progress),
    )
    _say_outcome(outcome)


def _ledger_path_option(command):
    return click.option(
        "--ledger",
        "ledger_path",
        type=click.Path(dir_okay=False),
        help="Ledger file (default: $CANCELKIT_LEDGER, else cancelkit's user data folder).",
    )(command)


@cli.command(name="reconcile")
@click.argument("processing_report", type=click.Path(dir_okay=False))
@click.option(
    "--batch",
    "batch_id",
    help="Batch id (default: the one batch whose rows the report names; see `history`).",
)
@_ledger_path_option
@click.option(
    "--retry",
    "retry_path",
    type=click.Path(dir_okay=False),
    help="Retry file for the failed rows (default: REPORT-retry.csv next to the report).",
)
@click.option("--force", is_flag=True, help="Replace an existing --retry file.")
@_guarded
def reconcile_command(processing_report, batch_id, ledger_path, retry_path, force) -> None:
    """Apply Amazon's PROCESSING_REPORT to its batch: rows Amazon reports as errors become
    failed, the rest confirmed. Exit 1 when any row failed (the retry file holds those a
    retry can fix) or the report does not say clearly what happened (rows left
    unconfirmed).

    \b
    Example:
      cancelkit reconcile processing-report.txt --batch 20261126-080000-abcd
    """
    _say_outcome(reconcile_batch(processing_report, ledger_path, batch_id, retry_path, force))


@cli.command(name="confirm")
@click.option(
    "--batch",
    "batch_id",
    help="Batch id (default: the one batch awaiting confirmation; see `history`).",
)
@_ledger_path_option
@_guarded
def confirm_command(batch_id: str | None, ledger_path: str | None) -> None:
    """Mark a batch confirmed after uploading it, when you do not fetch Amazon's
    processing report (with one, use `cancelkit reconcile`).

    \b
    Example:
      cancelkit confirm
    """
    _print(confirm(batch_id, ledger_path))


@cli.command(name="history")
@click.option("--days", type=click.IntRange(min=1), help="Only batches of the last N days.")
@_ledger_path_option
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
@_guarded
def history_command(days: int | None, ledger_path: str | None, as_json: bool) -> None:
    """List the batches in the ledger, newest first, with their rows' states.

    \b
    Example:
      cancelkit history --days 30
    """
    _print(history(days, ledger_path, as_json))


def _say(text: str) -> None:
    click.echo(text, err=True)


@cli.command(name="submit")
@click.option("--batch", "batch_id", help="Batch id (default: the newest; see `history`).")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=DEFAULT_WAIT_S,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for Amazon's answer; then exit 4 (run submit again to resume).",
)
@_ledger_path_option
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="TOML config file with an [amazon] table (default: ./cancelkit.toml when present).",
)
@click.option(
    "--resubmit", is_flag=True, help="Send a batch that was already sent (a second feed)."
)
@_guarded
def submit_command(batch_id, wait, ledger_path, config, resubmit) -> None:
    """Send a batch's upload file to Amazon through the SP-API Feeds API, wait for the
    processing report, save it next to the upload file and reconcile it. Exit 0 or 1 as
    `reconcile`, 4 when Amazon is still processing when --wait ends.

    \b
    Example:
      cancelkit submit --wait 900
    """
    try:
        outcome = submit(batch_id, ledger_path, wait, resubmit=resubmit, config=config, say=_say)
    except StillProcessing as exc:
        click.echo(f"cancelkit: {exc}", err=True)
        click.echo(f"feed {exc.feed_id} {exc.status}")
        sys.exit(ExitCode.PROCESSING)
    except KeyboardInterrupt:
        # every step is in the ledger already: a rerun resumes, it never sends twice
        click.echo(
            "cancelkit: interrupted; run `cancelkit submit` again to resume (the batch is not "
            "sent twice)",
            err=True,
        )
        sys.exit(ExitCode.INTERRUPTED)
    _say_outcome(submitted_text(outcome))


@cli.command(name="fetch-orders")
@click.option("--marketplace", help="Marketplace code (default: the config's, else US).")
@click.option(
    "--days",
    type=click.IntRange(min=1, max=365),
    default=30,
    show_default=True,
    help="Orders created in the last N days.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The order report to write (tab-separated; give it to --orders-report).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="TOML config file with an [amazon] table (default: ./cancelkit.toml when present).",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_guarded
def fetch_orders_command(marketplace, days, output, config, force) -> None:
    """Fetch Amazon's unshipped merchant-fulfilled orders (state, items, buyer cancellation
    requests, ship-by date) through the Orders API into an order report for
    --orders-report, without buyer personal data.

    \b
    Example:
      cancelkit fetch-orders --marketplace DE -o orders-de.txt
      cancelkit generate cancellations.csv --marketplace DE --orders-report orders-de.txt
    """
    lines = fetch_orders_checked(output, marketplace, days, config=config, force=force, say=_say)
    click.echo(f"fetch-orders: {lines} order item lines written to {output}", err=True)


def main() -> None:
    """Run the command line (cancelkit/entry.py calls it once the interrupts are handled)."""
    interrupts.install()
    cli(prog_name="cancelkit")


@cli.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: a free one).",
)
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=200,
    show_default=True,
    help="Largest upload the page accepts, in MB.",
)
@_guarded
def serve_command(host, port, no_browser, max_upload_mb) -> None:
    """Open a local page to load, check, approve and send a batch in the browser (needs
    `pip install 'cancelkit[web]'`). Ctrl-C stops it and removes its working folder.

    \b
    Example:
      cancelkit serve
    """
    try:
        from .web import serve  # starlette is an optional extra
    except ImportError as exc:
        _fail(f"cancelkit serve needs the web extra: pip install 'cancelkit[web]' ({exc})")
    serve(host=host, port=port, open_browser=not no_browser, max_upload_mb=max_upload_mb, say=_say)
