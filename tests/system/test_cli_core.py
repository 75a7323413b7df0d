"""The command line of the core pipeline (`generate`, `check`): exit codes, output names and
paths, --force, --json -, stdin, the stderr summary; through click's CliRunner and through a
real `python -m cancelkit` subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat

import pytest
from conftest import (
    CLEAN,
    HEADER_ROW,
    MESSY,
    NUMERIC,
    OUTPUT_NAME,
    STATE,
    TEMPLATE_ROW,
    assert_one_line_error,
    assert_schema_v1,
    files_under,
    invoke,
    run_cli,
)

import cancelkit
from cancelkit.amazon import flatfile

STAMPED = re.compile(r"cancellations-(\d{8}-\d{6})(-\d+)?(\.txt|-report\.html|-rejects\.csv)")


def _stamps_around_now(seconds: int = 60) -> list[str]:
    now = dt.datetime.now().astimezone()
    return [
        (now + dt.timedelta(seconds=offset)).strftime("%Y%m%d-%H%M%S")
        for offset in range(-2, seconds)
    ]


def _outputs(folder) -> dict[str, str]:
    """The out-dir's files by kind ('.txt', '-report.html', '-rejects.csv')."""
    found = {}
    for name in files_under(folder):
        match = STAMPED.fullmatch(name)
        assert match, f"unexpected output name {name}"
        found[match.group(3)] = name
    return found


# -- exit codes and what goes where (CliRunner) ----------------------------------------------


def test_generate_clean_batch_exit_0(workdir):
    run = invoke("generate", CLEAN)
    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""
    out = workdir / "cancelkit-out"
    found = _outputs(out)
    assert set(found) == {".txt", "-report.html"}  # no rejects file, no JSON unless asked
    stem = found[".txt"][: -len(".txt")]
    assert found["-report.html"] == f"{stem}-report.html"
    upload = out / found[".txt"]
    assert upload.read_bytes().startswith(TEMPLATE_ROW + HEADER_ROW)
    assert len(list(flatfile.parse(upload))) == 12
    assert f"flat file: cancelkit-out/{found['.txt']}" in run.stderr
    assert f"report: cancelkit-out/{found['-report.html']}" in run.stderr
    assert "rejects:" not in run.stderr


def test_generate_messy_batch_exit_1_still_writes_accepted_rows(workdir):
    run = invoke("generate", MESSY, "--out-dir", "batches")
    assert run.exit_code == 1, run.stderr
    found = _outputs(workdir / "batches")
    assert set(found) == {".txt", "-report.html", "-rejects.csv"}
    stems = {STAMPED.fullmatch(name).group(1, 2) for name in found.values()}
    assert len(stems) == 1  # one batch time (and suffix) names the whole set
    assert len(list(flatfile.parse(workdir / "batches" / found[".txt"]))) == 11
    rejects = (workdir / "batches" / found["-rejects.csv"]).read_text(encoding="utf-8-sig")
    assert len(rejects.splitlines()) == 1 + 11
    assert f"rejects: batches/{found['-rejects.csv']}" in run.stderr


def test_stderr_summary_names_counts_codes_and_files(workdir):
    run = invoke("generate", MESSY)
    summary = run.stderr
    assert "Traceback" not in summary
    assert re.search(r"rows read 23\b", summary)
    assert re.search(r"accepted 11\b", summary)
    assert re.search(r"rejected 11\b", summary)
    assert re.search(r"duplicates 1\b", summary)
    for code, count in {
        "conflicting_reasons": 2,
        "whole_order_conflict": 2,
        "item_code_scientific": 1,
        "reason_unknown": 1,
        "reason_without_item": 1,
        "item_without_reason": 1,
        "order_id_format": 1,
        "order_id_missing": 1,
        "non_ascii": 1,
    }.items():
        assert re.search(rf"\b{code}\b\D*\b{count}\b", summary), code
    for name in files_under(workdir / "cancelkit-out"):
        assert f"cancelkit-out/{name}" in summary


