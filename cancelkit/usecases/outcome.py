"""What a use case returns: the exit code, what was written and the messages to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from ..interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED


class ExitCode(IntEnum):
    """Every exit code of the command line (README "Exit codes")."""

    #: every row accepted and the risk gate passed (reconcile: every row confirmed)
    OK = 0
    #: some rows rejected (the accepted rows, rejects file and reports are still written);
    #: reconcile and submit: some rows failed or were left unconfirmed
    REJECTED = 1
    #: usage error or unusable input (nothing written)
    USAGE = 2
    #: the risk gate tripped (reports written, upload file not)
    GATE = 3
    #: submit: Amazon is still processing the feed when --wait ends
    PROCESSING = 4
    #: interrupted (Ctrl-C): the out-dir and the ledger are as before the run
    INTERRUPTED = EXIT_INTERRUPTED
    #: terminated (SIGTERM): likewise
    TERMINATED = EXIT_TERMINATED


#: how much generate, check and review say: nothing but errors, a summary, or more
TalkLevel = Literal["quiet", "normal", "verbose"]


@dataclass(frozen=True)
class Talk:
    """How much a use case says (`--quiet`, `--verbose`) and whether in colour."""

    level: TalkLevel = "normal"
    color: bool = False

    @property
    def quiet(self) -> bool:
        return self.level == "quiet"

    @property
    def verbose(self) -> bool:
        return self.level == "verbose"


#: the default: a summary, without colour
NORMAL = Talk()


@dataclass(frozen=True)
class Message:
    """One text to print, on standard error (what a person reads) or standard output
    (what a command prints as its answer)."""

    text: str
    stream: Literal["stderr", "stdout"] = "stderr"


@dataclass
class Outcome:
    """The outcome of one use case: its exit code, the outputs written (role -> path, or
    the list of parts; the JSON report's `outputs` for generate and check) and the messages
    to print, in order."""

    exit_code: ExitCode = ExitCode.OK
    written: dict[str, object] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    #: the ledger batches recorded or changed (generate: one per upload file)
    batch_ids: list[str] = field(default_factory=list)

    def say(self, text: str, stream: Literal["stderr", "stdout"] = "stderr") -> None:
        self.messages.append(Message(text, stream))
