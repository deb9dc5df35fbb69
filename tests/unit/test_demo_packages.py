"""``scripts/demo`` installs what Qt's window needs on Debian (issue 9: on a fresh machine the
xcb plugin also wanted libxcb-icccm4 and libxcb-keysyms1, which nothing installed).

Checked against the real plugin: every system library that PySide6's xcb platform plugin links
to belongs to a package of ``scripts/system-packages-demo.txt`` or to one of their dependencies.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_LIST = ROOT / "scripts" / "system-packages-demo.txt"


def _listed(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _linked_libraries(binaries: list[Path]) -> set[str]:
    found = set()
    # Without what is preloaded into every process (libfaketime in the test command's second pass).
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, env=env,
                             check=True).stdout
        assert "not found" not in out, out
        found |= {os.path.realpath(m) for m in re.findall(r"=> (/\S+)", out)}
    return found


def _owner(library: str) -> str | None:
    """The Debian package that installed ``library`` (None for PySide6's own copies)."""
    for candidate in (library, re.sub(r"^/usr(?=/lib)", "", library)):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0]
    return None


@pytest.mark.skipif(not shutil.which("dpkg") or not shutil.which("ldd"), reason="pas une Debian")
def test_the_demo_installs_every_library_of_the_qt_window() -> None:
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    plugin = qt / "plugins" / "platforms" / "libqxcb.so"
    libraries = _linked_libraries([plugin, *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1]])
    needed = {owner for lib in libraries if "PySide6" not in lib
              if (owner := _owner(lib)) is not None}
    closure = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
         *_listed(DEMO_LIST)],
        capture_output=True, text=True, check=True,
    ).stdout
    installed = {line.split(":")[0] for line in closure.splitlines() if not line.startswith(" ")}
    assert {"libxcb-icccm4", "libxcb-keysyms1"} <= needed  # what the fresh machine missed
    assert needed - installed == set()


def test_the_test_command_installs_what_the_demo_installs() -> None:
    """CI (scripts/test) runs the window under Xvfb: it needs the demo's packages too."""
    missing = set(_listed(DEMO_LIST)) - set(_listed(ROOT / "scripts" / "system-packages.txt"))
    assert missing == set()
    assert "system-packages-demo.txt" in (ROOT / "scripts" / "demo").read_text(encoding="utf-8")
