"""The morning notification: once a day, what is overdue and due today.

A desktop notification (the system tray's balloon) when the system has a tray, else a message
in the status bar. The day it was last shown is kept in the settings, so opening the app again
in the afternoon does not repeat it, and leaving it open overnight shows the new day's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QSettings

from desktop.services.deadlines import morning_summary
from desktop.store.legal import DeadlineSection

LAST_DAY_KEY = "notifications/last_summary_day"
TITLE = "Bannette — échéances du jour"


class DailyNotifier:
    """Decides whether today's summary is still to be shown; ``show(title, text)`` shows it."""

    def __init__(self, settings: QSettings, show: Callable[[str, str], None]) -> None:
        self._settings = settings
        self._show = show

    def already_done(self, today: date) -> bool:
        return str(self._settings.value(LAST_DAY_KEY, "")) == today.isoformat()

    def notify(self, today: date, counts: dict[DeadlineSection, int]) -> str | None:
        """Show the summary unless done today; returns what was shown (None: nothing)."""
        if self.already_done(today):
            return None
        text = morning_summary(counts) or "Aucune échéance en retard ni pour aujourd'hui."
        self._show(TITLE, text)
        self._settings.setValue(LAST_DAY_KEY, today.isoformat())
        self._settings.sync()
        return text