@pytest.mark.parametrize(
    ("args", "exit_code"),
    [
        ((CLEAN,), 0),
        ((STATE,), 0),
        ((MESSY,), 1),
        ((NUMERIC,), 1),
        ((NUMERIC, "--sheet", "Other"), 1),
        ((CLEAN, MESSY), 1),
    ],
    ids=["clean", "state", "messy", "xlsx", "xlsx-other-sheet", "two-files"],
)
def test_check_exit_codes_and_writes_nothing(workdir, args, exit_code):
    run = invoke("check", *args)
    assert run.exit_code == exit_code, run.stderr
    assert run.stdout == ""
    assert "rows read" in run.stderr
    assert files_under(workdir) == set()


def test_sheet_option_reads_the_named_sheet():
    run = invoke("check", NUMERIC, "--sheet", "Other", "--json", "-")
    document = json.loads(run.stdout)
    assert document["summary"]["input_rows"] == 1
    assert document["summary"]["rejected_by_code"] == {"reason_without_item": 1}


# -- --json -, the machine contract --------------------------------------------------------------


def test_generate_json_to_stdout(workdir):
    run = invoke("generate", MESSY, "--json", "-")
    assert run.exit_code == 1
    document = json.loads(run.stdout)  # stdout is the JSON document and nothing else
    assert_schema_v1(document)
    assert document["summary"]["input_rows"] == 23
    assert len(document["records"]) == 23
    outputs = document["outputs"]
    for kind in ("flat_file", "rejects", "report"):
        assert (workdir / outputs[kind]).is_file(), kind
    assert outputs["review"] is None
    assert not any(name.endswith(".json") for name in files_under(workdir))
    assert "rows read 23" in run.stderr and "{" not in run.stderr


def test_check_json_to_stdout_and_to_a_file(workdir):
    run = invoke("check", CLEAN, "--json", "-")
    assert run.exit_code == 0
    document = json.loads(run.stdout)
    assert_schema_v1(document)
    assert document["outputs"] == {
        "flat_file": None,
        "flat_files": None,
        "rejects": None,
        "report": None,
        "review": None,
    }
    run = invoke("check", CLEAN, "--json", "report.json")
    assert run.exit_code == 0 and run.stdout == ""
    assert files_under(workdir) == {"report.json"}
    assert json.loads((workdir / "report.json").read_text())["summary"]["input_rows"] == 12


def test_named_outputs_go_where_they_are_told(workdir):
    run = invoke(
        "generate",
        MESSY,
        "--flat-file",
        "upload/batch.txt",
        "--rejects",
        "fix/rejects.csv",
        "--report",
        "risk.md",
        "--json",
        "result.json",
    )
    assert run.exit_code == 1, run.stderr
    assert files_under(workdir) == {"upload/batch.txt", "fix/rejects.csv", "risk.md", "result.json"}
    document = json.loads((workdir / "result.json").read_text())
    assert document["outputs"]["flat_file"] == "upload/batch.txt"
    assert document["outputs"]["rejects"] == "fix/rejects.csv"
    assert document["outputs"]["report"] == "risk.md"
    assert (workdir / "upload/batch.txt").read_bytes().startswith(TEMPLATE_ROW)
    assert (workdir / "fix/rejects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    for path in ("upload/batch.txt", "fix/rejects.csv", "risk.md"):
        assert path in run.stderr


def test_named_flat_file_and_default_names_for_the_rest(workdir):
    run = invoke("generate", MESSY, "--flat-file", "upload.txt", "--out-dir", "out")
    assert run.exit_code == 1
    found = _outputs(workdir / "out")
    assert set(found) == {"-report.html", "-rejects.csv"}
    assert (workdir / "upload.txt").is_file()


def test_rejects_named_for_a_clean_batch_is_header_only(workdir):
    run = invoke("generate", CLEAN, "--rejects", "rejects.csv")
    assert run.exit_code == 0
    assert (workdir / "rejects.csv").read_text(encoding="utf-8-sig").count("\n") == 1


# -- names carry the batch time and never collide --------------------------------------------------


def test_output_names_carry_the_batch_time(workdir):
    before = dt.datetime.now().astimezone().replace(microsecond=0)
    invoke("generate", CLEAN)
    after = dt.datetime.now().astimezone()
    (name,) = [n for n in files_under(workdir / "cancelkit-out") if n.endswith(".txt")]
    stamp = STAMPED.fullmatch(name).group(1)
    when = dt.datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=before.tzinfo)
    assert before <= when <= after


