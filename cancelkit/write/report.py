"""Risk summary report: renders the report context with Jinja2 templates (HTML or Markdown)."""

from __future__ import annotations

import functools
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
_TEMPLATE_NAMES = {"html": "report.html.j2", "md": "report.md.j2"}

# Characters that make Markdown syntax: a table cell break, code spans, emphasis, links, and the
# backslash itself (so a trailing backslash cannot escape the cell's closing pipe).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|])")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_BACKTICKS = re.compile(r"`+")

# Geometry of the inline SVG rate chart, in SVG user units.
_CHART_LABEL_WIDTH = 120
_CHART_PLOT_WIDTH = 330
_CHART_RIGHT_MARGIN = 70
# The target line sits at two thirds of the plot unless a bar needs more room than that.
_CHART_TARGET_SHARE = 2 / 3


def report_format_for(path: str | os.PathLike[str]) -> str:
    """Return the report format ("html" or "md") for an output path, chosen by its suffix."""
    suffix = Path(path).suffix.lower()
    try:
        return REPORT_FORMATS[suffix]
    except KeyError:
        known = ", ".join(REPORT_FORMATS)
        raise ValueError(
            f"cannot tell the report format of {os.fspath(path)!r}: use one of {known}"
        ) from None


def render_report(context: dict[str, Any], fmt: str) -> str:
    """Render the risk summary report for `context` as "html" or "md" and return the text."""
    try:
        template_name = _TEMPLATE_NAMES[fmt]
    except KeyError:
        raise ValueError(f"unknown report format {fmt!r}: use 'html' or 'md'") from None
    return _environment().get_template(template_name).render(context)


def templates_dir() -> Path:
    """The folder holding the report templates: inside the installed package, else the repo's."""
    try:
        packaged = resources.files("cancelkit") / "templates"
    except (ModuleNotFoundError, TypeError):
        packaged = None
    # FileSystemLoader needs a real folder; a zipped or namespace package falls through.
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def pct(rate: float | None, digits: int = 2) -> str:
    """Format a rate given as a fraction as a percentage: 0.018 -> "1.80%"."""
    if rate is None or jinja2.is_undefined(rate):
        return "n/a"
    return f"{rate * 100:.{digits}f}%"


def thousands(number: int | float | None) -> str:
    """Format a count with thousands separators: 4000 -> "4,000"."""
    if number is None or jinja2.is_undefined(number):
        return "n/a"
    return f"{number:,}"


def md(value: Any) -> str:
    """Escape a value for Markdown so user text stays text, on one line, inside a table cell."""
    if value is None or jinja2.is_undefined(value):
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))
    # Entities rather than backslashes for < and >: not every renderer honours "\<".
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(value: Any) -> str:
    """A Markdown code span for a machine value (a code, a checksum), safe inside a table cell."""
    if value is None or jinja2.is_undefined(value) or value == "":
        return ""
    # A GFM table splits cells on "|" even inside code spans; "\|" is its escape there.
    text = _LINE_BREAKS.sub(" ", str(value)).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def rate_chart(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    """Geometry of the before/after rate bars against the target line, or None without rates."""
    if not metrics or metrics.get("orders_in_window") is None:
        return None
    threshold = metrics.get("threshold")
    rate_after = metrics.get("rate_after")
    if threshold is None or rate_after is None:
        return None
    rate_before = metrics.get("rate_before")
    known_rates = [rate for rate in (rate_before, rate_after) if rate is not None]
    scale = max(threshold / _CHART_TARGET_SHARE, max(known_rates) * 1.05)

    def x_of(rate: float) -> float:
        return round(_CHART_LABEL_WIDTH + rate / scale * _CHART_PLOT_WIDTH, 1)

    bars = []
    for key, label in (("rate_before", "Before"), ("rate_after", "After this batch")):
        rate = metrics.get(key)
        if rate is None:
            continue
        bars.append(
            {
                "key": key,
                "label": label,
                "rate": rate,
                "width": round(max(rate / scale * _CHART_PLOT_WIDTH, 0.0), 1),
                "end": x_of(rate),
                "over": rate >= threshold,
            }
        )
    return {
        "x0": _CHART_LABEL_WIDTH,
        "width": _CHART_LABEL_WIDTH + _CHART_PLOT_WIDTH + _CHART_RIGHT_MARGIN,
        "target_x": x_of(threshold),
        "threshold": threshold,
        "bars": bars,
    }


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        # HTML escapes every value; Markdown escapes user values explicitly with the md filter.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "htm.j2"), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(pct=pct, thousands=thousands, md=md, md_code=md_code)
    environment.globals.update(rate_chart=rate_chart)
    return environment
