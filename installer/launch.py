"""Entry point of the frozen app (PyInstaller runs this file as ``__main__``).

On Windows the executable is a GUI program (no console window beside the app), so Python
gives it no ``sys.stdout``. For ``--self-test`` and ``--version`` the report must still reach
the caller: the handles it redirected (the CI workflow's files and pipes) are used when there
are some, else the console it was started from.
"""

import sys

_STD_OUTPUT, _STD_ERROR = -11, -12


def _inherited(which: int):  # type: ignore[no-untyped-def]
    import ctypes
    import msvcrt
    import os

    kernel32 = ctypes.windll.kernel32
    kernel32.GetStdHandle.restype = ctypes.c_void_p
    handle = kernel32.GetStdHandle(which)
    if not handle or handle == ctypes.c_void_p(-1).value:
        return None
    try:
        fd = msvcrt.open_osfhandle(handle, os.O_WRONLY)
        return open(fd, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    except OSError:
        return None


def _reach_the_caller() -> None:
    if sys.platform != "win32" or sys.stdout is not None:
        return
    sys.stdout, sys.stderr = _inherited(_STD_OUTPUT), _inherited(_STD_ERROR)
    if sys.stdout is None:
        import ctypes

        if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
            sys.stdout = open("CONOUT$", "w", encoding="utf-8", buffering=1)  # noqa: SIM115
    if sys.stderr is None and sys.stdout is not None:
        sys.stderr = sys.stdout


if __name__ == "__main__":
    if any(arg in ("--self-test", "--version", "--help", "-h") for arg in sys.argv[1:]) or (
        sys.argv[1:2] in (["export"], ["stats"])  # the commands for scripts (issue 13)
    ):
        _reach_the_caller()
    from desktop.app import main

    raise SystemExit(main())
