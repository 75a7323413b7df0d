"""One upload file per marketplace: the spooled flat-file body split by the marketplace of
each row (docs/domain.md section 9: a feed or upload is for one marketplace).

The body holds the kept rows in order; their marketplace numbers come from the batch
index's column, walked alongside (as the ledger rows are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..amazon import flatfile


def market_path(path: str | Path, code: str) -> Path:
    """The upload file of one marketplace: `NAME-DE.txt` for `NAME.txt`."""
    path = Path(path)
    return path.with_name(f"{path.stem}-{code}{path.suffix}")


def split_body(body_path: str | Path, markets: Iterable[int], codes: Mapping[int, str]) -> dict:
    """Write one body per marketplace beside `body_path` (`flat-DE.txt`), each starting with
    the body's template and header rows; `markets` gives each data line's marketplace
    number, `codes` the code of each number. Returns number -> path."""
    body_path = Path(body_path)
    paths = {number: body_path.with_name(f"flat-{code}.txt") for number, code in codes.items()}
    outs = {}
    try:
        for number, path in paths.items():
            outs[number] = open(path, "w", encoding="ascii", newline="")  # noqa: SIM115
        with open(body_path, encoding="ascii", newline="") as body:
            head = flatfile.line_format().skip_header(body)
            for out in outs.values():
                out.write(head)
            for number, line in zip(markets, body):
                outs[number].write(line)
    finally:
        for out in outs.values():
            out.close()
    return paths
