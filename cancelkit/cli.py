"""The command line: each command parses options and calls the library."""

from __future__ import annotations

import functools
import json
import os
import sys
import time

import click

from . import interrupts
from .amazon import reasons
from .api import fetch_orders, submit
from .codes import CODES, printable
from .errors import CancelkitError
from .interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated
from .ledger import reconcile
from .ledger import store as ledger
from .ledger.submit import DEFAULT_WAIT_S, StillProcessing
from .options import build_options, parse_figures, resolve_ledger_path
from .pipeline.run import run
from .version import __version__
from .write.files import Staging
from .write.plan import OutputPlan
from .write.result import NOTHING_TO_UPLOAD
from .write.retry import reconcile_report
from .write.verdict import plan_lines, terminal_summary
from .write.workbook import write_template

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_GATE, EXIT_PROCESSING = 0, 1, 2, 3, 4
__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "Terminated", "cli", "main"]


def _fail(message: str, code: str | None = None) -> None:
    # one line even when a message quotes a cell holding a line break
    message = " ".join(message.splitlines())
    # a message may quote a cell or a header: its control characters never reach the terminal
    message = printable(message)
    suffix = f" [{code}]" if code else ""
    click.echo(f"cancelkit: error: {message}{suffix}", err=True)
    sys.exit(EXIT_USAGE)


