"""Worker run by a Python that has LibreOffice's ``uno`` module; converts .docx to PDF.

Started by :class:`desktop.documents.warm.WarmLibreOffice` with the interpreter that can import
``uno`` (LibreOffice's bundled Python on Windows and macOS, ``/usr/bin/python3`` with
``python3-uno`` on Debian), which is usually not the application's own Python. So this file
imports nothing of bannette: the standard library and ``uno`` only.

    python uno_worker.py PIPE_NAME

It connects to the soffice listening on ``pipe,name=PIPE_NAME`` and answers JSON lines on
stdout, one per request read on stdin: ``{"id": 1, "docx": "/a.docx", "pdf": "/a.pdf"}`` →
``{"id": 1, "ok": true}`` or ``{"id": 1, "ok": false, "error": "…"}``. The first line it prints
is ``{"ready": true}`` once connected (or ``{"ready": false, "error": "…"}``). It exits when
soffice goes away, or when stdin closes (the application quit or was killed), and then asks
soffice to terminate too.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path


def _connect(pipe: str, patience: float):  # noqa: ANN202 - uno types are dynamic
    import uno

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + patience
    while True:
        try:
            context = resolver.resolve(url)
            break
        except Exception:  # NoConnectException while soffice is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def _property(name: str, value: object):  # noqa: ANN202
    from com.sun.star.beans import PropertyValue

    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def _convert(desktop, docx: str, pdf: str) -> None:  # noqa: ANN001
    import uno

    source = uno.systemPathToFileUrl(str(Path(docx).resolve()))
    target = uno.systemPathToFileUrl(str(Path(pdf).resolve()))
    document = desktop.loadComponentFromURL(
        source,
        "_blank",
        0,
        (_property("Hidden", True), _property("ReadOnly", True), _property("UpdateDocMode", 0)),
    )
    if document is None:
        raise RuntimeError("document illisible")
    try:
        document.storeToURL(target, (_property("FilterName", "writer_pdf_Export"),))
    finally:
        document.close(True)


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    pipe = sys.argv[1]
    patience = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    try:
        desktop = _connect(pipe, patience)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
        _say({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    _say({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            _convert(desktop, request["docx"], request["pdf"])
        except Exception as exc:  # noqa: BLE001
            _say({"id": request.get("id"), "ok": False, "error": f"{type(exc).__name__}: {exc}"})
            if (
                "DisposedException" in type(exc).__name__
                or "RuntimeException" in type(exc).__name__
            ):
                return 2  # soffice is gone: the parent restarts both
            continue
        _say({"id": request.get("id"), "ok": True})
    # stdin closed: the application is gone, even killed without a chance to clean up. Take
    # its LibreOffice down with it rather than leave an invisible soffice running for days.
    with contextlib.suppress(Exception):  # soffice already gone
        desktop.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
