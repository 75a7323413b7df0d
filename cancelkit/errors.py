"""Exceptions for unusable input or environment; row problems are values, never exceptions."""

from __future__ import annotations


class CancelkitError(Exception):
    """Base of every error cancelkit raises on purpose; the CLI prints it on one line, exit 2.

    `code` is stable (scripts match on it, never on the message); a subclass gives its
    default and each raise may name a more precise one with `code=`.
    """

    code = "error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        if code is not None:
            self.code = code


class InputError(CancelkitError):
    """An input file cannot be used at all (unreadable, unknown format, missing columns)."""

    code = "input_unusable"


class OutputError(CancelkitError):
    """An output cannot be written (exists without --force, no permission)."""

    code = "output_error"


class ConfigError(CancelkitError):
    """The configuration file or an option value is invalid."""

    code = "config_error"