def _guarded(command):
    """Turn the library's errors for unusable input into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            # the options are parsed: from here a signal raises, so what is staged is taken back
            interrupts.working()
            return command(*args, **kwargs)
        except CancelkitError as exc:
            _fail(str(exc), exc.code)
        except ValueError as exc:  # e.g. a report path with an unknown suffix
            _fail(str(exc), "usage")
        except KeyboardInterrupt:
            # the outputs were staged and are taken back; the ledger batch was not committed
            click.echo("cancelkit: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Terminated:
            click.echo("cancelkit: terminated", err=True)
            sys.exit(EXIT_TERMINATED)

    return wrapper


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
    names = ("sheet", "marketplace", "orders_7d", "cancels_7d", "fail_on", "allow_over_target")
    names += ("config",)
    names += ("orders_reports", "ledger", "no_ledger")

    @functools.wraps(command)
    def gathered(*args, **kwargs):
        kwargs["metric"] = {name: kwargs.pop(name) for name in names}
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


def _talk(quiet: bool, verbose: bool) -> str:
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")
    return "quiet" if quiet else "verbose" if verbose else "normal"


class _Progress:
    """Rows read so far, redrawn in place on stderr (a terminal only; see `_run_check`)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, source: str, row: int) -> None:
        if os.getpid() != self.pid:
            return  # the second-half reader of a large file reads in a forked worker
        elapsed = time.monotonic() - self.start
        click.echo(f"\r\x1b[Kreading {source}: row {row:,} ({elapsed:.0f} s)", err=True, nl=False)
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\x1b[K", err=True, nl=False)


def _run_check(
    inputs, metric: dict, keep: bool, from_review=None, talk: str = "normal", outputs=None
):
    """Run the library's check with the shared options of generate, check and review.

    `outputs(plan, options)` names the command's outputs in its output plan
    (write/plan.py), checked before the first input row is read.

    A progress line is shown while reading when stderr is a terminal (never in pipes or CI)
    and the input is big enough for the pipeline to report progress (about 65,000 rows).
    """
    if not inputs and not from_review:
        _fail("no INPUT given; name a CSV, TSV or xlsx file, or - for stdin")
    options = build_options(
        from_review=from_review,
        sheet=metric["sheet"],
        marketplace=metric["marketplace"],
        orders_in_window=metric["orders_7d"],
        cancels_in_window=metric["cancels_7d"],
        fail_on=metric["fail_on"],
        allow_over_target=metric["allow_over_target"],
        config=metric["config"],
        orders_reports=list(metric["orders_reports"]),
        ledger=metric["ledger"],
        no_ledger=metric["no_ledger"],
        keep_records=keep or talk == "verbose",  # exact flag counts come from the records
    )
    if outputs is not None:
        plan = OutputPlan(
            [*inputs, options.from_review, *options.orders_reports, metric["config"]],
            force=metric.get("force", False),
        )
        outputs(plan, options)
    progress = _Progress() if talk != "quiet" and sys.stderr.isatty() else None
    options.progress = progress
    try:
        return run(list(inputs), None, options)
    finally:
        if progress is not None:
            progress.clear()


def _say_summary(result, talk: str, timings: dict[str, float]) -> None:
    if talk != "quiet":
        verbose = talk == "verbose"
        text = terminal_summary(result, color=_color(), verbose=verbose, timings=timings)
        click.echo(text, err=True)


def _one_stdout(json_path: str | None, jsonl_path: str | None) -> None:
    if json_path == "-" and jsonl_path == "-":
        _fail("--json - and --jsonl - would both write to stdout; name a file for one")


def _exit_code(result, review: bool = False) -> int:
    # a review is the way on from an over-target batch: only --fail-on stops it
    tripped = result.gate_tripped()
    if review and result.over_target_blocked():
        tripped = result.options.fail_on != "none" and result.gate_tripped(result.options.fail_on)
    if tripped:
        return EXIT_GATE
    return EXIT_REJECTED if result.rejected else EXIT_OK


def _color() -> bool:
    # https://no-color.org: a set, non-empty NO_COLOR turns colour off
    return sys.stderr.isatty() and not os.environ.get("NO_COLOR")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cancelkit")
def cli() -> None:
    """Validate Amazon order cancellations, check their Cancellation Rate impact, and write
    Amazon's Order Cancellation flat file."""


@cli.command()
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
def generate(
    inputs,
    metric,
    out_dir,
    flat_file,
    report,
    json_path,
    jsonl_path,
    rejects,
    force,
    from_review,
    max_rows_per_file,
    quiet,
    verbose,
) -> None:
    """Validate and assess INPUT files and write the upload file and reports.

    \b
    Example:
      cancelkit generate cancellations.csv --orders-7d 4000 --cancels-7d 12
      cancelkit generate big.csv --max-rows-per-file 20000 --quiet
    """
    talk = _talk(quiet, verbose)
    started = time.perf_counter()
    _one_stdout(json_path, jsonl_path)

    def outputs(plan: OutputPlan, options) -> None:
        plan.folder(out_dir)
        plan.output("upload file", flat_file)
        plan.output("report", report)
        plan.output("JSON report", json_path)
        plan.output("JSON Lines report", jsonl_path)
        plan.output("rejects file", rejects)
        plan.ledger(options.ledger)

    metric["force"] = force
    keep = bool(json_path or jsonl_path)
    result = _run_check(inputs, metric, keep, from_review, talk, outputs)
    checked = time.perf_counter()
    with result:
        result.write_outputs(
            out_dir,
            flat_file=flat_file,
            report=report,
            json_path=json_path,
            jsonl_path=jsonl_path,
            rejects=rejects,
            force=force,
            max_rows_per_file=max_rows_per_file,
            record=True,
        )
        if json_path == "-":
            result.write_json(click.open_file("-", "w"))
        if jsonl_path == "-":
            result.write_jsonl(click.open_file("-", "w"))
        timings = {"read and check": checked - started, "write": time.perf_counter() - checked}
        _say_summary(result, talk, timings)
        if result.nothing_to_upload and talk != "quiet":
            click.echo(NOTHING_TO_UPLOAD, err=True)
        sys.exit(_exit_code(result))


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
    inputs, metric, report, json_path, jsonl_path, force, show_plan, quiet, verbose
) -> None:
    """Validate and assess INPUT files and print the summary; write only what is asked.

    \b
    Example:
      cancelkit check cancellations.xlsx --orders-7d 4000 --json -
    """
    talk = _talk(quiet, verbose)
    started = time.perf_counter()
    _one_stdout(json_path, jsonl_path)

    def outputs(plan: OutputPlan, options) -> None:
        plan.read_only("ledger", options.ledger)
        plan.output("report", report)
        plan.output("JSON report", json_path)
        plan.output("JSON Lines report", jsonl_path)

    metric["force"] = force
    keep = bool(json_path or jsonl_path) or show_plan
    result = _run_check(inputs, metric, keep, talk=talk, outputs=outputs)
    checked = time.perf_counter()
    with result:
        with Staging() as staging:  # the report and the JSON together, or neither
            if report:
                result.write_report(report, force=force)
            if json_path and json_path != "-":
                result.write_json_file(json_path, force=force)
            if jsonl_path and jsonl_path != "-":
                result.write_jsonl_file(jsonl_path, force=force)
            staging.commit()
        if json_path == "-":
            result.write_json(click.open_file("-", "w"))
        if jsonl_path == "-":
            result.write_jsonl(click.open_file("-", "w"))
        timings = {"read and check": checked - started, "write": time.perf_counter() - checked}
        _say_summary(result, talk, timings)
        if show_plan:
            click.echo("\n".join(plan_lines(result)), err=json_path == "-")
        sys.exit(_exit_code(result))


