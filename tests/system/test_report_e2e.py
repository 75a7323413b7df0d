"""The risk report as users get it: from `cancelkit generate`, in a real browser, and from an
installed wheel."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import installed_wheel
from test_report_browser import browser  # noqa: F401 - the shared Chromium fixture

from cancelkit.cli import cli

HOSTILE_SKU = "<img src=x onerror=alert(1)>"
HOSTILE_NOTE = "<script>alert('note')</script>"


@pytest.fixture
def hostile_batch(tmp_path: Path) -> Path:
    path = tmp_path / "batch.csv"
    path.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code,sku,note\n"
        f'113-4728391-2038475,NoInventory,62845173920562,"{HOSTILE_SKU}",ok\n'
        f'114-2093847-5610293,NoInventory,62845173920571,"{HOSTILE_SKU}","{HOSTILE_NOTE}"\n'
        "111-8837261-4402918,NoInventory,31947205836174,MUG,\n"
        "bad-id,NoInventory,31947205836188,MUG,\n",
        encoding="utf-8",
    )
    return path


def generate(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(cli, ["generate", *args])
    return outcome.exit_code, outcome.stderr


def test_generate_writes_the_html_report_next_to_the_flat_file(tmp_path, hostile_batch):
    out = tmp_path / "out"
    code, stderr = generate(
        str(hostile_batch), "--out-dir", str(out), "--orders-7d", "100", "--allow-over-target"
    )
    assert code == 1  # one row rejected
    names = sorted(p.name for p in out.iterdir())
    stem = names[0].split(".")[0].removesuffix("-rejects").removesuffix("-report")
    assert names == [f"{stem}-rejects.csv", f"{stem}-report.html", f"{stem}.txt"]
    html = (out / f"{stem}-report.html").read_text(encoding="utf-8")
    assert "3.00%" in html  # 3 counting orders of 100
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE_SKU not in html
    assert "<script" not in html
    assert "report:" in stderr


def test_markdown_report(tmp_path, hostile_batch):
    report = tmp_path / "risk.md"
    code, _ = generate(
        str(hostile_batch), "--out-dir", str(tmp_path / "o"), "--report", str(report)
    )
    assert code == 1
    text = report.read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "Pass --orders-7d N" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert HOSTILE_SKU not in text


def test_report_suffix_must_be_html_or_md(tmp_path, hostile_batch):
    code, stderr = generate(
        str(hostile_batch), "--out-dir", str(tmp_path / "o"), "--report", str(tmp_path / "r.pdf")
    )
    assert code == 2
    assert "r.pdf" in stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_check_writes_only_what_is_asked(tmp_path, hostile_batch, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(cli, ["check", str(hostile_batch), "--json", "-"])
    assert outcome.exit_code == 1
    assert '"schema_version": 1' in outcome.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.csv"]


def test_generated_report_in_chromium(tmp_path, hostile_batch, browser):  # noqa: F811
    report = tmp_path / "risk.html"
    code, _ = generate(
        str(hostile_batch),
        "--out-dir",
        str(tmp_path / "o"),
        "--report",
        str(report),
        "--orders-7d",
        "100",
        "--cancels-7d",
        "1",
        "--allow-over-target",
    )
    assert code == 1
    page = browser.new_page()
    console, errors, dialogs, requests = [], [], [], []
    page.on("console", lambda m: console.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    page.close()
    assert console == [] and errors == [] and dialogs == []
    assert requests == [report.as_uri()]
    assert "This batch puts your Cancellation Rate over the 2.50% target" in text
    assert "4.00%" in text  # (1 + 3) / 100
    assert HOSTILE_SKU in text  # shown as text, never run
    assert HOSTILE_NOTE in text


@pytest.mark.slow
def test_templates_render_from_an_installed_wheel(tmp_path, hostile_batch):
    env_dir = installed_wheel(tmp_path)
    python = env_dir / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import cancelkit.write.report as r; print(r.templates_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert str(env_dir) in where  # the packaged templates, not the checkout's
    outcome = subprocess.run(
        [
            str(env_dir / "bin" / "cancelkit"),
            "generate",
            str(hostile_batch),
            "--report",
            "risk.html",
            "--out-dir",
            "out",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert outcome.returncode == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr
    html = (elsewhere / "risk.html").read_text(encoding="utf-8")
    assert "Cancellation risk report" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
