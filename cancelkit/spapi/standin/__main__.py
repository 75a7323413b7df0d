"""`python -m cancelkit.spapi.standin`: the stand-in for Amazon on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import hashlib
import signal
import tempfile
from pathlib import Path

from .server import Standin


def main() -> None:
    """`python -m cancelkit.spapi.standin`: run the stand-in until Ctrl-C (or `kill PID`),
    printing the exports that point cancelkit at it, then what it saw."""
    # Ctrl-C or `kill PID` prints what the stand-in saw (a background job ignores SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    running = Standin().start()
    scratch = Path(tempfile.mkdtemp(prefix="cancelkit-standin-"))  # never the real ledger
    exports = {**running.environment(), "CANCELKIT_LEDGER": str(scratch / "ledger.sqlite3")}
    for variable, setting in exports.items():
        print(f"export {variable}='{setting}'", flush=True)
    try:
        while running.thread.is_alive():
            running.thread.join(0.2)  # a plain join() would not see Ctrl-C
    except KeyboardInterrupt:
        running.stop()
        print(f"calls: {running.calls}\nviolations: {running.violations}", flush=True)
        for document_id, content in running.uploads.items():
            print(f"uploaded {document_id}: sha256 {hashlib.sha256(content).hexdigest()}")


if __name__ == "__main__":
    main()