@cli.command(name="reasons")
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def reasons_command(as_json: bool) -> None:
    """List the cancellation reason codes and how each affects the Cancellation Rate.

    \b
    Example:
      cancelkit reasons
    """
    if as_json:
        click.echo(json.dumps(reasons.catalogue_json(), indent=2))
        return
    width = max(len(r.code) for r in reasons.CATALOGUE)
    for r in reasons.CATALOGUE:
        where = "" if r.accepted_in_flat_file else " [not in flat file]"
        click.echo(f"{r.code:<{width}}  {r.effect_text}{where}")
    click.echo("")
    click.echo(CODES["counts_against_rate"].explanation)


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
def template_command(output, force) -> None:
    """Write a blank input workbook for spreadsheet users (Text-formatted id columns,
    reason drop-down, instructions and the reason catalogue).

    \b
    Example:
      cancelkit template -o cancellations.xlsx
    """
    OutputPlan(force=force).output("template", output)
    write_template(output, force=force)
    click.echo(f"template: {output}", err=True)


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
def review_command(inputs, metric, output, force, quiet, verbose) -> None:
    """Validate and assess INPUT files and write a review workbook in which a person
    approves rows; then `cancelkit generate --from-review` uploads only the approved ones.

    \b
    Example:
      cancelkit review cancellations.csv --orders-7d 4000 -o review.xlsx
    """
    talk = _talk(quiet, verbose)
    started = time.perf_counter()
    metric["force"] = force

    def outputs(plan: OutputPlan, options) -> None:
        plan.read_only("ledger", options.ledger)
        plan.output("review", output)

    result = _run_check(inputs, metric, True, talk=talk, outputs=outputs)
    checked = time.perf_counter()
    with result:
        result.write_review(output, force=force)
        timings = {"read and check": checked - started, "write": time.perf_counter() - checked}
        _say_summary(result, talk, timings)
        sys.exit(_exit_code(result, review=True))


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
    path = resolve_ledger_path(ledger_path)
    plan = OutputPlan([processing_report], force=force)
    plan.ledger(path, create=False)
    plan.output("retry file", retry_path)
    outcome, written = reconcile_report(processing_report, path, batch_id, retry_path, force)
    click.echo(reconcile.outcome_text(outcome, written))
    sys.exit(EXIT_OK if outcome.ok else EXIT_REJECTED)


@cli.command(name="confirm")
@click.option(
    "--batch",
    "batch_id",
    help="Batch id (default: the one batch awaiting confirmation; see `history`).",
)
@_ledger_path_option
@_guarded
def confirm_command(batch_id, ledger_path) -> None:
    """Mark a batch confirmed after uploading it, when you do not fetch Amazon's
    processing report (with one, use `cancelkit reconcile`).

    \b
    Example:
      cancelkit confirm
    """
    path = resolve_ledger_path(ledger_path)
    OutputPlan().ledger(path, create=False)
    with ledger.Ledger.open(path, create=False) as book:
        batch = reconcile.batch_to_confirm(book, batch_id)
        changed = book.confirm(batch.id)
    click.echo(ledger.confirm_text(batch, changed))


@cli.command(name="history")
@click.option("--days", type=click.IntRange(min=1), help="Only batches of the last N days.")
@_ledger_path_option
@click.option("--json", "as_json", is_flag=True, help="Print the batches as JSON.")
@_guarded
def history_command(days, ledger_path, as_json) -> None:
    """List the batches in the ledger, newest first, with their rows' states.

    \b
    Example:
      cancelkit history --days 30
    """
    path = resolve_ledger_path(ledger_path)
    batches = []
    if path.exists():
        with ledger.Ledger.open(path) as book:
            batches = book.batches(days)
    if as_json:
        document = {"ledger": str(path), "batches": [b.as_dict() for b in batches]}
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(f"Ledger: {path}")
        click.echo(ledger.history_text(batches))


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
        sys.exit(EXIT_PROCESSING)
    except KeyboardInterrupt:
        # every step is in the ledger already: a rerun resumes, it never sends twice
        click.echo(
            "cancelkit: interrupted; run `cancelkit submit` again to resume (the batch is not "
            "sent twice)",
            err=True,
        )
        sys.exit(EXIT_INTERRUPTED)
    sent = "sent again" if outcome.resubmitted else "sent"
    click.echo(
        f"Batch {outcome.batch.id} {sent} as feed {outcome.submission.feed_id}; processing "
        f"report: {outcome.report_path}"
    )
    click.echo(reconcile.outcome_text(outcome, outcome.retry_path))
    sys.exit(EXIT_OK if outcome.ok else EXIT_REJECTED)


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
    OutputPlan([config], force=force).output("order report", output)
    lines = fetch_orders(output, marketplace, days, config=config, force=force, say=_say)
    click.echo(f"fetch-orders: {lines} order item lines written to {output}", err=True)


def main() -> None:
    """Run the command line (cancelkit/entry.py calls it after installing the interrupt
    handling before the heavy imports; an older console script calls it directly)."""
    interrupts.install()
    cli(prog_name="cancelkit")
