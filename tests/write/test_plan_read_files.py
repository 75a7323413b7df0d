"""Every file a run reads is an input of its plan (issue 16): the configuration found in
the working folder or named, the review key, the ledger and SQLite's files beside it are
never replaced by an output of any command that writes, named or found implicitly, under
any spelling. Each refusal is `output_is_input`, exit 2, nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import CLEAN, assert_one_line_error, files_under, invoke

import cancelkit
from cancelkit.errors import OutputError

CONFIG = 'marketplace = "US"\n'


@pytest.fixture
def config(workdir: Path) -> Path:
    path = workdir / "cancelkit.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def unchanged(path: Path, text: str = CONFIG) -> None:
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "args",
    [
        ["generate", CLEAN, "--json", "cancelkit.toml", "--force"],
        ["generate", CLEAN, "--flat-file", "cancelkit.toml", "--force"],
        ["generate", CLEAN, "--report", "./cancelkit.toml", "--force"],
        ["generate", CLEAN, "--rejects", "sub/../cancelkit.toml", "--force"],
        ["check", CLEAN, "--json", "cancelkit.toml", "--force"],
        ["check", CLEAN, "--report", "cancelkit.toml", "--force"],
        ["review", CLEAN, "-o", "cancelkit.toml", "--force"],
        ["template", "-o", "cancelkit.toml", "--force"],
        ["fetch-orders", "-o", "cancelkit.toml", "--force"],
    ],
    ids=lambda a: "-".join(str(x) for x in a[:1] + a[-3:-1]),
)
def test_the_implicit_config_is_never_an_output(config, workdir, args):
    (workdir / "sub").mkdir()
    run = invoke(*args)
    assert_one_line_error(run, "is the input the configuration", "[output_is_input]")
    unchanged(config)
    assert files_under(workdir) == {"cancelkit.toml"}


def test_a_named_config_and_its_symlink_are_never_an_output(workdir, tmp_path):
    named = tmp_path / "settings.toml"
    named.write_text(CONFIG, encoding="utf-8")
    os.symlink(named, workdir / "link.toml")
    for args in (
        ["generate", CLEAN, "--config", named, "--json", "link.toml", "--force"],
        ["fetch-orders", "--config", named, "-o", "link.toml", "--force"],
    ):
        run = invoke(*args)
        assert_one_line_error(run, "[output_is_input]")
    unchanged(named)


def test_the_review_key_is_never_an_output(workdir, monkeypatch, tmp_path):
    key = tmp_path / "review-key"
    monkeypatch.setenv("CANCELKIT_REVIEW_KEY", str(key))
    assert invoke("review", CLEAN, "-o", "first.xlsx").exit_code == 0
    before = key.read_bytes()
    for args in (
        ["review", CLEAN, "-o", key, "--force"],
        ["generate", CLEAN, "--json", key, "--force"],
        ["template", "-o", key, "--force"],
    ):
        run = invoke(*args)
        assert_one_line_error(run, "is the input the review key", "[output_is_input]")
    assert key.read_bytes() == before
    # the earlier review still reads: its rows go through --from-review
    run = invoke("generate", "--from-review", "first.xlsx", "--no-ledger", "--out-dir", "o")
    assert run.exit_code == 0, run.output


def test_a_review_never_creates_its_key_under_its_own_name(workdir, monkeypatch):
    monkeypatch.setenv("CANCELKIT_REVIEW_KEY", str(workdir / "r.xlsx"))
    run = invoke("review", CLEAN, "-o", "r.xlsx")
    assert_one_line_error(run, "[output_is_input]")
    assert files_under(workdir) == set()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("command", ["generate", "check", "review"])
def test_the_ledger_and_its_sqlite_files_are_never_an_output(
    workdir, private_ledger, suffix, command
):
    assert invoke("generate", CLEAN, "--out-dir", "first").exit_code == 0  # the ledger exists
    target = f"{private_ledger}{suffix}"
    option = {"generate": "--json", "check": "--json", "review": "-o"}[command]
    run = invoke(command, CLEAN, option, target, "--force")
    assert_one_line_error(run, "is the input the ledger", "[output_is_input]")
    if suffix == "":
        assert private_ledger.stat().st_size > 0


def test_a_named_ledger_and_its_wal_are_inputs_of_generate(workdir, tmp_path):
    ledger = tmp_path / "named.sqlite3"
    run = invoke("generate", CLEAN, "--ledger", ledger, "--rejects", f"{ledger}-wal", "--force")
    assert_one_line_error(run, "SQLite file (-wal)", "[output_is_input]")
    assert not ledger.exists()
    run = invoke("reconcile", CLEAN, "--ledger", ledger, "--retry", f"{ledger}-shm")
    assert_one_line_error(run, "[output_is_input]")


def test_the_api_writers_refuse_the_config_the_key_and_the_ledger(config, tmp_path, monkeypatch):
    key = tmp_path / "key"
    monkeypatch.setenv("CANCELKIT_REVIEW_KEY", str(key))
    ledger = tmp_path / "l.sqlite3"
    with cancelkit.check(str(CLEAN), ledger=str(ledger)) as result:
        for writer, target in (
            (result.write_json_file, config),
            (result.write_flat_file, "cancelkit.toml"),
            (result.write_review, key),
            (result.write_report, f"{ledger}-wal"),
        ):
            with pytest.raises(OutputError) as caught:
                writer(target, force=True)
            assert caught.value.code == "output_is_input"
        with pytest.raises(OutputError) as caught:
            result.write_outputs("out", json_path="cancelkit.toml", force=True)
        assert caught.value.code == "output_is_input"
    unchanged(config)
    assert not key.exists() and not Path(f"{ledger}-wal").exists()


def test_fetch_orders_from_python_never_replaces_the_config(config):
    with pytest.raises(OutputError) as caught:
        cancelkit.fetch_orders("cancelkit.toml", force=True)
    assert caught.value.code == "output_is_input"
    with pytest.raises(OutputError) as caught:
        cancelkit.fetch_orders(5)
    assert caught.value.code == "path_type"
    unchanged(config)
