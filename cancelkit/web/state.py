"""What one `cancelkit serve` session holds: its private folder, its batches, the
approvals made on the page (one saved state per batch, with a few earlier versions so
that two tabs can be told apart), and the background jobs (reading, sending)."""

from __future__ import annotations

import secrets
import shutil
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CancelkitError
from ..write.result import Result
from .approvals import ReviewRow

#: earlier saved states a tab may still build on; older ones must reload the page
KEPT_VERSIONS = 32


@dataclass
class Saved:
    """The outcome of saving approvals from one tab."""

    version: int
    #: another tab had saved since this one loaded: its state was replaced
    replaced: bool
    #: how many rows that other tab had decided differently
    overridden: int


@dataclass
class Batch:
    """One loaded batch: its review workbook, its rows and their saved approvals."""

    id: str
    folder: Path
    title: str
    review_path: Path
    rows: list[ReviewRow]
    #: the run the page projects with (its figures and marketplaces); closed, files gone
    result: Result
    #: what the records say of each row, by (source, row): flags, errors
    details: dict[tuple[str, int], dict]
    #: rows of an uploaded workbook that its seal refused, by sheet row: why
    refused: dict[int, str] = field(default_factory=dict)
    versions: dict[int, frozenset[int]] = field(default_factory=dict)
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: the last "leave" run: its outputs (name -> path), ledger batch ids, messages
    left: dict | None = None
    by_token: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_token = {row.token: i for i, row in enumerate(self.rows)}

    @property
    def approved(self) -> frozenset[int]:
        return self.versions[self.version]

    def start(self, approved: Iterable[int]) -> None:
        self.versions = {0: frozenset(approved)}
        self.version = 0

    def save(self, base: int, changes: dict[int, bool]) -> Saved:
        """Apply a tab's changes to the state it last saw (`base`): the last save wins."""
        with self.lock:
            if base not in self.versions:
                raise CancelkitError(
                    "this page is too far behind the approvals saved from another tab: "
                    "reload the page",
                    code="web_stale_page",
                )
            seen = set(self.versions[base])
            for index, yes in changes.items():
                if yes:
                    seen.add(index)
                else:
                    seen.discard(index)
            current = self.versions[self.version]
            replaced = base != self.version
            overridden = len(current.symmetric_difference(seen) - set(changes)) if replaced else 0
            self.version += 1
            self.versions[self.version] = frozenset(seen)
            for old in [v for v in self.versions if v <= self.version - KEPT_VERSIONS]:
                del self.versions[old]
            return Saved(self.version, replaced, overridden)


@dataclass
class Job:
    """A background task whose progress the page polls."""

    id: str
    kind: str
    state: str = "running"  # running, done, failed
    lines: list[str] = field(default_factory=list)
    progress: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: where the page goes when the job is done
    then: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)

    def say(self, text: str) -> None:
        self.lines.append(text)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "lines": self.lines[-50:],
            "progress": self.progress,
            "error": self.error,
            "then": self.then,
            "outcome": self.outcome,
        }


class Session:
    """The server's one session: its secrets, private folder, batches and jobs."""

    def __init__(self, folder: Path, max_upload_mb: float) -> None:
        self.folder = folder
        self.max_upload_mb = max_upload_mb
        #: the one-time token of the printed URL, until used
        self.url_token: str | None = secrets.token_urlsafe(32)
        #: the session cookie's value and the CSRF token of the pages
        self.cookie = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.batches: dict[str, Batch] = {}
        self.jobs: dict[str, Job] = {}
        #: the retry files of dropped processing reports, by the key of their address
        self.retries: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def new_folder(self, kind: str) -> tuple[str, Path]:
        with self._lock:
            self._counter += 1
            name = f"{kind}-{self._counter}"
        folder = self.folder / name
        folder.mkdir(mode=0o700)
        return name, folder

    def start_job(self, kind: str, work: Callable[[Job], object]) -> Job:
        job = Job(id=secrets.token_urlsafe(9), kind=kind)
        self.jobs[job.id] = job

        def body() -> None:
            try:
                work(job)
                job.state = "done"
            except CancelkitError as exc:
                job.error = _one_line(str(exc)) + (f" [{exc.code}]" if exc.code else "")
                job.state = "failed"
            except (ValueError, OSError) as exc:
                job.error = _one_line(str(exc))
                job.state = "failed"
            except Exception as exc:  # the page says so; the server keeps running
                traceback.print_exc()
                job.error = f"internal error: {type(exc).__name__}: {_one_line(str(exc))}"
                job.state = "failed"

        threading.Thread(target=body, name=f"cancelkit-{kind}", daemon=True).start()
        return job

    def remove(self) -> None:
        """Close every run and remove the private folder (the server stops)."""
        for batch in self.batches.values():
            batch.result.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _one_line(text: str) -> str:
    return " ".join(text.split())
