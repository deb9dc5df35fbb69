"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.11 drops a reference to None each time a method returning nothing is
called (setData, setText…): after some tens of thousands of calls None itself is freed and the
application aborts. pyproject.toml excludes that release; this test catches the next one.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidgetItem


def test_void_methods_keep_none_alive(qapp) -> None:
    item = QListWidgetItem("x")
    before = sys.getrefcount(None)
    for i in range(5000):
        item.setData(Qt.ItemDataRole.UserRole, i)
        item.setText("y")
    lost = before - sys.getrefcount(None)
    assert lost < 1000, f"the Qt binding dropped {lost} references to None"
