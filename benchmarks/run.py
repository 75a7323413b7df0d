"""cancelkit performance benchmarks: each work item against a plain baseline, in one run.

Every figure is a ratio to a baseline measured in the same invocation on the same data
(docs/design.md, "Performance goals"): absolute times on shared machines drift, ratios much less.
Each side runs as its own subprocess (so both pay interpreter start-up), the sides are
interleaved, and the median of each side is compared. Peak memory is the child's maximum
resident set size from os.wait4.

    python benchmarks/run.py all --repeat 3            # everything but the 5M run
    python benchmarks/run.py all --with-5m --markdown  # also 5M; Markdown for docs/benchmarks.md
    python benchmarks/run.py generate-1m               # one benchmark

Inputs are generated deterministically (--seed) into benchmarks/data/ (git-ignored) and
reused when present. Benchmark-only dependency: xlsxwriter (benchmarks/requirements.txt).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import datagen

HERE = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = HERE / "data"
PYTHON = sys.executable

GOAL_GENERATE_RATIO = 2.0
GOAL_GENERATE_LEDGER_RATIO = 2.5
GOAL_RSS_MB = 150.0
GOAL_LINEAR_RATIO = 5.5
GOAL_CHECK_RATIO = 0.35
GOAL_REVIEW_RATIO = 1.5
GOAL_HISTORY_RATIO = 3.0
GOAL_HISTORY_RSS_MB = 100.0
GOAL_REPORT_RATIO = 2.0
GOAL_IDENTICAL_RATIO = 2.0
GOAL_IDENTICAL_JSON_RATIO = 3.0  # issue 21: `--json` of the 1M identical rows
#: rows of the small batch generated against a big history
SMALL_BATCH_ROWS = 12
#: lines of the Unshipped Orders report of the report benchmark
REPORT_LINES = 625_000
#: the growth curves: rows of history, lines of report
GROWTH_HISTORY = (10_000, 100_000, 1_000_000)
GROWTH_REPORT = (10_000, 100_000, 1_000_000)
#: the growth curve of the windows-full scenario: confirmed rows inside the windows
GROWTH_WINDOWS = (10_000, 100_000, 1_000_000)

# --- baselines: small scripts run with `python -c SCRIPT ARGS...` --------------------------

# Plain csv-module copy: read the CSV, write the flat file's template row, header and three
# columns tab-separated with CRLF (what `generate` writes, without any validation).
BASELINE_CSV_COPY = r"""
import csv, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, newline="", encoding="utf-8") as fin, \
        open(dst, "w", newline="", encoding="ascii") as fout:
    reader = csv.reader(fin)
    next(reader)
    writer = csv.writer(fout, delimiter="\t", lineterminator="\r\n")
    writer.writerow(["TemplateType=OrderCancellation", "Version=1.0/1.0.3",
                     "This row for Amazon.com use only.  Do not modify or delete."])
    writer.writerow(["order-id", "cancellation-reason-code", "amazon-order-item-code"])
    for row in reader:
        writer.writerow(row[:3])
"""

# Bare openpyxl read-only iteration over every row of the first sheet.
BASELINE_OPENPYXL_READ = r"""
import sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1], read_only=True)
ws = wb.worksheets[0]
for row in ws.iter_rows(values_only=True):
    pass
wb.close()
"""

# Bare xlsxwriter write of the cells of a review sheet, one row per input row, no styles, no
# validation lists, the 18 columns the review writes (review/reader.py REVIEW_COLUMNS): approve
# (empty: every row here counts), result, risk, counts against rate, order-id, plan (the
# hold advice the review writes without --orders-7d), issue, item code, reason, sku,
# is-buyer-requested (empty here), problems text, note (empty here), source, row, the hidden
# counted-order formula, the hidden review evidence (compact JSON of the row's values) and
# the review token (a string of the same shape; the bare write does not compute the MAC,
# which is part of what the review costs).
BASELINE_XLSXWRITER_REVIEW = r"""
import csv, json, os, sys
import xlsxwriter
src, dst = sys.argv[1], sys.argv[2]
wb = xlsxwriter.Workbook(dst, {"constant_memory": True})
ws = wb.add_worksheet("Review")
ws.write_row(0, 0, ["approve", "result", "risk", "counts against rate", "order-id", "plan",
                    "issue", "amazon-order-item-code", "cancellation-reason-code", "sku",
                    "is-buyer-requested-cancellation", "problems", "note", "source", "row",
                    "counted order", "review-evidence", "review-token"])
hold = ("hold: counts against the rate and the budget is unknown: pass --orders-7d N (US) "
        "to plan it")
