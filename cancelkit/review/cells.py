"""The review workbook's cells: the xlsxwriter workbook, its default format and styles,
and row heights (shared with the blank template, write/workbook.py); column letters are
review/reader.column_name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .reader import (
    NOTE,
)

if TYPE_CHECKING:  # imported when a workbook is written: a run that writes none skips it
    import xlsxwriter

#: Review columns whose long text wraps: their line count sets a row's height (the full
#: problem sentences do not wrap: the short `issue` label keeps a row one line high, and the
#: whole text shows in the cell and the formula bar)
_WRAPPED = frozenset({NOTE})
# Excel's built-in number format 49, "@" (Text); the index, not the string, because xlsxwriter
# would store "@" as a custom format that openpyxl cannot resolve
_TEXT_FORMAT = 49
#: rows an xlsx sheet holds, the header included
MAX_SHEET_ROWS = 1_048_576
# Fill colours by risk, light enough to read black text on (and to print).
# Medium (amber) and low (blue) differ in hue, not only in shade, so they tell apart on
# screen, printed, and for the common colour-vision deficiencies.
RISK_FILLS = (("high", "#F8CBAD"), ("medium", "#FFE699"), ("low", "#DDEBF7"), ("none", "#E2EFDA"))
_OFF_FILL, _OFF_FONT = "#E7E6E6", "#595959"
_HEADER_FILL = "#1F4E78"
# Every cell without a format of its own gets this one (xlsxwriter's default format, style 0),
# so most cells of a big review carry no per-cell style: Arial, which has metric twins
# everywhere (Liberation Sans on Linux), so wrapped text and the row heights estimated for it
# come out alike in Excel, LibreOffice and Google Sheets; Text, so what a person types stays
# as typed (an item code never turns into 6.28452E+13); aligned to the top.
_DEFAULT_FORMAT = {
    "font_name": "Arial",
    "font_size": 10,
    "font_scheme": "none",  # not the theme's font (Calibri): Arial, as named
    "num_format": _TEXT_FORMAT,
    "valign": "top",
}
#: points per line of wrapped Arial 10 text, and characters per line per unit of width
_LINE_HEIGHT = 13
_CHARS_PER_WIDTH = 1.2


def _workbook(stream, constant_memory: bool = False) -> xlsxwriter.Workbook:
    import xlsxwriter

    return xlsxwriter.Workbook(
        stream,
        {
            "constant_memory": constant_memory,
            "default_format_properties": _DEFAULT_FORMAT,
            # text is text: no write() guessing turns a string into a formula, number or link
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


class _Styles:
    """The few cell formats the workbooks use."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        add = workbook.add_format  # on top of _DEFAULT_FORMAT

        self.header = add(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": _HEADER_FILL,
                "text_wrap": True,
                "border": 1,
                "border_color": "#BFBFBF",
            }
        )
        # explicit column formats of the template, so Excel applies them to typed cells
        self.text = add({"num_format": _TEXT_FORMAT})
        self.general = add({"num_format": "General"})
        self.wrap = add({"text_wrap": True})
        self.title = add({"bold": True, "font_size": 14})
        self.section = add({"bold": True, "font_size": 11, "bottom": 1})
        self.percent = add({"num_format": "0.00%", "align": "left"})
        self.number = add({"num_format": "#,##0", "align": "left"})
        self.verdict = {
            level: add({"bold": True, "font_size": 11, "font_color": color, "text_wrap": True})
            for level, color in (("ok", "#375623"), ("warning", "#9C5700"), ("danger", "#C00000"))
        }
        # conditional formats (they change only fill, font colour, weight and border)
        cond = workbook.add_format
        self.risk = {level: cond({"bg_color": fill}) for level, fill in RISK_FILLS}
        self.off = cond({"bg_color": _OFF_FILL, "font_color": _OFF_FONT})
        self.approved = cond({"bold": True})
        # an accepted row nobody decided yet: a white box that asks for yes or no
        self.undecided = cond({"bg_color": "#FFFFFF", "border": 1, "border_color": "#C65911"})


def _lines(text: str, per_line: int) -> int:
    """Lines a wrapped text takes in a column (estimated; rows get explicit heights because
    neither Excel nor LibreOffice reliably fits them when opening a file)."""
    if len(text) <= per_line and "\n" not in text:
        return 1
    return sum(-(-len(part) // per_line) or 1 for part in text.split("\n"))
