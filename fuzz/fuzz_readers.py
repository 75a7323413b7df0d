"""Atheris fuzz target for the readers: bytes become a .csv or an .xlsx file that
`cancelkit.check` reads; anything but a CancelkitError escaping is a crash.

    pip install atheris
    python fuzz/fuzz_readers.py -max_total_time=180 [corpus folder]

The first input byte picks the suffix (even: .csv, odd: .xlsx); the rest is the file.
docs/reliability.md records how long it ran and what it found.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    import cancelkit

    # imported here (check imports them lazily) so that they are instrumented too
    from cancelkit.validate import rows as validate  # noqa: F401

FOLDER = tempfile.mkdtemp(prefix="cancelkit-fuzz-")
PATHS = (os.path.join(FOLDER, "input.csv"), os.path.join(FOLDER, "input.xlsx"))


def test_one_input(data: bytes) -> None:
    if not data:
        return
    path = PATHS[data[0] & 1]
    with open(path, "wb") as out:
        out.write(data[1:])
    try:
        result = cancelkit.check(path, no_ledger=True)
    except cancelkit.CancelkitError:
        return
    with result:
        summary = result.summary
        assert summary["input_rows"] == (
            summary["accepted"] + summary["rejected"] + summary["duplicates"]
        )


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
