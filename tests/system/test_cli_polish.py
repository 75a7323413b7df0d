"""What a well-made command line does: --quiet, --verbose, --version, `python -m`, NO_COLOR,
help with an example on every command, shell completion, and a progress line on big inputs
only when stderr is a terminal."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from conftest import CLEAN, MESSY, ROOT, assert_one_line_error, invoke, run_cli

import cancelkit
from cancelkit.options import Options
from cancelkit.pipeline.collector import PROGRESS_ROWS
from cancelkit.pipeline.run import run
from cancelkit.usecases.running import RunSettings, checked_run
from cancelkit.write import terminal
from cancelkit.write.terminal import Progress

COMMANDS = ("generate", "check", "review", "template", "reconcile", "confirm", "history", "reasons")
COMMANDS += ("submit", "fetch-orders")


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _big_csv(path, rows: int, reason: str = "NoInventory") -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("order-id,cancellation-reason-code,amazon-order-item-code\n")
        for n in range(rows):
            out.write(f"111-{n // 10_000_000:07d}-{n % 10_000_000:07d},{reason},{n + 1:014d}\n")


# -- --quiet and --verbose ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["generate", "check"])
def test_quiet_prints_nothing_and_keeps_exit_codes(workdir, command):
    run = invoke(command, CLEAN, "--quiet")
    assert (run.exit_code, run.stdout, run.stderr) == (0, "", "")
    run = invoke(command, MESSY, "-q", "--force")
    assert (run.exit_code, run.stdout, run.stderr) == (1, "", "")


def test_quiet_review_and_quiet_errors_still_shown(workdir):
    run = invoke("review", CLEAN, "-o", "review.xlsx", "--quiet")
    assert (run.exit_code, run.stderr) == (0, "")
    assert (workdir / "review.xlsx").is_file()
    assert_one_line_error(invoke("check", "missing.csv", "--quiet"), "missing.csv")


def test_quiet_keeps_json_on_stdout(workdir):
    run = invoke("check", CLEAN, "--quiet", "--json", "-")
    assert run.exit_code == 0 and run.stderr == ""
    assert '"schema_version": 1' in run.stdout


def test_verbose_adds_counts_by_flag_code_and_timings(workdir):
    normal = invoke("check", MESSY)
    run = invoke("check", MESSY, "--verbose")
    assert run.exit_code == normal.exit_code == 1
    with cancelkit.check(MESSY, no_ledger=True) as result:
        from cancelkit.write.terminal import flag_counts

        counts = flag_counts(result)
        by_reason = result.summary["by_reason"]
    assert counts  # the messy batch has flagged rows
    for code, count in counts.items():
        assert f"  flag {code}: {count}\n" in run.stderr
    for reason, count in by_reason.items():
        assert f"  reason {reason}: {count}\n" in run.stderr
    assert "time: read and check " in run.stderr and " s, write " in run.stderr
    for line in normal.stderr.splitlines():
        assert line in run.stderr  # verbose is the summary plus more
    assert "flag " not in normal.stderr and "time:" not in normal.stderr


def test_verbose_on_generate_and_review(workdir):
    run = invoke("generate", CLEAN, "-v")
    assert run.exit_code == 0 and "time: read and check" in run.stderr
    run = invoke("review", CLEAN, "-o", "r.xlsx", "--verbose")
    assert run.exit_code == 0 and "time: read and check" in run.stderr


def test_quiet_and_verbose_together_is_a_usage_error(workdir):
    run = invoke("generate", CLEAN, "--quiet", "--verbose")
    assert run.exit_code == 2 and "exclude each other" in run.stderr
    assert not (workdir / "cancelkit-out").exists()


# -- version, python -m, help, completion ---------------------------------------------------


def test_version_and_python_dash_m(tmp_path):
    run = invoke("--version")
    assert (
        run.exit_code == 0 and run.stdout.strip() == f"cancelkit, version {cancelkit.__version__}"
    )
    sub = run_cli("--version", cwd=tmp_path)
    assert sub.exit_code == 0 and cancelkit.__version__ in sub.stdout
    sub = run_cli("check", CLEAN, "--no-ledger", cwd=tmp_path)
    assert sub.exit_code == 0 and "rows read 12" in sub.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    run = invoke(command, "--help")
    assert run.exit_code == 0
    assert "Example:" in run.stdout
    example = run.stdout.split("Example:", 1)[1]
    assert f"cancelkit {command}" in example


def test_help_lists_the_new_options():
    text = invoke("generate", "--help").stdout
    for option in ("--max-rows-per-file", "--quiet", "--verbose"):
        assert option in text
    for command in ("check", "review"):
        text = invoke(command, "--help").stdout
        assert "--quiet" in text and "--verbose" in text


@pytest.mark.parametrize(
    "shell, marker", [("bash", "_cancelkit_completion()"), ("zsh", "#compdef")]
)
def test_shell_completion_script_as_the_readme_says(tmp_path, shell, marker):
    env = dict(os.environ, _CANCELKIT_COMPLETE=f"{shell}_source")
    proc = subprocess.run(
        [sys.executable, "-m", "cancelkit"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and marker in proc.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"_CANCELKIT_COMPLETE={shell}_source cancelkit" in readme


# -- NO_COLOR --------------------------------------------------------------------------------


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _Terminal())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert terminal.color() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert terminal.color() is False
    monkeypatch.setenv("NO_COLOR", "")  # https://no-color.org: only a non-empty value counts
    assert terminal.color() is True
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert terminal.color() is False


def test_no_escape_codes_in_a_piped_summary(workdir):
    run = invoke("check", MESSY)
    assert "\x1b[" not in run.stderr


# -- progress --------------------------------------------------------------------------------


def test_pipeline_reports_progress_about_every_65536_rows(tmp_path):
    path = tmp_path / "big.csv"
    _big_csv(path, 3 * PROGRESS_ROWS + 10)
    calls: list[tuple[str, int]] = []
    with run([str(path)], options=Options(progress=lambda *a: calls.append(a))) as result:
        assert result.accepted == 3 * PROGRESS_ROWS + 10
    assert len(calls) == 3
    assert all(source == str(path) for source, _ in calls)
    rows = [row for _, row in calls]
    assert rows == sorted(rows) and rows[0] >= PROGRESS_ROWS
    assert all(b - a >= PROGRESS_ROWS for a, b in zip(rows, rows[1:]))


def test_record_path_reports_progress_too(tmp_path):
    path = tmp_path / "slow.csv"
    _big_csv(path, PROGRESS_ROWS + 100, reason="no inventory")  # an alias: not canonical
    calls: list[tuple[str, int]] = []
    with run([str(path)], options=Options(progress=lambda *a: calls.append(a))) as result:
        assert result.accepted == PROGRESS_ROWS + 100
    assert len(calls) == 1


def test_small_input_reports_no_progress(tmp_path):
    calls: list = []
    with run([str(CLEAN)], options=Options(progress=lambda *a: calls.append(a))):
        pass
    assert calls == []


def _checked(path, metric: dict, quiet: bool = False) -> None:
    """A run with the progress line the command line shows while reading (write/terminal.py
    Progress: on a terminal only, never with --quiet), cleared before any printing."""
    progress = Progress.for_terminal(quiet)
    try:
        with checked_run([str(path)], RunSettings(**metric), keep_records=False, progress=progress):
            pass
    finally:
        if progress is not None:
            progress.clear()


def test_progress_line_on_a_terminal_only(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    _big_csv(path, PROGRESS_ROWS + 10)
    metric = {
        "sheet": None,
        "marketplace": None,
        "orders_7d": None,
        "cancels_7d": None,
        "fail_on": None,
        "allow_over_target": False,
        "config": None,
        "orders_reports": (),
        "ledger": None,
        "no_ledger": True,
    }
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    _checked(path, metric)
    shown = terminal.getvalue()
    assert f"reading {path}: row " in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared before the summary
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    _checked(path, metric, quiet=True)
    assert quiet.getvalue() == ""
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    _checked(path, metric)
    assert piped.getvalue() == ""


def test_no_progress_in_cli_runner_on_a_big_input(workdir):
    _big_csv(workdir / "big.csv", PROGRESS_ROWS + 10)
    run = invoke("check", "big.csv", "--no-ledger")
    assert run.exit_code == 0
    assert "reading" not in run.stderr and "\r" not in run.stderr