def test_taken_name_gets_a_numeric_suffix(workdir):
    out = workdir / "cancelkit-out"
    out.mkdir()
    stamps = _stamps_around_now()
    for stamp in stamps:
        (out / f"cancellations-{stamp}.txt").write_text("earlier batch")
    run = invoke("generate", MESSY)
    assert run.exit_code == 1
    new = files_under(out) - {f"cancellations-{s}.txt" for s in stamps}
    stamp = STAMPED.fullmatch(sorted(new)[0]).group(1)
    assert new == {
        f"cancellations-{stamp}-2.txt",
        f"cancellations-{stamp}-2-report.html",
        f"cancellations-{stamp}-2-rejects.csv",
    }
    assert (out / f"cancellations-{stamp}.txt").read_text() == "earlier batch"


def test_any_taken_name_of_the_set_moves_the_whole_set(workdir):
    out = workdir / "cancelkit-out"
    out.mkdir()
    stamps = _stamps_around_now()
    taken = set()
    for stamp in stamps:
        taken |= {f"cancellations-{stamp}-report.html", f"cancellations-{stamp}-2-rejects.csv"}
    for name in taken:
        (out / name).write_text("earlier batch")
    assert invoke("generate", CLEAN).exit_code == 0
    new = files_under(out) - taken
    stamp = STAMPED.fullmatch(sorted(new)[0]).group(1)
    assert new == {f"cancellations-{stamp}-3.txt", f"cancellations-{stamp}-3-report.html"}


def test_two_runs_never_collide(workdir):
    assert invoke("generate", CLEAN).exit_code == 0
    assert invoke("generate", CLEAN).exit_code == 0
    names = files_under(workdir / "cancelkit-out")
    assert len(names) == 4
    assert all(OUTPUT_NAME.fullmatch(n) for n in names)


# -- --force ------------------------------------------------------------------------------------


def test_existing_output_is_not_overwritten_without_force(workdir):
    (workdir / "upload.txt").write_text("yesterday's upload")
    run = invoke("generate", CLEAN, "--flat-file", "upload.txt")
    assert_one_line_error(run, "upload.txt: already exists; use --force to replace it")
    assert (workdir / "upload.txt").read_text() == "yesterday's upload"
    assert files_under(workdir) == {"upload.txt"}  # nothing else was written either


@pytest.mark.parametrize("option", ["--json", "--rejects", "--report"])
def test_any_existing_named_output_stops_the_run_before_writing(workdir, option):
    name = {"--json": "r.json", "--rejects": "r.csv", "--report": "r.html"}[option]
    (workdir / name).write_text("keep")
    run = invoke("generate", MESSY, option, name)
    assert_one_line_error(run, f"{name}: already exists; use --force")
    assert files_under(workdir) == {name}
    assert (workdir / name).read_text() == "keep"


def test_force_replaces_existing_outputs(workdir):
    (workdir / "upload.txt").write_text("yesterday's upload")
    (workdir / "rejects.csv").write_text("old rejects")
    run = invoke(
        "generate", MESSY, "--flat-file", "upload.txt", "--rejects", "rejects.csv", "--force"
    )
    assert run.exit_code == 1, run.stderr
    assert len(list(flatfile.parse(workdir / "upload.txt"))) == 11
    assert (workdir / "rejects.csv").read_bytes().startswith(b"\xef\xbb\xbfOrder ID,")
    leftovers = [n for n in files_under(workdir) if n.endswith(".tmp") or "/." in n]
    assert leftovers == []


def test_check_json_file_not_overwritten_without_force(workdir):
    (workdir / "r.json").write_text("keep")
    assert_one_line_error(invoke("check", CLEAN, "--json", "r.json"), "already exists")
    assert (workdir / "r.json").read_text() == "keep"
    assert invoke("check", CLEAN, "--json", "r.json", "--force").exit_code == 0
    assert json.loads((workdir / "r.json").read_text())["schema_version"] == 1


