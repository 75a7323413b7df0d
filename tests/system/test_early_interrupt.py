"""Interrupted at any moment (issue 16): Ctrl-C or SIGTERM from cancelkit's first
instruction on, while the program imports, parses its options or waits for its input,
ends in one line (`cancelkit: interrupted` / `terminated`) and exit 130 / 143, with
nothing written and nothing left in the temporary folder.

"The first instruction" is the first line of cancelkit/entry.py, which installs the
handling before any heavy import. The tests wait for it on a condition, not a sleep: the
process's caught-signal mask in /proc shows SIGTERM once the handler is installed (Python
itself catches only SIGINT). The later moments are counted from that one in the CPU time
the process has used (/proc again), so they fall at the same points of its start however
loaded the machine is, and a run that gets to wait for its input (its copy of stdin is
made) before that much CPU is stopped there. Before the handling is installed the
interpreter is still starting (site and the environment's .pth files); what happens then
is the interpreter's, see docs/reliability.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLEAN, cpu_seconds, wait_until

import cancelkit
from cancelkit.read import scratch

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the caught-signal mask in /proc"
)

#: a generous bound for the wait on the condition, never a timing assertion
BOUND_S = 60.0


def caught_signals(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return int(line.split()[1], 16)
    return 0


def wait_for_handler(process: subprocess.Popen) -> None:
    """Until cancelkit's entry has installed its handling (SIGTERM is caught)."""
    bit = 1 << (signal.SIGTERM - 1)
    deadline = time.monotonic() + BOUND_S
    while not caught_signals(process.pid) & bit:
        assert process.poll() is None, "ended before its handling was installed"
        assert time.monotonic() < deadline, "the handling was never installed"
        time.sleep(0.0005)


def start(args: list, tmp_path: Path, module: bool = True) -> subprocess.Popen:
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    if module:
        command = [sys.executable, "-m", "cancelkit"]
    else:  # the console script as pip writes it, under its own name
        script = tmp_path / "bin" / "cancelkit"
        script.parent.mkdir(exist_ok=True)
        script.write_text(CONSOLE_SCRIPT, encoding="utf-8")
        command = [sys.executable, str(script)]
    return subprocess.Popen(
        [*command, *map(str, args)],
        stdin=subprocess.PIPE,  # kept open: a run reading - waits for its input
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=dict(os.environ, NO_COLOR="1", TMPDIR=str(temp)),
    )


#: the `cancelkit` console script as pip writes it (pyproject.toml: cancelkit.entry:main)
CONSOLE_SCRIPT = """import re
import sys
from cancelkit.entry import main
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(main())
"""


def reading(temp: Path) -> bool:
    """Whether the run has made its copy of standard input: it reads, or waits for, its input."""
    return any(p.name.startswith(scratch.STDIN_PREFIX) for p in temp.iterdir())


def interrupt(
    process: subprocess.Popen, signum: int, temp: Path, cpu_s: float = 0.0
) -> tuple[int, str, str]:
    """Send the signal once the handling is installed and the process has used `cpu_s` more
    seconds of CPU, or has got to its input first."""
    wait_for_handler(process)
    start = cpu_seconds(process.pid)
    wait_until(
        lambda: cpu_seconds(process.pid) >= start + cpu_s or reading(temp),
        BOUND_S,
        "the moment under test",
    )
    process.send_signal(signum)
    out, err = process.communicate(timeout=BOUND_S)
    return process.returncode, out.decode(), err.decode()


EXPECTED = {
    signal.SIGINT: (130, "cancelkit: interrupted"),
    signal.SIGTERM: (143, "cancelkit: terminated"),
}


@pytest.mark.parametrize("cpu_ms", [0, 10, 30, 100, 300])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("module", [True, False], ids=["python-m", "console-script"])
def test_a_signal_from_the_first_instruction_on_ends_in_one_line(
    tmp_path, private_ledger, signum, cpu_ms, module
):
    out = tmp_path / "out"
    process = start(["generate", "-", "--out-dir", out], tmp_path, module)
    code, stdout, stderr = interrupt(process, signum, tmp_path / "tmp", cpu_ms / 1000)
    assert (code, stderr.strip()) == EXPECTED[signum], stderr
    assert stdout == ""
    assert not out.exists()
    assert list((tmp_path / "tmp").iterdir()) == []  # not even the copy of stdin
    assert not private_ledger.exists() or _batches(private_ledger) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_input_is_read_after_the_imports(tmp_path, private_ledger, signum):
    """Past the imports, in the work: the signal raises and the staged files go back."""
    out = tmp_path / "out"
    process = start(["generate", "-", "--out-dir", out], tmp_path)
    wait_for_handler(process)
    process.stdin.write(CLEAN.read_bytes()[:200])  # part of an input: the run is reading
    process.stdin.flush()
    code, _, stderr = interrupt(process, signum, tmp_path / "tmp", float("inf"))  # reading
    assert (code, stderr.strip()) == EXPECTED[signum], stderr
    assert not out.exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_handling_is_installed_before_the_heavy_imports(tmp_path):
    """The package and the entry's first step import nothing heavy."""
    probe = (
        "import sys, cancelkit; heavy = {'click', 'pydantic', 'openpyxl', 'sqlite3'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]"
    # the API still loads on first use, and is the same object every time
    assert cancelkit.check is cancelkit.check
    assert {"check", "submit", "fetch_orders", "Result"} <= set(dir(cancelkit))
    with pytest.raises(AttributeError):
        cancelkit.no_such_name  # noqa: B018


def test_only_the_command_line_installs_the_handling_at_import(tmp_path):
    """`import cancelkit` in another program (even one started with -m) changes nothing."""
    (tmp_path / "theirs.py").write_text(
        "import signal, cancelkit\nprint(signal.getsignal(signal.SIGTERM))\n", encoding="utf-8"
    )
    for command in (
        ["-c", "import signal, cancelkit; print(signal.getsignal(15))"],
        ["-m", "theirs"],
    ):
        done = subprocess.run(
            [sys.executable, *command],
            capture_output=True,
            check=True,
            cwd=tmp_path,
            env=dict(
                os.environ,
                PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
            ),
        )
        assert done.stdout.decode().strip() in ("0", "Handlers.SIG_DFL"), done.stdout


def test_the_library_keeps_the_callers_signal_handlers(tmp_path):
    """`import cancelkit` and a check from Python never change the process's handlers."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    cancelkit.check(str(CLEAN), no_ledger=True)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def _batches(ledger: Path) -> int:
    import sqlite3

    with sqlite3.connect(ledger) as db:
        return db.execute("SELECT count(*) FROM batches").fetchone()[0]
