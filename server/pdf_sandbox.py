"""Runs PDF jobs in a separate, limited process (see ``server/pdf_worker.py``).

Why a process: MuPDF is C code; a thread could neither be stopped after a time limit nor keep
a 4 GB inflation from freezing the whole server (it holds the GIL). A child process with a
memory cap, a CPU cap and a wall-clock timeout (then killed) is the robust bound, on every
worker of the server. Children are forked from a ``forkserver`` that imported PyMuPDF once.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from server import pdf_worker

#: A PDF beyond these is refused: pages, bytes once every stream is inflated, memory, time.
MAX_PAGES = 1000
MAX_INFLATED_BYTES = 256 * 1024 * 1024
MAX_MEMORY_BYTES = 1024 * 1024 * 1024
INSPECT_SECONDS = 20.0
RENDER_SECONDS = 60.0


class PdfRefused(Exception):
    """The PDF cannot be processed; ``str()`` is the reason in French (lower case start)."""


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["pymupdf", "server.pdf_worker"])


def run(job: dict[str, Any], data: bytes = b"", timeout: float = RENDER_SECONDS) -> bytes:
    """Runs one job in a fresh child process; its result, or :class:`PdfRefused`."""
    full = {"max_pages": MAX_PAGES, "max_inflated": MAX_INFLATED_BYTES,
            "max_memory": MAX_MEMORY_BYTES, "max_cpu": int(timeout) + 1, **job}
    receiver, sender = _context.Pipe(duplex=False)
    process = _context.Process(target=pdf_worker.serve, args=(sender, full, data),
                               name="bannette-pdf", daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise PdfRefused("le traitement du PDF a dépassé le temps imparti")
        status, payload = receiver.recv()
    except EOFError as exc:  # killed by its memory or CPU limit, or crashed in MuPDF
        raise PdfRefused("le PDF n'a pas pu être traité (fichier endommagé ou trop lourd)") from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status != 0:
        raise PdfRefused(bytes(payload).decode("utf-8", "replace"))
    return bytes(payload)


def check(data: bytes) -> None:
    """Raises :class:`PdfRefused` unless the PDF opens and stays within the limits."""
    run({"op": "inspect"}, data, timeout=INSPECT_SECONDS)


def text(data: bytes) -> str:
    """The text of every page, extracted under the same limits."""
    return run({"op": "text"}, data, timeout=INSPECT_SECONDS).decode("utf-8", "replace")
