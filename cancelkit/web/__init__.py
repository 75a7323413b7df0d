"""`cancelkit serve`: a local page to load, check, approve and send a batch through the
same library, seal and output plan as the command line (needs the `cancelkit[web]` extra:
Starlette, uvicorn, python-multipart)."""

from __future__ import annotations

from .server import serve

__all__ = ["serve"]
