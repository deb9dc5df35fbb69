"""Entry point of the frozen app (PyInstaller runs this file as ``__main__``).

On Windows the executable is a GUI program (no console window beside the app), so it has no
stdout: when started from a console for ``--self-test`` or ``--version`` it attaches to that
console, so the report and the exit code are seen by the caller (the CI workflow, a
technician).
"""

import sys


def _attach_parent_console() -> None:
    if sys.platform != "win32" or sys.stdout is not None:
        return
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115
        sys.stderr = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115


if __name__ == "__main__":
    if any(arg in ("--self-test", "--version", "--help", "-h") for arg in sys.argv[1:]):
        _attach_parent_console()
    from desktop.app import main

    raise SystemExit(main())