with open(src, newline="", encoding="utf-8") as fin:
    reader = csv.reader(fin)
    next(reader)
    for n, (order_id, reason, item, sku) in enumerate(reader, start=1):
        ws.write_string(n, 1, "accepted")
        ws.write_string(n, 2, "high")
        ws.write_string(n, 3, "yes")
        ws.write_string(n, 4, order_id)
        ws.write_string(n, 5, hold)
        ws.write_string(n, 6, "Counts against your Cancellation Rate")
        if reason:
            ws.write_string(n, 7, item)
            ws.write_string(n, 8, reason)
            ws.write_string(n, 11, f"reason {reason} counts against your Cancellation Rate")
        else:
            ws.write_string(n, 11, "a whole-order cancellation without reason counts "
                            "against your Cancellation Rate")
        if sku:
            ws.write_string(n, 9, sku)
        ws.write_string(n, 13, src)
        ws.write_number(n, 14, n + 1)
        a = f"A{n + 1}"
        ws.write_formula(n, 15, f'=IF(IF(ISLOGICAL({a}),{a},LOWER(TRIM({a}))="yes"),1,0)')
        values = {"amazon-order-item-code": item, "cancellation-reason-code": reason,
                  "is-buyer-requested-cancellation": "", "note": "", "order-id": order_id,
                  "sku": sku}
        evidence = {"kind": "item" if reason else "order", "marketplace": "", "values": values}
        ws.write_string(n, 16, json.dumps(evidence, separators=(",", ":")))
        ws.write_string(n, 17, f"ck3.{n * 2654435761 % 2**64:016x}")
wb.close()
"""


# Plain csv-module scan of an order report: every line split by the csv module, nothing kept.
BASELINE_CSV_SCAN = r"""
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as fin:
    for row in csv.reader(fin, delimiter="\t"):
        pass
"""

# Builds the history ledger with the cancelkit on the import path (datagen.history_ledger).
BUILD_HISTORY = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import datagen
build = getattr(datagen, sys.argv[5] if len(sys.argv) > 5 else "history_ledger")
build(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
"""


# --- measuring --------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    maxrss_kib: int
    exit_code: int


def measure(cmd: list[str], cwd: Path, env: dict[str, str], log: Path) -> Run:
    """Run `cmd` to completion; wall time and the child's own peak RSS (os.wait4)."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    exit_code = os.waitstatus_to_exitcode(status)
    proc.returncode = exit_code  # reaped by wait4; keep Popen from waiting again
    return Run(seconds, usage.ru_maxrss, exit_code)  # ru_maxrss is KiB on Linux


def measure_generate(cmd: list[str], work: Path, out_dir: Path, expected_lines: int) -> Run | str:
    """Run a `generate` command and check its outcome: exit 0 and one flat file in `out_dir`
    with `expected_lines` lines. Returns the run, or what was wrong."""
    log = work / "log.txt"
    run = measure(cmd, work, candidate_env(work), log)
    if run.exit_code != 0:
        return f"exit code {run.exit_code}: {tail(log)}"
    flat_files = sorted(out_dir.glob("*.txt"))
    if len(flat_files) != 1:
        return f"expected one flat file in --out-dir, found {len(flat_files)}"
    lines = count_lines(flat_files[0])
    if lines != expected_lines:
        return f"flat file has {lines:,} lines, expected {expected_lines:,}"
    return run


def mib(kib: int) -> float:
    return kib / 1024.0


def count_lines(path: Path) -> int:
    lines = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def warm(path: Path) -> None:
    """Read a file once so that the first timed run does not pay for a cold page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 22):
            pass


def tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the tool as it is today ----------------------------------------------------------------


@dataclass
class Tool:
    commands: set[str]
    generate_options: set[str]
    version: str


