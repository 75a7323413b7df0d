"""Exceptions for unusable input or environment; row problems are values, never exceptions."""

from __future__ import annotations


class CancelkitError(Exception):
    """Base of every error cancelkit raises on purpose; the CLI prints it on one line, exit 2."""


class InputError(CancelkitError):
    """An input file cannot be used at all (unreadable, unknown format, missing columns)."""


class OutputError(CancelkitError):
    """An output cannot be written (exists without --force, no permission)."""


class ConfigError(CancelkitError):
    """The configuration file or an option value is invalid."""
