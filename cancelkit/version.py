"""The version of cancelkit: the one place it is written (pyproject.toml reads it too)."""

__version__ = "0.3.0"