def _options(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", help_text))


def detect_tool() -> Tool:
    def help_of(*args: str) -> str:
        done = subprocess.run(
            [PYTHON, "-m", "cancelkit", *args, "--help"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        return done.stdout if done.returncode == 0 else ""

    main_help = help_of()
    commands: set[str] = set()
    in_commands = False
    for line in main_help.splitlines():
        if line.strip() == "Commands:":
            in_commands = True
        elif in_commands and line.startswith("  ") and line.strip():
            commands.add(line.split()[0])
        elif in_commands and line.strip() and not line.startswith(" "):
            in_commands = False
    try:
        version = metadata.version("cancelkit")
    except metadata.PackageNotFoundError:
        version = "?"
    return Tool(commands, _options(help_of("generate")), version)


def candidate_env(scratch: Path) -> dict[str, str]:
    """The environment of a cancelkit run: a ledger, if the tool keeps one, stays in scratch."""
    env = dict(os.environ)
    env["CANCELKIT_LEDGER"] = str(scratch / "ledger.sqlite")
    return env


# --- results ----------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    rows: int
    baseline_label: str
    candidate_label: str
    baseline_s: float | None = None
    candidate_s: float | None = None
    ratio: float | None = None
    ratio_goal: float | None = None
    rss_mb: float | None = None  # candidate's max peak RSS over its runs
    baseline_rss_mb: float | None = None
    rss_goal: float | None = None
    runs: int = 0
    status: str = ""  # PASS, FAIL, SKIPPED or ERROR
    notes: list[str] = field(default_factory=list)
    candidate_times: list[float] = field(default_factory=list)

    def verdicts(self) -> tuple[str, str]:
        if self.status in ("SKIPPED", "ERROR"):
            return self.status, self.status
        ratio, rss = self.ratio or 0.0, self.rss_mb or 0.0  # set for a run that did not err
        time_ok = "-" if self.ratio_goal is None else _pass(ratio <= self.ratio_goal)
        rss_ok = "-" if self.rss_goal is None else _pass(rss <= self.rss_goal)
        return time_ok, rss_ok

    def finish(self) -> None:
        if self.status:
            return
        self.status = "FAIL" if "FAIL" in self.verdicts() else "PASS"


def _pass(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Bench:
    def __init__(self, args: argparse.Namespace, tool: Tool):
        self.args = args
        self.tool = tool
        self.data_dir: Path = args.data_dir
        self.scratch_root = self.data_dir / "tmp"
        self.results: list[Result] = []
        #: growth curves: (kind, size) -> (seconds, peak MiB, baseline seconds)
        #: (kind, size, cancelkit s, peak RSS MiB, baseline s, baseline RSS MiB or 0)
        self.growth: list[
            tuple[str, int, float | None, float | None, float | None, float | None]
        ] = []
        self.ledger_sizes: dict[tuple[str, int], int] = {}

    def scratch(self) -> Path:
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=self.scratch_root))

    def input_csv(self, rows: int) -> Path:
        path, reused = datagen.csv_file(self.data_dir, rows, self.args.seed)
        progress(f"  input {path.name}: {'reused' if reused else 'generated'}")
        return path

    def input_xlsx(self, rows: int) -> Path:
        path, reused = datagen.xlsx_file(self.data_dir, rows, self.args.seed)
        progress(f"  input {path.name}: {'reused' if reused else 'generated'}")
        return path

    def interleave(
        self, sides: list[tuple[str, Callable[[], Run | str]]]
    ) -> dict[str, list[Run]] | str:
        """Run each side `repeat` times, alternating; a side returns its Run or an error text."""
        runs: dict[str, list[Run]] = {label: [] for label, _ in sides}
        for attempt in range(1, self.args.repeat + 1):
            for label, side in sides:
                outcome = side()
                if isinstance(outcome, str):
                    return f"{label}: {outcome}"
                runs[label].append(outcome)
                progress(
                    f"  {label} run {attempt}/{self.args.repeat}: {outcome.seconds:.2f} s, "
                    f"peak RSS {mib(outcome.maxrss_kib):.0f} MiB"
                )
        return runs

    # --- generate -----------------------------------------------------------------------

    def generate_side(self, source: Path, expected_lines: int, ledger: bool):
        def side() -> Run | str:
            work = self.scratch()
            try:
                out_dir = work / "out"
                cmd = [
                    PYTHON,
                    "-m",
                    "cancelkit",
                    "generate",
                    str(source),
                    "--out-dir",
                    str(out_dir),
                ]
                if not ledger and "--no-ledger" in self.tool.generate_options:
                    cmd.append("--no-ledger")
                if ledger and "--ledger" in self.tool.generate_options:
                    cmd += ["--ledger", str(work / "ledger.sqlite")]
                run = measure_generate(cmd, work, out_dir, expected_lines)
                if isinstance(run, str):
                    return run
                return run
            finally:
                shutil.rmtree(work, ignore_errors=True)

        return side

    def tool_side(
        self,
        source: Path,
        expected_lines: int,
        extra: tuple[str, ...] = (),
        ledger_from: Path | None = None,
        json_out: bool = False,
    ):
        """`generate SOURCE` with `extra` options; the ledger in the scratch folder starts as
        a copy of `ledger_from` (copied before the clock starts) or fresh. With `json_out`,
        `--json` into the scratch folder, and the document must parse."""

        def side() -> Run | str:
            work = self.scratch()
            try:
                out_dir = work / "out"
                ledger = work / "ledger.sqlite"
                if ledger_from is not None:
                    shutil.copyfile(ledger_from, ledger)
                    # on disk before the clock starts, as a user's ledger is: else the run's
                    # closing checkpoint pays for writing back the whole fresh copy
                    with open(ledger, "rb+") as handle:
                        os.fsync(handle.fileno())
                    warm(ledger)
                cmd = [PYTHON, "-m", "cancelkit", "generate", str(source), "--out-dir"]
                cmd += [str(out_dir), "--ledger", str(ledger), *extra]
                if json_out:
                    cmd += ["--json", str(work / "report.json")]
                run = measure_generate(cmd, work, out_dir, expected_lines)
                if isinstance(run, str):
                    return run
                if json_out:
                    size = (work / "report.json").stat().st_size
                    with open(work / "report.json", "rb") as handle:
                        head, end = handle.read(1), (handle.seek(-2, 2), handle.read(2))[1]
                    if head != b"{" or end != b"}\n" or size < 1000:
                        return "the --json report is not a JSON document"
                return run
            finally:
                shutil.rmtree(work, ignore_errors=True)

        return side

    def script_side(self, script: str, *args: str):
        def side() -> Run | str:
            work = self.scratch()
            try:
                log = work / "log.txt"
                run = measure([PYTHON, "-c", script, *args], work, dict(os.environ), log)
                return run if run.exit_code == 0 else f"exit {run.exit_code}: {tail(log)}"
            finally:
                shutil.rmtree(work, ignore_errors=True)

        return side

    def history_ledger(self, rows: int, kind: str = "history") -> Path:
        """A ledger of `rows` confirmed rows, built by the cancelkit under test once per
        invocation: `history`, one batch a day over a year up to now; `windows`, one batch
        of an hour ago (the metric windows full)."""
        path = self.scratch_root / f"{kind}-{rows}.sqlite"
        if path.exists():
            return path
        progress(f"  building a ledger of {rows:,} confirmed rows ({kind}) ...")
        self.scratch_root.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        builder = f"{kind}_ledger"
        done = subprocess.run(
            [PYTHON, "-c", BUILD_HISTORY, str(HERE), str(path), str(rows), str(self.args.seed)]
            + [builder],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the history failed: {done.stderr.strip()[-500:]}")
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        size = path.stat().st_size
        progress(
            f"  ledger built in {time.perf_counter() - start:.0f} s: {size / 1e6:.0f} MB, "
            f"{size / rows:.0f} bytes a row"
        )
        self.ledger_sizes[(kind, rows)] = size
        return path

    def csv_copy_side(self, source: Path, expected_lines: int):
        checked = False

        def side() -> Run | str:
            nonlocal checked
            work = self.scratch()
            try:
                dst = work / "copy.txt"
                log = work / "log.txt"
                run = measure(
                    [PYTHON, "-c", BASELINE_CSV_COPY, str(source), str(dst)],
                    work,
                    dict(os.environ),
                    log,
                )
                if run.exit_code != 0:
                    return f"exit code {run.exit_code}: {tail(log)}"
                if not checked:
                    lines = count_lines(dst)
                    if lines != expected_lines:
                        return f"copy has {lines:,} lines, expected {expected_lines:,}"
                    checked = True
                return run
            finally:
                shutil.rmtree(work, ignore_errors=True)

        return side

    def bench_generate(self, rows: int) -> Result:
        name = f"generate {rows // 1_000_000}M CSV"
        progress(f"{name}:")
        source = self.input_csv(rows)
        warm(source)
        expected = rows + 2  # template row + header row + one line per record
        has_ledger = "--no-ledger" in self.tool.generate_options
        off_label = "generate --no-ledger" if has_ledger else "generate (tool has no ledger)"
        sides = [
            ("baseline csv copy", self.csv_copy_side(source, expected)),
            (off_label, self.generate_side(source, expected, ledger=False)),
        ]
        if has_ledger:
            sides.append(("generate, ledger on", self.generate_side(source, expected, True)))
        result = Result(
            name,
            rows,
            "csv-module copy to 3-column TSV",
            off_label,
            ratio_goal=GOAL_GENERATE_RATIO,
            rss_goal=GOAL_RSS_MB,
        )
        outcome = self.interleave(sides)
        if isinstance(outcome, str):
            result.status = "ERROR"
            result.notes.append(outcome)
            self.results.append(result)
            return result
        base = outcome["baseline csv copy"]
        self._fill(result, base, outcome[off_label])
        if not has_ledger:
            result.notes.append(
                "generate has no --no-ledger option yet (no ledger exists); run as is"
            )
        self.results.append(result)
        if has_ledger:
            ledger = Result(
                f"{name}, ledger on",
                rows,
                "csv-module copy to 3-column TSV",
                "generate (default SQLite ledger)",
                ratio_goal=GOAL_GENERATE_LEDGER_RATIO,
                rss_goal=GOAL_RSS_MB,
            )
            self._fill(ledger, base, outcome["generate, ledger on"])
            self.results.append(ledger)
        return result

    def bench_generate_5m(self) -> None:
        """5M rows against 5x the 1M time; the 1M and 5M runs are interleaved here too, so a
        change of load on the machine hits both sides alike."""
        rows = 5_000_000
        name = "generate 5M CSV (linearity)"
        progress(f"{name}:")
        small = self.input_csv(1_000_000)
        source = self.input_csv(rows)
        warm(small)
        warm(source)
        has_ledger = "--no-ledger" in self.tool.generate_options
        label = "generate --no-ledger" if has_ledger else "generate (tool has no ledger)"
        sides = [
            ("generate 1M", self.generate_side(small, 1_000_002, ledger=False)),
            ("generate 5M", self.generate_side(source, rows + 2, ledger=False)),
        ]
        result = Result(
            name,
            rows,
            "5 x the 1M generate time",
            label,
            ratio_goal=GOAL_LINEAR_RATIO / 5,
            rss_goal=GOAL_RSS_MB,
        )
        outcome = self.interleave(sides)
        if isinstance(outcome, str):
            result.status = "ERROR"
            result.notes.append(outcome)
            self.results.append(result)
            return
        one = outcome["generate 1M"]
        five = outcome["generate 5M"]
        one_s = statistics.median(r.seconds for r in one)
        one_mb = max(mib(r.maxrss_kib) for r in one)
        result.runs = len(five)
        result.baseline_s = 5 * one_s
        result.candidate_s = statistics.median(r.seconds for r in five)
        result.candidate_times = [r.seconds for r in five]
        result.ratio = result.candidate_s / result.baseline_s
        result.rss_mb = max(mib(r.maxrss_kib) for r in five)
        result.notes.append(
            f"5M/1M time = {result.candidate_s:.2f} s / {one_s:.2f} s = "
            f"{result.candidate_s / one_s:.2f}x (goal <= {GOAL_LINEAR_RATIO}x, i.e. "
            f"<= {GOAL_LINEAR_RATIO / 5:.2f} of 5x); peak RSS 5M {result.rss_mb:.0f} MiB "
            f"vs 1M {one_mb:.0f} MiB (memory flat: <= {GOAL_RSS_MB:.0f} MiB at 5M too)"
        )
        self.results.append(result)

    # --- check ----------------------------------------------------------------------------

    def bench_check_xlsx(self) -> None:
        rows = 100_000
        name = "check 100k-row xlsx"
        progress(f"{name}:")
        source = self.input_xlsx(rows)
        warm(source)

        def baseline() -> Run | str:
            work = self.scratch()
            try:
                log = work / "log.txt"
                run = measure(
                    [PYTHON, "-c", BASELINE_OPENPYXL_READ, str(source)], work, dict(os.environ), log
                )
                return run if run.exit_code == 0 else f"exit {run.exit_code}: {tail(log)}"
            finally:
                shutil.rmtree(work, ignore_errors=True)

        def candidate() -> Run | str:
            work = self.scratch()
            try:
                log = work / "log.txt"
                run = measure(
                    [PYTHON, "-m", "cancelkit", "check", str(source)],
                    work,
                    candidate_env(work),
                    log,
                )
                return run if run.exit_code == 0 else f"exit {run.exit_code}: {tail(log)}"
            finally:
                shutil.rmtree(work, ignore_errors=True)

        result = Result(
            name,
            rows,
            "openpyxl read-only iteration",
            "cancelkit check",
            ratio_goal=GOAL_CHECK_RATIO,
        )
        outcome = self.interleave([("baseline openpyxl read", baseline), ("check", candidate)])
        if isinstance(outcome, str):
            result.status = "ERROR"
            result.notes.append(outcome)
        else:
            self._fill(result, outcome["baseline openpyxl read"], outcome["check"])
        self.results.append(result)

    # --- review ---------------------------------------------------------------------------

    def bench_review(self) -> None:
        rows = 100_000
        name = "review workbook 100k rows"
        progress(f"{name}:")
        result = Result(
            name,
            rows,
            "bare xlsxwriter write of the cells",
            "cancelkit review",
            ratio_goal=GOAL_REVIEW_RATIO,
        )
        if "review" not in self.tool.commands:
            progress("  SKIPPED: command not available yet")
            result.status = "SKIPPED"
            result.notes.append("SKIPPED: command not available yet (`cancelkit review`)")
            self.results.append(result)
            return
        source = self.input_csv(rows)
        warm(source)

        def baseline() -> Run | str:
            work = self.scratch()
            try:
                log = work / "log.txt"
                out = work / "review.xlsx"
                cmd = [PYTHON, "-c", BASELINE_XLSXWRITER_REVIEW, str(source), str(out)]
                run = measure(cmd, work, dict(os.environ), log)
                return run if run.exit_code == 0 else f"exit {run.exit_code}: {tail(log)}"
            finally:
                shutil.rmtree(work, ignore_errors=True)

        def candidate() -> Run | str:
            work = self.scratch()
            try:
                log = work / "log.txt"
                out = work / "review.xlsx"
                cmd = [PYTHON, "-m", "cancelkit", "review", str(source), "-o", str(out)]
                run = measure(cmd, work, candidate_env(work), log)
                if run.exit_code != 0:
                    return f"exit {run.exit_code}: {tail(log)}"
                if not out.exists():
                    return "no review workbook written"
                return run
            finally:
                shutil.rmtree(work, ignore_errors=True)

        outcome = self.interleave([("baseline xlsxwriter write", baseline), ("review", candidate)])
        if isinstance(outcome, str):
            result.status = "ERROR"
            result.notes.append(outcome)
        else:
            self._fill(result, outcome["baseline xlsxwriter write"], outcome["review"])
        self.results.append(result)

    # --- history, report, identical rows ------------------------------------------------

    def _pair(self, result: Result, sides, base_label: str, cand_label: str) -> Result:
        outcome = self.interleave(sides)
        if isinstance(outcome, str):
            result.status = "ERROR"
            result.notes.append(outcome)
        else:
            self._fill(result, outcome[base_label], outcome[cand_label])
        self.results.append(result)
        return result

    def bench_history(self, rows: int = 1_000_000, growth: bool = False) -> Result:
        """A 12-row generate with a ledger of `rows` confirmed rows vs the same batch with a
        fresh ledger (<= 3x, <= 100 MB)."""
        name = f"12-row generate, ledger of {rows:,} confirmed rows"
        return self._bench_ledger("history", name, "with history", "the history", rows, growth)

    def bench_windows(self, rows: int = 1_000_000, growth: bool = False) -> Result:
        """A 12-row generate with a ledger whose 7- and 30-day windows hold `rows` confirmed
        rows (one batch of an hour ago) vs the same batch with a fresh ledger (<= 3x,
        <= 100 MB): the window figures must cost what the answer costs."""
        name = f"12-row generate, windows full: {rows:,} confirmed rows in the windows"
        return self._bench_ledger("windows", name, "windows full", "the windows full", rows, growth)

    def _bench_ledger(
        self, kind: str, name: str, label: str, what: str, rows: int, growth: bool
    ) -> Result:
        """A 12-row generate with the `kind` ledger of `rows` confirmed rows (history_ledger)
        vs the same batch with a fresh ledger."""
        progress(f"{name}:")
        batch, _ = datagen.small_batch_csv(self.data_dir, SMALL_BATCH_ROWS, self.args.seed)
        ledger = self.history_ledger(rows, kind)
        expected = SMALL_BATCH_ROWS + 2
        result = Result(
            name,
            rows,
            "same batch, fresh ledger",
            f"generate with {what}",
            ratio_goal=GOAL_HISTORY_RATIO,
            rss_goal=GOAL_HISTORY_RSS_MB,
        )
        sides = [
            ("fresh ledger", self.tool_side(batch, expected)),
            (label, self.tool_side(batch, expected, ledger_from=ledger)),
        ]
        self._pair(result, sides, "fresh ledger", label)
        if (kind, rows) in self.ledger_sizes:
            size = self.ledger_sizes[(kind, rows)]
            result.notes.append(
                f"ledger file {size / 1e6:.0f} MB = {size / rows:.0f} bytes a confirmed row"
            )
        if growth:
            self.results.remove(result)
        if growth and result.status != "ERROR":
            self.growth.append(
                (kind, rows, result.candidate_s, result.rss_mb, result.baseline_s, 0.0)
            )
        return result

    def bench_report(self, lines: int = REPORT_LINES, growth: bool = False) -> Result:
        """The SKU batch resolved against an Unshipped Orders report of `lines` lines vs a
        csv-module scan of the report (<= 2.0x, <= 150 MB). For the growth curve the batch
        is the one of the smallest report, so only the report grows."""
        report, _ = datagen.unshipped_report(self.data_dir, lines, self.args.seed)
        batch_of = min(GROWTH_REPORT) if growth else lines
        batch = datagen.sku_batch_csv(self.data_dir, batch_of, self.args.seed)
        batch_rows = count_lines(batch) - 1
        name = f"{batch_rows:,}-row SKU batch, {lines:,}-line Unshipped Orders report"
        progress(f"{name}:")
        warm(report)
        result = Result(
            name,
            lines,
            "csv-module scan of the report",
            "generate --orders-report",
            ratio_goal=GOAL_REPORT_RATIO,
            rss_goal=GOAL_RSS_MB,
        )
        sides = [
            ("baseline csv scan", self.script_side(BASELINE_CSV_SCAN, str(report))),
            (
                "generate --orders-report",
                self.tool_side(batch, batch_rows + 2, ("--orders-report", str(report))),
            ),
        ]
        self._pair(result, sides, "baseline csv scan", "generate --orders-report")
        if growth:
            self.results.remove(result)
        if growth and result.status != "ERROR":
            self.growth.append(
                (
                    "report",
                    lines,
                    result.candidate_s,
                    result.rss_mb,
                    result.baseline_s,
                    result.baseline_rss_mb,
                )
            )
        return result

    def bench_identical(self, rows: int = 1_000_000) -> None:
        """`generate` of 1M identical rows, without and with --json, vs the csv copy of the
        same file (<= 2.0x, <= 150 MB either way)."""
        name = f"generate {rows // 1_000_000}M identical rows"
        progress(f"{name}:")
        source, _ = datagen.identical_csv(self.data_dir, rows)
        warm(source)
        expected = 3  # the template row, the header and the one row kept
        base = ("baseline csv copy", self.csv_copy_side(source, rows + 2))
        plain = ("identical", self.tool_side(source, expected, ("--no-ledger",)))
        with_json = (
            "identical --json",
            self.tool_side(source, expected, ("--no-ledger",), json_out=True),
        )
        outcome = self.interleave([base, plain, with_json])
        for label, suffix in (("identical", ""), ("identical --json", ", --json")):
            result = Result(
                name + suffix,
                rows,
                "csv-module copy to 3-column TSV",
                f"generate --no-ledger{suffix}",
                ratio_goal=GOAL_IDENTICAL_JSON_RATIO if suffix else GOAL_IDENTICAL_RATIO,
                rss_goal=GOAL_RSS_MB,
            )
            if isinstance(outcome, str):
                result.status = "ERROR"
                result.notes.append(outcome)
            else:
                self._fill(result, outcome["baseline csv copy"], outcome[label])
            self.results.append(result)

    def bench_growth(self) -> None:
        for rows in GROWTH_HISTORY:
            self.bench_history(rows, growth=True)
        for rows in GROWTH_WINDOWS:
            self.bench_windows(rows, growth=True)
        for lines in GROWTH_REPORT:
            self.bench_report(lines, growth=True)

    # ---------------------------------------------------------------------------------------

    @staticmethod
    def _fill(result: Result, base: list[Run], cand: list[Run]) -> None:
        result.runs = len(cand)
        result.baseline_s = statistics.median(r.seconds for r in base)
        result.candidate_s = statistics.median(r.seconds for r in cand)
        result.candidate_times = [r.seconds for r in cand]
        result.ratio = result.candidate_s / result.baseline_s
        result.rss_mb = max(mib(r.maxrss_kib) for r in cand)
        result.baseline_rss_mb = max(mib(r.maxrss_kib) for r in base)


# --- reporting ------------------------------------------------------------------------------


def machine_info(tool: Tool, load: tuple[float, float]) -> list[tuple[str, str]]:
    uname = platform.uname()
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    total_kib = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    total_kib = int(line.split()[1])
                    break
    except OSError:
        total_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return [
        ("source", source_revision()),
        ("date", dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", f"{uname.system} {uname.release} {uname.machine}; CPU {cpu or 'unknown'}"),
        ("cpus", f"{usable} usable (nproc), {os.cpu_count()} online"),
        ("memory", f"{total_kib / 1024 / 1024:.1f} GiB total"),
        ("load", f"1-minute load average {load[0]:.2f} at start, {load[1]:.2f} at end"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        (
            "versions",
            f"cancelkit {tool.version}, python-calamine {version('python-calamine')}, "
            f"openpyxl {version('openpyxl')}, xlsxwriter {version('xlsxwriter')}",
        ),
    ]


def source_revision() -> str:
    """The commit of the repo the benchmark ran from, and whether cancelkit/ had local changes
    (read-only git commands; no index refresh)."""
    repo = HERE.parent

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--", "cancelkit")
    return f"commit {commit}" + (" + uncommitted changes in cancelkit/" if changed else "")


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def table_rows(results: list[Result]) -> tuple[list[str], list[list[str]]]:
    header = [
        "benchmark",
        "baseline",
        "baseline s",
        "cancelkit s",
        "ratio",
        "goal",
        "time",
        "peak RSS",
        "RSS goal",
        "memory",
    ]
    body = []
    for r in results:
        time_ok, rss_ok = r.verdicts()
        body.append(
            [
                r.name,
                r.baseline_label,
                _fmt(r.baseline_s, ".2f"),
                _fmt(r.candidate_s, ".2f"),
                _fmt(r.ratio, ".2f", "x"),
                f"<= {r.ratio_goal:.2f}x" if r.ratio_goal is not None else "-",
                time_ok,
                _fmt(r.rss_mb, ".0f", " MiB"),
                f"<= {r.rss_goal:.0f} MiB" if r.rss_goal is not None else "-",
                rss_ok,
            ]
        )
    return header, body


def render_text(info: list[tuple[str, str]], results: list[Result], repeat: int) -> str:
    lines = [f"{key:>9}: {value}" for key, value in info]
    lines.append(f"{'runs':>9}: median of {repeat} per side, sides interleaved")
    lines.append("")
    header, body = table_rows(results)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in body:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    notes = [(r.name, n) for r in results for n in r.notes]
    if notes:
        lines.append("")
        lines.extend(f"note: {name}: {note}" for name, note in notes)
    return "\n".join(lines)


def growth_rows(growth) -> list[str]:
    """The growth curves as Markdown tables."""
    lines = []
    history = [g for g in growth if g[0] == "history"]
    if history:
        lines += [
            "",
            "| history rows | 12-row generate s | fresh ledger s | ratio | peak RSS |",
            "|---|---|---|---|---|",
        ]
        for _, rows, seconds, rss, base, _ in history:
            lines.append(
                f"| {rows:,} | {seconds:.2f} | {base:.2f} | {seconds / base:.2f}x | {rss:.0f} MiB |"
            )
    windows = [g for g in growth if g[0] == "windows"]
    if windows:
        lines += [
            "",
            "| confirmed rows in the windows | 12-row generate s | fresh ledger s | ratio "
            "| peak RSS |",
            "|---|---|---|---|---|",
        ]
        for _, rows, seconds, rss, base, _ in windows:
            lines.append(
                f"| {rows:,} | {seconds:.2f} | {base:.2f} | {seconds / base:.2f}x | {rss:.0f} MiB |"
            )
    report = [g for g in growth if g[0] == "report"]
    if report:
        lines += [
            "",
            "| report lines | generate s | csv scan s | ratio | peak RSS | scan RSS |",
            "|---|---|---|---|---|---|",
        ]
        for _, size, seconds, rss, base, base_rss in report:
            lines.append(
                f"| {size:,} | {seconds:.2f} | {base:.2f} | {seconds / base:.2f}x | "
                f"{rss:.0f} MiB | {base_rss:.0f} MiB |"
            )
    return lines


def render_markdown(info: list[tuple[str, str]], results: list[Result], repeat: int) -> str:
    lines = [f"- **{key}**: {value}" for key, value in info]
    lines.append(f"- **runs**: median of {repeat} per side, sides interleaved")
    lines.append("")
    header, body = table_rows(results)
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---" for _ in header) + "|")
    for row in body:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    notes = [(r.name, n) for r in results for n in r.notes]
    if notes:
        lines.append("")
        lines.extend(f"- {name}: {note}" for name, note in notes)
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="runs per side; the median is reported (default 3)",
    )
    common.add_argument(
        "--seed", type=int, default=20240601, help="seed of the generated inputs (default 20240601)"
    )
    common.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where inputs are generated and reused (default benchmarks/data)",
    )
    common.add_argument(
        "--markdown",
        action="store_true",
        help="print the results as Markdown, ready for docs/benchmarks.md",
    )
    parser = argparse.ArgumentParser(
        description="Benchmark cancelkit against plain baselines (ratios of medians, peak RSS). "
        "Exit status 0 when every goal passes or is skipped, 1 otherwise.",
    )
    sub = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    sub.add_parser(
        "generate-1m",
        parents=[common],
        help="generate on a 1,000,000-row CSV vs a csv-module copy (<= 2.0x, 150 MB)",
    )
    sub.add_parser(
        "generate-5m",
        parents=[common],
        help="generate on 5,000,000 rows vs 5x the 1M time (<= 5.5x, memory flat)",
    )
    sub.add_parser(
        "check-xlsx-100k",
        parents=[common],
        help="check on a 100,000-row xlsx vs openpyxl read-only iteration (<= 0.35x)",
    )
    sub.add_parser(
        "review-100k",
        parents=[common],
        help="review workbook for 100,000 rows vs a bare xlsxwriter write (<= 1.5x)",
    )
    sub.add_parser(
        "history-1m",
        parents=[common],
        help="12-row generate with a 1M-row confirmed history vs a fresh ledger (<= 3x, 100 MB)",
    )
    sub.add_parser(
        "windows-1m",
        parents=[common],
        help="12-row generate, 1M confirmed rows inside the 7- and 30-day windows, vs a fresh "
        "ledger (<= 3x, 100 MB)",
    )
    sub.add_parser(
        "windows-growth",
        parents=[common],
        help="the windows-full scenario at 10k/100k/1M confirmed rows in the windows",
    )
    sub.add_parser(
        "report-625k",
        parents=[common],
        help="10,000-row SKU batch vs a 625,000-line Unshipped Orders report (<= 2.0x, 150 MB)",
    )
    sub.add_parser(
        "identical-1m",
        parents=[common],
        help="generate 1M identical rows, with and without --json, vs a csv copy (<= 2.0x)",
    )
    sub.add_parser(
        "growth",
        parents=[common],
        help="time and memory at 10k/100k/1M rows of history, of rows in the windows, and "
        "lines of report",
    )
    every = sub.add_parser(
        "all",
        parents=[common],
        help="generate-1m, check-xlsx-100k, review-100k, history-1m, windows-1m, "
        "report-625k, identical-1m (+ generate-5m, growth)",
    )
    every.add_argument("--with-5m", action="store_true", help="also run generate-5m")
    every.add_argument("--with-growth", action="store_true", help="also run the growth curves")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.data_dir = args.data_dir.resolve()
    return args


def run_benches(bench: Bench, args: argparse.Namespace) -> None:
    """Run the benchmarks `args.bench` names, in the order of the table."""
    if args.bench in ("generate-1m", "all"):
        bench.bench_generate(1_000_000)
    if args.bench == "generate-5m" or (args.bench == "all" and args.with_5m):
        bench.bench_generate_5m()
    if args.bench in ("check-xlsx-100k", "all"):
        bench.bench_check_xlsx()
    if args.bench in ("review-100k", "all"):
        bench.bench_review()
    if args.bench in ("history-1m", "all"):
        bench.bench_history()
    if args.bench in ("windows-1m", "all"):
        bench.bench_windows()
    if args.bench == "windows-growth":
        for rows in GROWTH_WINDOWS:
            bench.bench_windows(rows, growth=True)
    if args.bench in ("report-625k", "all"):
        bench.bench_report()
    if args.bench in ("identical-1m", "all"):
        bench.bench_identical()
    if args.bench == "growth" or (args.bench == "all" and args.with_growth):
        bench.bench_growth()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import xlsxwriter  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        print(
            "benchmarks need xlsxwriter: pip install -r benchmarks/requirements.txt",
            file=sys.stderr,
        )
        return 2
    tool = detect_tool()
    if not tool.commands:
        print("`python -m cancelkit --help` failed: is cancelkit installed?", file=sys.stderr)
        return 2
    load_start = os.getloadavg()[0]
    bench = Bench(args, tool)
    try:
        run_benches(bench, args)
    finally:
        shutil.rmtree(bench.scratch_root, ignore_errors=True)
    for result in bench.results:
        result.finish()
    info = machine_info(tool, (load_start, os.getloadavg()[0]))
    render = render_markdown if args.markdown else render_text
    print(render(info, bench.results, args.repeat))
    if bench.growth:
        print("\n".join(growth_rows(bench.growth)))
    failed = [r for r in bench.results if r.status in ("FAIL", "ERROR")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
