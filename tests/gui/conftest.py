"""GUI fixtures: the real main window over a demo database, offscreen."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from desktop.services.letters import DOCUMENTS_ENV
from desktop.store.inbox import InboxRepository
from desktop.views.main_window import MainWindow
from tests.conftest import TODAY

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "bannette.ini"


@pytest.fixture(autouse=True)
def documents_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Letters produced by a test go to its own folder, never to the user's data folder."""
    folder = tmp_path / "documents"
    monkeypatch.setenv(DOCUMENTS_ENV, str(folder))
    return folder


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The window's clock: the suite's day from 10:17, ticking like a real one. Never the PC's
    clock, whose day differs from TODAY on every day but one."""
    start = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 17, tzinfo=ZoneInfo("Europe/Paris"))
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


@pytest.fixture
def make_window(
    qtbot, demo_db: sqlite3.Connection, settings_file: Path, clock: Callable[[], datetime]
) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(**options: Any) -> MainWindow:
        """The main window on the demo database; ``options`` go to MainWindow (services…)."""
        settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
        options.setdefault("today", lambda: TODAY)
        options.setdefault("now", clock)
        window = MainWindow(InboxRepository(demo_db), settings, **options)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make


@pytest.fixture
def window(make_window: Callable[[], MainWindow]) -> MainWindow:
    return make_window()


def type_text(widget: QWidget, text: str) -> None:
    """Type any text, accents included (QTest.keyClicks aborts on non-ASCII characters)."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))