# -- stdin, usage errors -------------------------------------------------------------------------


def test_stdin_dash_input(workdir):
    run = invoke("generate", "-", "--json", "-", input=MESSY.read_bytes())
    assert run.exit_code == 1
    document = json.loads(run.stdout)
    assert document["inputs"][0]["path"] == "<stdin>"
    assert document["summary"]["input_rows"] == 23
    assert {r["source"] for r in document["records"]} == {"<stdin>"}
    rejects = (workdir / document["outputs"]["rejects"]).read_text(encoding="utf-8-sig")
    assert "<stdin>,21,conflicting_reasons" in rejects  # re-read from the stdin copy


@pytest.mark.parametrize(
    "args",
    [
        ("generate", CLEAN, "--bogus"),
        ("check", CLEAN, "--flat-file", "x.txt"),  # generate's option, not check's
        ("generate", CLEAN, "--fail-on", "sometimes"),
        ("frobnicate", CLEAN),
    ],
    ids=["unknown-option", "option-of-another-command", "bad-choice", "unknown-command"],
)
def test_usage_errors_exit_2(workdir, args):
    run = invoke(*args)
    assert run.exit_code == 2
    assert "Traceback" not in run.output
    assert "Usage:" in run.stderr or "Error:" in run.stderr
    assert files_under(workdir) == set()


def test_no_input_is_a_usage_error(workdir):
    assert_one_line_error(invoke("generate"), "no INPUT given")
    assert_one_line_error(invoke("check"), "no INPUT given")


def test_same_input_twice(workdir):
    assert_one_line_error(invoke("check", CLEAN, CLEAN), "the same input is named twice")


def test_report_with_unknown_suffix_writes_nothing(workdir):
    run = invoke("generate", CLEAN, "--report", "risk.pdf")
    assert_one_line_error(run, "risk.pdf")
    assert files_under(workdir) == set()


# -- a real process --------------------------------------------------------------------------------


def test_subprocess_exit_codes_and_outputs(tmp_path):
    clean = run_cli("generate", CLEAN, "--out-dir", "out", cwd=tmp_path)
    assert clean.exit_code == 0, clean.stderr
    assert "Traceback" not in clean.output
    messy = run_cli("generate", MESSY, "--out-dir", "out", cwd=tmp_path)
    assert messy.exit_code == 1, messy.stderr
    names = files_under(tmp_path / "out")
    assert len(names) == 5 and all(OUTPUT_NAME.fullmatch(n) for n in names)
    missing = run_cli("generate", "missing.csv", "--out-dir", "out2", cwd=tmp_path)
    assert_one_line_error(missing, "missing.csv: no such file")
    assert not (tmp_path / "out2").exists()


def test_subprocess_stdin_and_json_stdout(tmp_path):
    run = run_cli("check", "-", "--json", "-", cwd=tmp_path, input=CLEAN.read_bytes())
    assert run.exit_code == 0, run.stderr
    document = json.loads(run.stdout)
    assert_schema_v1(document)
    assert document["inputs"][0]["path"] == "<stdin>"
    assert document["summary"]["input_rows"] == 12
    assert "rows read 12" in run.stderr
    assert files_under(tmp_path) == set()


def test_subprocess_usage_error_and_version(tmp_path):
    run = run_cli("generate", CLEAN, "--no-such-option", cwd=tmp_path)
    assert run.exit_code == 2
    assert "No such option" in run.stderr and "Traceback" not in run.output
    version = run_cli("--version", cwd=tmp_path)
    assert version.exit_code == 0
    assert cancelkit.__version__ in version.stdout


def test_outputs_get_ordinary_file_permissions(workdir):
    umask = os.umask(0o022)
    os.umask(umask)
    invoke("generate", CLEAN, "--flat-file", "upload.txt")
    mode = stat.S_IMODE((workdir / "upload.txt").stat().st_mode)
    assert mode == 0o666 & ~umask
