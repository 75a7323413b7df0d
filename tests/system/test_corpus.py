"""The bad-input corpus (tests/corpus/make_corpus.py): every hostile or broken input ends in
the exit code and error code below, never a traceback, never a partial output.

Exit 2 (unusable input): the one-line message ends in `[CODE]` and the out-dir stays empty.
Exit 1 (rows rejected) and 0 (fine): the JSON report on stdout gives the row error codes,
and the out-dir holds complete files only (a flat file that parses, rejects only for 1).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import OUTPUT_NAME, Run, assert_one_line_error, invoke, run_cli
from corpus import make_corpus

from cancelkit.amazon import flatfile
from cancelkit.read import guards

# pipeline.py raises "no data rows below the header row" without a code of its own yet
NO_DATA_ROWS = "no_data_rows"


@dataclass(frozen=True)
class Case:
    exit_code: int
    #: exit 2: the [CODE]; exit 0/1: every row error code in the JSON report
    codes: tuple[str, ...] = ()
    #: the row numbers of the records, when the case is about them
    rows: tuple[int, ...] | None = None
    args: tuple[str, ...] = ()
    #: lowered limits (module constants of cancelkit.read.guards) for this case
    limits: dict = field(default_factory=dict)
    #: run in a real `python -m cancelkit` process instead of click's CliRunner
    process: bool = False
    #: the file a case reuses under another name (with other options)
    file: str | None = None
    #: the input is a review workbook: given with --from-review
    review: bool = False
    #: exit 0/1: the codes of the review rows refused as tampered with, in sheet order
    refused: tuple[str, ...] = ()
    #: exit 0/1: flag or note codes that must be on some record
    notes: tuple[str, ...] = ()
    #: the input holds personal data: none of make_corpus.BUYER_VALUES may be in an output
    personal: bool = False
    #: the content of a config file given as {config}
    config: str | None = None
    #: exit 2: whether the one-line message names the input (else another path: an output,
    #: the config file)
    names_input: bool = True
    #: text that must appear in no output and no message (a secret in the config)
    hidden: tuple[str, ...] = ()


#: the states block's two order reports, an older and a newer one
TWO_REPORTS = ("--orders-report", "{dir}/old.txt", "--orders-report", "{dir}/new.txt")


def unusable(code: str, **options) -> Case:
    return Case(2, (code,), **options)


REPORT = ("--orders-report", "{dir}/report.txt")
CASES: dict[str, Case] = {
    # empty, blank, header only
    "empty.csv": unusable("file_empty", process=True),
    "bom-only.csv": unusable("file_empty"),
    "blank-lines.csv": unusable("file_empty"),
    "header-only.csv": unusable(NO_DATA_ROWS),
    "header-and-blank-rows.csv": unusable(NO_DATA_ROWS),
    "header-only.xlsx": unusable(NO_DATA_ROWS),
    "empty-first-sheet.xlsx": unusable("sheet_empty"),
    "empty-first-sheet.xlsx --sheet": Case(
        0, rows=(2, 3, 4), args=("--sheet", "Cancellations"), file="empty-first-sheet.xlsx"
    ),
    "no-such-sheet": unusable("no_such_sheet", args=("--sheet", "Nope"), file="macros.xlsm"),
    # not text at all
    "binary-garbage.csv": unusable("file_binary", process=True),
    "nul-bytes.csv": unusable("file_binary"),
    "pdf-saved-as.csv": unusable("pdf"),
    "report.pdf": unusable("unsupported_type"),
    "old-excel.xls": unusable("ole_workbook"),
    "folder.csv": unusable("is_folder"),
    "missing.csv": unusable("file_not_found"),
    # CSV damage
    "ten-mb-single-line.csv": unusable("csv_parse", process=True),
    "huge-field.csv": unusable("csv_parse"),
    "unbalanced-quotes.csv": Case(1, ("reason_unknown", "reason_without_item")),
    "mixed-separators.csv": Case(1, ("order_id_format",)),
    "mixed-encodings.csv": unusable("mixed_encoding"),
    "columns-1500.csv": unusable("too_many_columns"),
    # encodings and layouts that are fine
    "utf16le-no-bom.csv": Case(0, rows=(2, 3, 4)),
    "utf16be-no-bom.csv": Case(0, rows=(2, 3, 4), process=True),
    "utf8-bom-semicolon.csv": Case(0, rows=(2, 3, 4)),
    "windows-1252.csv": Case(0, rows=(2,)),
    "newline-in-quoted-note.csv": Case(0, rows=(2,)),
    "amazon-template-rows.txt": Case(0, rows=(3, 4, 5)),
    # one format saved as the other
    "csv-saved-as.xlsx": unusable("not_xlsx"),
    "xlsx-saved-as.csv": unusable("zip_not_text"),
    "truncated.xlsx": unusable("workbook_unreadable"),
    "not-a-workbook.xlsx": unusable("workbook_unreadable"),
    "password-protected.xlsx": unusable("ole_workbook"),
    # hostile workbooks
    "size-bomb.xlsx": unusable("xlsx_too_large", process=True),
    "ratio-bomb.xlsx": unusable("zip_bomb"),
    "entity-bomb.xlsx": unusable("xml_entities", process=True),
    "external-entity.xlsx": unusable("xml_entities"),
    "columns-16384.xlsx": unusable("too_many_columns"),
    # the used range is sized from the XML before python-calamine allocates it
    "far-cell-ALL1000000.xlsx": unusable("too_many_cells", process=True),
    "far-cell-ALL20000.xlsx": unusable("too_many_cells"),
    "far-cell-A5000002.xlsx": unusable("too_many_rows"),
    "dimension-ALL1000000.xlsx": unusable("too_many_cells"),
    "dimension-XFD1048576.xlsx": unusable("too_many_columns"),
    "cells-without-references.xlsx": unusable("too_many_columns"),
    "cells-over-budget.xlsx": unusable(
        "too_many_cells", limits={"MAX_CELLS": 8}, file="hidden-rows.xlsx"
    ),
    "rows-over-limit.xlsx": unusable(
        "too_many_rows", limits={"MAX_ROWS": 2}, file="hidden-rows.xlsx"
    ),
    "size-over-limit.xlsx": unusable(
        "xlsx_too_large", limits={"MAX_XLSX_BYTES": 1000}, file="formulas.xlsx"
    ),
    # read, never run: macros are ignored, formulas give their cached value
    "macros.xlsm": Case(0, rows=(2, 3, 4)),
    "formulas.xlsx": Case(0, rows=(2, 3, 4)),
    "formula-without-cached-value.xlsx": Case(1, ("order_id_missing",)),
    "merged-cells.xlsx": Case(1, ("item_without_reason",)),
    "hidden-rows.xlsx": Case(0, rows=(2, 3, 4)),
    # values where ids belong
    "dates-as-ids.xlsx": Case(1, ("order_id_format",)),
    "dates-as-ids.csv": Case(1, ("order_id_format",)),
    "ids-with-letters.csv": Case(1, ("order_id_format",)),
    "arabic-indic-digits.csv": Case(1, ("non_ascii",)),
    "fullwidth-digits.csv": Case(1, ("non_ascii",)),
    "negative-numbers.xlsx": Case(1, ("item_code_format", "order_id_format")),
    "huge-numbers.xlsx": Case(1, ("item_code_scientific", "order_id_format")),
    "scientific-item-code.csv": Case(1, ("item_code_scientific",)),
    "formula-text-in-id.csv": Case(1, ("order_id_format",)),
    # headers
    "duplicate-headers.csv": unusable("duplicate_column"),
    "duplicate-header-aliases.xlsx": unusable("duplicate_column"),
    "title-row1-header-row3.csv": Case(0, rows=(4, 5, 6)),
    "title-row1-header-row3.xlsx": Case(0, rows=(4, 5, 6)),
    "no-header-row.csv": unusable("no_order_id_column"),
    "title-then-no-header.xlsx": unusable("no_order_id_column"),
    "nul-byte-late.csv": unusable("file_binary"),
    "cp1252-late.csv": Case(0),
    "cp1252-then-utf8-late.csv": unusable("mixed_encoding"),
    "prefixed-far-cell.xlsx": unusable("too_many_cells"),
    "row-far-down.xlsx": unusable("too_many_rows"),
    "dimension-small-cells-fine.xlsx": Case(0, rows=(2, 3, 4)),
    "far-cell-second-sheet.xlsx": unusable("too_many_cells", args=("--sheet", "Cancellations")),
    # a review edited after it was written: only rows issued as accepted and approved
    "review-untouched.xlsx": unusable("review_nothing_approved", review=True),
    "review-nothing.xlsx": unusable("review_nothing_approved", review=True),
    "review-result-edited.xlsx": Case(0, rows=(3,), review=True, refused=("review_result_edited",)),
    "review-duplicate-accepted.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_result_edited",)
    ),
    "review-typed-in.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_missing",)),
    "review-copied.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_token_reused", "review_token_reused")
    ),
    "review-copied-edited.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_reused",)),
    "review-row-edited.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_unknown",)),
    "review-source-edited.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_unknown",)),
    "review-token-cleared.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_missing",)),
    "review-token-garbage.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_unknown",)),
    "review-token-swapped.xlsx": unusable("review_nothing_approved", review=True),
    "review-from-other.xlsx": Case(0, rows=(3,), review=True, refused=("review_token_unknown",)),
    "review-sorted.xlsx": Case(0, rows=(2, 3), review=True),
    "review-corrected.xlsx": Case(0, rows=(3,), review=True, notes=("review_value_changed",)),
    "review-deleted.xlsx": Case(0, rows=(2,), review=True),
    "review-long-note.xlsx": Case(0, rows=(3,), review=True),
    "review-as-plain-input.xlsx": unusable("review_as_input", file="review-untouched.xlsx"),
    "review-saved-as.csv": unusable("review_as_input"),
    "review-header-changed.xlsx": unusable("review_header", review=True),
    "review-version-changed.xlsx": unusable("review_format", review=True),
    "review-id-removed.xlsx": unusable("review_format", review=True),
    "review-far-cell.xlsx": unusable("too_many_cells", review=True),
    "review-doctype.xlsx": unusable("xml_entities", review=True),
    # personal data: dropped when read, in no output
    "unshipped-export.txt": Case(1, ("order_id_format",), personal=True),
    "buyer-columns.csv": Case(1, ("order_id_format",), personal=True),
    "buyer-columns-spelled.csv": Case(1, ("order_id_format",), personal=True),
    "buyer-columns-utf16.csv": Case(1, ("order_id_format",), personal=True),
    "buyer-columns.xlsx": Case(1, ("order_id_format",), personal=True),
    "gift-message-only.tsv": Case(1, ("order_id_format",), personal=True),
    # numbers that are no plain numbers; text unsafe for a terminal or a spreadsheet
    **{
        f"days-past-promise-{name}.csv": Case(0, rows=(2,), notes=("unusable_number",))
        for name in ("inf", "1e999", "nan", "arabic-indic", "superscript")
    },
    "formula-headers.csv": Case(1, ("order_id_format",)),
    "control-characters.csv": Case(1, ("order_id_format",)),
    # the output plan: checked before the first row is read
    "output-flat-file-is-input.csv": unusable(
        "output_is_input", args=("--flat-file", "{input}", "--force")
    ),
    "output-rejects-is-input.csv": unusable(
        "output_is_input", args=("--rejects", "{input}", "--force")
    ),
    "output-json-is-input.csv": unusable("output_is_input", args=("--json", "{input}", "--force")),
    "output-report-is-input.csv": unusable(
        "output_is_input", args=("--report", "{input}", "--force")
    ),
    "output-json-dotdot-input.csv": unusable(
        "output_is_input", args=("--json", "{dir}/sub/../{name}", "--force")
    ),
    "output-flat-file-and-json.csv": unusable(
        "output_twice",
        args=("--flat-file", "{dir}/x.txt", "--json", "{dir}/x.txt", "--force"),
        names_input=False,
    ),
    "output-rejects-and-report.csv": unusable(
        "output_twice",
        args=("--rejects", "{dir}/r.md", "--report", "{dir}/r.md"),
        names_input=False,
    ),
    "output-json-into-folder.csv": unusable(
        "output_is_folder", args=("--json", "{dir}", "--force"), names_input=False
    ),
    "output-json-under-file.csv": unusable("output_folder", args=("--json", "{input}/r.json")),
    "output-out-dir-is-file.csv": unusable("output_folder", args=("--out-dir", "{input}/out")),
    "input-twice-symlink.csv": unusable("input_twice", args=("{other}",)),
    "input-twice-dotdot.csv": unusable("input_twice", args=("{dir}/sub/../{name}",)),
    # values checked at the door: config keys and figures
    **{
        f"config-{name}": unusable(
            "config_error",
            file="windows-1252.csv",
            config=text,
            args=("--config", "{config}"),
            names_input=False,
        )
        for name, text in (
            ("policy-string", 'policy = "x"'),
            ("policy-number", "[policy]\nUS = 5"),
            ("threshold-nan", "[policy.US]\nthreshold = nan"),
            ("threshold-text", '[policy.US]\nthreshold = "abc"'),
            ("threshold-negative", "[policy.US]\nthreshold = -1.0"),
            ("threshold-inf", "[policy.US]\nthreshold = inf"),
            ("window-negative", "[policy.US]\nwindow_days = -3"),
            ("orders-bool", "orders_7d = true"),
            ("orders-text", 'orders_7d = "4000"'),
            ("max-cells-zero", "max_cells = 0"),
            ("unknown-key", "colour = 1"),
            ("fail-on-low", 'fail_on = "low"'),
        )
    },
    "figures-cancels-above-orders": unusable(
        "impossible_figures",
        file="windows-1252.csv",
        args=("--orders-7d", "10", "--cancels-7d", "500"),
        names_input=False,
    ),
    # reconcile: a processing report given to `generate` instead of `reconcile` uploads
    # nothing (its rows have no reason; its file-level rows no order id)
    "processing-report-errors-as-input.txt": Case(
        1, ("item_without_reason", "order_id_missing"), rows=(6, 7, 8)
    ),
    "processing-report-mixed-as-input.txt": Case(1, ("item_without_reason",), rows=(6, 7, 8)),
    "processing-report-unclear-record-as-input.txt": Case(1, ("item_without_reason",), rows=(6,)),
    "processing-report-fatal-as-input.txt": Case(1, ("order_id_missing",), rows=(6,)),
    "processing-report-zero-width-fatal-as-input.txt": Case(1, ("order_id_missing",), rows=(6,)),
    # markets: item ids of Amazon's lengths, every order in its own marketplace's file, figures
    # and policy by alias, personal data kept by what is known, report shapes (issue 16's
    # marketplace bullet, issue 17)
    "markets-item-13-digits.csv": Case(0),
    "markets-item-13-digits-leading-zero.csv": Case(0),
    "markets-item-15-digits.csv": Case(0),
    "markets-item-12-digits.csv": Case(1, ("item_code_format",)),
    "markets-item-16-digits.csv": Case(1, ("item_code_format",)),
    "markets-item-16-digits-listed.csv": Case(0, args=REPORT),
    # an id the report lists for another order is not taken for this one
    "markets-item-16-digits-other-order.csv": Case(1, ("item_code_format",), args=REPORT),
    "markets-item-sci-15.csv": Case(1, ("item_code_scientific",)),
    "markets-item-plus-sign.csv": Case(1, ("item_code_format",)),
    "markets-item-thousands.csv": Case(1, ("item_code_format",)),
    "markets-item-zero-width.csv": Case(0),
    "markets-item-float-beyond-2-53.xlsx": Case(1, ("item_code_scientific",)),
    "markets-mcf-order.csv": Case(1, ("order_id_format",)),
    "markets-report-tr-with-uk.csv": Case(
        1, ("marketplace_conflict",), args=(*REPORT, "--marketplace", "UK")
    ),
    "markets-report-za-column-uk.csv": Case(1, ("marketplace_conflict",), args=REPORT),
    "markets-report-za-column-za.csv": Case(0, args=REPORT),
    "markets-report-channel-zero-width.csv": Case(1, ("marketplace_unknown",), args=REPORT),
    "markets-report-channel-non-amazon.csv": Case(1, ("marketplace_unknown",), args=REPORT),
    "markets-column-fullwidth.csv": Case(1, ("marketplace_unknown",)),
    "markets-report-ships-to-jp.csv": Case(1, ("marketplace_unclear",), args=REPORT),
    "markets-report-ships-to-jp-given.csv": Case(0, args=(*REPORT, "--marketplace", "US")),
    "markets-report-eur.csv": Case(1, ("marketplace_unclear",), args=REPORT),
    "markets-report-eur-uk.csv": Case(
        1, ("marketplace_conflict",), args=(*REPORT, "--marketplace", "GB")
    ),
    "markets-report-jpy.csv": Case(0, args=REPORT, notes=("marketplace_inferred",)),
    "markets-report-jpy-us.csv": Case(
        1, ("marketplace_conflict",), args=(*REPORT, "--marketplace", "US")
    ),
    "markets-report-comma.csv": unusable(
        "report_not_tab_separated", args=REPORT, names_input=False
    ),
    "markets-marketplace-tr.csv": Case(
        0, args=("--marketplace", "TR", "--orders-7d", "100", "--allow-over-target")
    ),
    "markets-marketplace-site.csv": Case(0, args=("--marketplace", "Amazon.com.tr")),
    "markets-marketplace-unknown.csv": unusable(
        "config_error", args=("--marketplace", "XX"), names_input=False
    ),
    "markets-figures-impossible-de.csv": unusable(
        "impossible_figures",
        args=("--orders-7d", "DE=10", "--cancels-7d", "DE=500"),
        names_input=False,
    ),
    "markets-figures-alias-impossible.csv": unusable(
        "impossible_figures",
        args=("--orders-7d", "GB=10", "--cancels-7d", "UK=11"),
        names_input=False,
    ),
    "markets-figures-plain-beside.csv": unusable(
        "figures_ambiguous",
        args=("--orders-7d", "DE=1200,FR=800", "--cancels-7d", "5"),
        names_input=False,
    ),
    "markets-policy-gb-and-uk.csv": unusable(
        "config_error",
        config="[policy.GB]\nthreshold = 0.03\n[policy.UK]\nthreshold = 0.02",
        args=("--config", "{config}"),
        names_input=False,
    ),
    "markets-policy-unknown.csv": unusable(
        "config_error",
        config="[policy.XX]\nthreshold = 0.03",
        args=("--config", "{config}"),
        names_input=False,
    ),
    "markets-config-figures-twice.csv": unusable(
        "config_error",
        config="[orders_7d]\nGB = 10\nUK = 20",
        args=("--config", "{config}"),
        names_input=False,
    ),
    "markets-buyer-identification.tsv": Case(1, ("item_without_reason",), personal=True),
    "markets-unknown-report-column.tsv": Case(1, ("item_without_reason",), personal=True),
    "markets-seller-buyer-prefix.csv": Case(0, personal=True),
    "markets-upload-file-bom.txt": Case(0),
    # edges (issue 16): every file a run reads is an input of its plan (the config, the
    # review key, the ledger and SQLite's files beside it); paths the system cannot hold
    # and other OS errors on outputs; a credential in the config is never echoed; stdin
    # named twice. Each ends in one line and exit 2 before a row is read.
    **{
        f"edges-{name}": unusable(
            "output_is_input",
            file="windows-1252.csv",
            config='marketplace = "US"',
            args=(*args, "--force"),
            names_input=False,
        )
        for name, args in (
            ("json-onto-named-config", ("--config", "{config}", "--json", "{config}")),
            ("flat-file-onto-named-config", ("--config", "{config}", "--flat-file", "{config}")),
            ("rejects-onto-named-config", ("--config", "{config}", "--rejects", "{config}")),
            ("report-onto-named-config", ("--config", "{config}", "--report", "{config}")),
            (
                "json-onto-config-dotdot",
                ("--config", "{config}", "--json", "{dir}/x/../cancelkit.toml"),
            ),
            ("json-onto-ledger", ("--json", "{ledger}")),
            ("json-onto-ledger-wal", ("--json", "{ledger}-wal")),
            ("flat-file-onto-ledger-shm", ("--flat-file", "{ledger}-shm")),
            ("rejects-onto-ledger-journal", ("--rejects", "{ledger}-journal")),
            ("json-onto-review-key", ("--json", "{key}")),
            ("report-onto-review-key", ("--report", "{key}")),
            ("flat-file-onto-review-key", ("--flat-file", "{key}")),
            ("report-onto-ledger-wal", ("--report", "{ledger}-wal")),
            ("flat-file-onto-ledger", ("--flat-file", "{ledger}")),
            ("rejects-onto-review-key", ("--rejects", "{key}")),
            ("json-onto-config-dot", ("--config", "{config}", "--json", "{dir}/./cancelkit.toml")),
            ("report-onto-ledger-journal", ("--report", "{ledger}-journal")),
        )
    },
    **{
        f"edges-{name}": unusable(code, file="windows-1252.csv", args=args, names_input=False)
        for name, code, args in (
            (
                "json-name-too-long",
                "output_path_too_long",
                ("--json", "{dir}/" + "a" * 300 + ".json"),
            ),
            (
                "json-name-256-bytes",
                "output_path_too_long",
                ("--json", "{dir}/" + "j" * 251 + ".json"),
            ),
            (
                "flat-file-name-too-long",
                "output_path_too_long",
                ("--flat-file", "{dir}/" + "f" * 256),
            ),
            (
                "report-name-too-long",
                "output_path_too_long",
                ("--report", "{dir}/" + "r" * 290 + ".md"),
            ),
            (
                "rejects-multibyte-name-too-long",
                "output_path_too_long",
                ("--rejects", "{dir}/" + "\u00fc" * 130),
            ),
            ("out-dir-name-too-long", "output_path_too_long", ("--out-dir", "{dir}/" + "o" * 300)),
            (
                "out-dir-parent-too-long",
                "output_path_too_long",
                ("--out-dir", "{dir}/" + "p" * 256 + "/out"),
            ),
            (
                "out-dir-path-too-long",
                "output_path_too_long",
                ("--out-dir", "{dir}/" + "/".join(["d" * 200] * 25)),
            ),
            (
                "json-path-too-long",
                "output_path_too_long",
                ("--json", "{dir}/" + "/".join(["e" * 250] * 20) + "/r.json"),
            ),
            ("flat-file-under-input", "output_folder", ("--flat-file", "{input}/up.txt")),
            ("report-under-input", "output_folder", ("--report", "{input}/r.html")),
            ("rejects-under-input-deep", "output_folder", ("--rejects", "{input}/a/b/r.csv")),
            ("json-is-parent-folder", "output_is_folder", ("--json", "{dir}/..", "--force")),
            ("json-is-root", "output_is_folder", ("--json", "/", "--force")),
            ("rejects-empty-path", "output_is_folder", ("--rejects=", "--force")),
            ("json-empty-path", "output_is_folder", ("--json=", "--force")),
            ("report-empty-path", "output_is_folder", ("--report=", "--force")),
            (
                "flat-file-multibyte-256",
                "output_path_too_long",
                ("--flat-file", "{dir}/" + "\u00fc" * 128),
            ),
            (
                "report-middle-part-too-long",
                "output_path_too_long",
                ("--report", "{dir}/a/" + "b" * 256 + "/r.html"),
            ),
            (
                "rejects-path-of-legal-names-too-long",
                "output_path_too_long",
                ("--rejects", "{dir}/" + "/".join(["r" * 255] * 17)),
            ),
            ("stdin-twice", "input_twice", ("-", "-")),
        )
    },
    **{
        f"edges-secret-{name}": unusable(
            "config_error",
            file="windows-1252.csv",
            config=text,
            args=("--config", "{config}"),
            names_input=False,
            hidden=("IwEBSECRET",),
        )
        for name, text in (
            ("in-marketplace", 'marketplace = "Atzr|IwEBSECRET"'),
            ("in-sheet", 'sheet = "amzn1.oa2-cs.v1.IwEBSECRET"'),
            ("in-ledger", 'ledger = "Atza|IwEBSECRET"'),
            ("in-fail-on", 'fail_on = "Atzr|IwEBSECRET"'),
            ("in-orders-7d", 'orders_7d = "Atzr|IwEBSECRET"'),
            ("in-orders-7d-table", '[orders_7d]\nUS = "Atzr|IwEBSECRET"'),
            ("in-policy-threshold", '[policy.US]\nthreshold = "amzn1.IwEBSECRET"'),
            ("in-cancelkit-table", '[cancelkit]\nmarketplace = " Atzr|IwEBSECRET"'),
            ("unknown-key-client-secret", 'client_secret = "IwEBSECRET"'),
            ("unknown-key-refresh-token", 'refresh_token = "IwEBSECRET"'),
            ("in-max-rows", 'max_rows = "9f8e7d6c5b4a39281706f5e4d3c2b1a0IwEBSECRET"'),
            ("secret-named-known-type", 'sheet = 5\napi_key = "IwEBSECRET"'),
            ("in-report-max-age", 'report_max_age_hours = "Atzr|IwEBSECRET"'),
            ("in-referral-fee-rate", 'referral_fee_rate = "amzn1.IwEBSECRET"'),
            ("in-orders-30d", 'orders_30d = "Atzr|IwEBSECRET"'),
            ("in-cancels-7d", 'cancels_7d = "Atzr|IwEBSECRET"'),
            ("in-window-days", '[policy.US]\nwindow_days = "Atzr|IwEBSECRET"'),
            ("hex-in-max-cells", 'max_cells = "0123456789abcdef0123456789abcdefIwEBSECRET"'),
            ("unknown-key-password", 'password = "IwEBSECRET"'),
            ("in-cancels-7d-table", '[cancels_7d]\nFR = "Atzr|IwEBSECRET"'),
            ("client-id-in-ledger", 'ledger = "amzn1.application-oa2-client.IwEBSECRET"'),
        )
    },
    # -- states: order states and order reports (issue 16 "Fail closed", issue 17 "the
    # newest evidence wins"); nothing not understood reaches the upload file
    **{
        f"states-status-{name}.csv": Case(1, (code,))
        for name, code in (
            ("fullwidth", "order_shipped"),
            ("zwsp", "order_shipped"),
            ("soft-hyphen", "order_shipped"),
            ("one-fullwidth-letter", "order_shipped"),
            ("cyrillic-i", "order_status_unknown"),
            ("cyrillic-a", "order_status_unknown"),
            ("cyrillic-unshipped", "order_status_unknown"),
            ("versandt", "order_shipped"),
            ("storniert", "order_already_cancelled"),
            ("expedie", "order_shipped"),
            ("hassouzumi", "order_shipped"),
            ("dispatched", "order_shipped"),
            ("two-states", "order_status_unknown"),
            ("invisible-only", "order_status_unknown"),
            ("bidi-mark", "order_shipped"),
        )
    },
    **{
        f"states-channel-{name}.csv": Case(1, (code,))
        for name, code in (
            ("fullwidth-afn", "order_fba"),
            ("zwsp-afn", "order_fba"),
            ("fulfillment-by-amazon", "order_fba"),
            ("afn-eu", "fulfillment_channel_unknown"),
            ("cyrillic-merchant", "fulfillment_channel_unknown"),
        )
    },
    **{
        f"states-{name}.csv": Case(1, (code,), args=("--orders-report", "{dir}/orders.txt"))
        for name, code in (
            ("report-two-status-columns", "order_state_conflict"),
            ("batch-shipped-report-unshipped", "order_state_conflict"),
            ("report-order-id-zwsp", "order_shipped"),
            ("report-order-id-bom", "order_already_cancelled"),
            ("report-broken-line", "order_report_unreadable"),
            ("unshipped-listing-missing", "order_not_unshipped"),
            ("all-orders-pending-unpaid", "order_pending"),
            ("item-status-shipped", "order_shipped"),
            ("quantity-all-shipped", "order_shipped"),
        )
    },
    "states-all-orders-pending-paid.csv": Case(0, args=("--orders-report", "{dir}/orders.txt")),
    "states-report-future-date.csv": Case(0, args=("--orders-report", "{dir}/orders.txt")),
    **{
        f"states-{name}.csv": Case(
            code,
            codes,
            args=("--orders-report", "{dir}/old.txt", "--orders-report", "{dir}/new.txt"),
        )
        for name, code, codes in (
            ("newer-report-unshipped", 0, ()),
            ("newer-report-shipped", 1, ("order_shipped",)),
            ("older-shipped-newer-unshipped", 1, ("order_state_conflict",)),
        )
    },
    # review (issue 16): a sealed row cannot be moved, copied or rewritten; a review is a
    # review in any form. A copied token with noise is the same token (both rows refused as
    # reused) or an unknown one (the copy refused); the approved original row 3 uploads
    # only when the copy's token is another token.
    **{
        f"review-token-noise-{noise}.xlsx": Case(
            0,
            rows=(2,) if same else (2, 3),
            review=True,
            refused=("review_token_reused", "review_token_reused")
            if same
            else ("review_token_unknown",),
        )
        for noise, same in (
            ("bang", True),
            ("space-inside", True),
            ("padding", True),
            ("zero-width", True),
            ("soft-hyphen", True),
            ("fullwidth", True),
            ("case", True),
            ("newline", True),
        )
    },
    "review-tamper-order-edited.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_identity_edited",)
    ),
    "review-tamper-item-edited.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_identity_edited",)
    ),
    "review-tamper-item-cleared.xlsx": Case(
        0, rows=(2,), review=True, refused=("review_identity_edited",)
    ),
    "review-tamper-sku-edited.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_identity_edited",)
    ),
    "review-tamper-values-swapped.xlsx": unusable("review_nothing_approved", review=True),
    "review-tamper-evidence-forged.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_token_unknown",)
    ),
    # row 2 carries row 3's evidence and token: both rows refused, nothing left to upload
    "review-tamper-evidence-copied.xlsx": unusable("review_nothing_approved", review=True),
    "review-tamper-reason-and-note.xlsx": Case(
        0, rows=(2, 3), review=True, notes=("review_value_changed",)
    ),
    "review-tamper-approve-t.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_approve_not_understood",)
    ),
    "review-tamper-approve-one.xlsx": Case(
        0, rows=(3,), review=True, refused=("review_approve_not_understood",)
    ),
    **{
        f"review-text-{kind}.{suffix}": unusable("review_as_input")
        for kind in (
            "token-dropped",
            "token-renamed",
            "only-order-columns",
            "leading-dropped",
            "upper-case-header",
        )
        for suffix in ("csv", "tsv")
    },
    "review-summary-sheet.csv": unusable("review_as_input"),
    "review-meta-sheet.csv": unusable("review_as_input"),
    "review-saved-as.ods": unusable("review_as_input"),
    "review-renamed.dat": unusable("review_as_input"),
}


def _input(name: str, case: Case, folder: Path) -> Path:
    name = case.file or name
    if name in make_corpus.COMMITTED:
        path = make_corpus.HERE / name
        assert path.read_bytes() == make_corpus.COMMITTED[name](), (
            f"{name} differs from make_corpus.py; run python tests/corpus/make_corpus.py"
        )
        return path
    path = folder / name
    make_corpus.AT_TEST_TIME[name](path)
    return path


def _run(case: Case, path: Path, out: Path, work: Path) -> Run:
    config = path.parent / "cancelkit.toml"
    if case.config is not None:
        config.write_text(case.config + "\n", encoding="utf-8")
    where = {
        "{input}": str(path),
        "{dir}": str(path.parent),
        "{name}": path.name,
        "{other}": str(path.parent / "other.csv"),
        "{config}": str(config),
        # the test's private ledger and review key (conftest.py `private_ledger`)
        "{ledger}": os.environ["CANCELKIT_LEDGER"],
        "{key}": os.environ["CANCELKIT_REVIEW_KEY"],
    }
    extra = []
    for arg in case.args:
        for key, value in where.items():
            arg = arg.replace(key, value)
        extra.append(arg)
    source = ("--from-review", path) if case.review else (path,)
    # the case's own options last: they win over the defaults given here
    args = ("generate", *source, "--out-dir", out, "--no-ledger", "--json", "-", *extra)
    if case.process:
        return run_cli(*args, cwd=work)
    return invoke(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(name, tmp_path, monkeypatch):
    case = CASES[name]
    for constant, value in case.limits.items():
        monkeypatch.setattr(guards, constant, value)
    inputs, out, work = tmp_path / "in", tmp_path / "out", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    path = _input(name, case, inputs)
    run = _run(case, path, out, work)

    assert "Traceback" not in run.output
    assert run.exit_code == case.exit_code, run.output[-2000:]
    for text in case.hidden:
        assert text not in run.output, text
    if case.exit_code == 2:
        line = assert_one_line_error(run, str(path) if case.names_input else "")
        assert re.search(r" \[([a-z_]+)\]$", line).group(1) == case.codes[0], line
        assert not out.exists() or not any(out.iterdir())
        assert not any(work.iterdir())
        return

    report = json.loads(run.stdout)
    codes = {error["code"] for record in report["records"] for error in record["errors"]}
    assert codes == set(case.codes)
    refused = report.get("review_refused", [])
    assert tuple(entry["code"] for entry in refused) == case.refused
    assert ("review_refused" in report) == case.review
    flags = {flag["code"] for record in report["records"] for flag in record["flags"]}
    assert set(case.notes) <= flags, flags
    if case.personal:
        shown = run.output + "\n".join(
            p.read_bytes().decode("utf-8", "replace") for p in out.iterdir()
        )
        for value in make_corpus.BUYER_VALUES:
            assert value not in shown, value
        assert report["summary"]["personal_columns_dropped"]
    if case.rows is not None:
        assert tuple(record["row"] for record in report["records"]) == case.rows
    summary = report["summary"]
    total = summary["accepted"] + summary["rejected"] + summary["duplicates"]
    assert summary["input_rows"] == total
    # complete outputs only: the upload file parses and holds every accepted row
    written = {p.name for p in out.iterdir()}
    assert all(OUTPUT_NAME.fullmatch(written_name) for written_name in written), written
    uploads = list(out.glob("cancellations-*[0-9].txt"))
    if not summary["accepted"]:  # nothing left to upload: no upload file is written
        assert uploads == [], written
    else:
        (upload,) = uploads
        assert len(list(flatfile.parse(upload))) == summary["accepted"]
    assert any(n.endswith("-rejects.csv") for n in written) == (case.exit_code == 1)
