"""What the reply's entry dialogs share: the caller's ``apply`` runs on « OK »; a refusal of
the store keeps the dialog open with the reason in red under the form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QDialog, QWidget

from desktop.domain.workflow import TransitionError
from desktop.store.database import StoreError
from desktop.views.date_entry import DateEntry
from desktop.views.dialog_parts import error_label


class ApplyingDialog(QDialog):
    #: Applies the dialog's values (set by the caller); raises with a French message to keep
    #: the dialog open with the refusal shown.
    apply: Callable[[], None] | None = None

    def __init__(self, error_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = error_label(self, error_name)

    def check(self) -> str | None:
        """What the form itself refuses before anything is applied (French), or None."""
        return None

    def submit(self) -> None:
        problem = self.check()
        if problem is not None:
            self.show_error(problem)
            return
        try:
            if self.apply is not None:
                self.apply()
        except (StoreError, TransitionError) as exc:
            self.show_error(str(exc))
            return
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)


def day_entry(
    day: date, name: str, parent: QWidget, *, earliest: date | None = None,
    latest: date | None = None, too_early: str = "", too_late: str = "",
) -> DateEntry:
    """The app's French date field (« 28/11 », « 28/11/2026 », a calendar at hand), showing
    ``day``; the tests' fixed day places a date typed without a year, never the PC clock."""
    entry = DateEntry(parent, name=name, today=lambda: day, minimum=earliest, maximum=latest,
                      too_early=too_early, too_late=too_late)
    entry.set_value(day)
    return entry
