"""The one date (and time) field of the bannette: typed first, a calendar at hand.

Qt's QDateEdit / QDateTimeEdit edit one section at a time, so « 28/11 » typed over the day
section jumped over the month and saved another date without a word. Here the secrétaire types
the date as she would write it (« 28/11 », « 28/11/26 », « 28/11/2026 9h30 »); the domain's
parser (``desktop.domain.date_input``) reads it, and the line under the field says which date
that is (« samedi 28 novembre 2026 ») or, in red, why it is refused. Dialogs ask ``problem()``
before accepting, so an invalid or out-of-range date is never saved.

A warning (``set_warning``: a deadline on a public holiday…) is shown in amber and does not
block. Alt+Bas or F4 opens the calendar; Entrée in the calendar picks the day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from PySide6.QtCore import QDate, QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.date_input import (
    check_range,
    format_date_input,
    format_datetime_input,
    parse_french_date,
)
from desktop.domain.french import format_long_date_fr, format_time_fr
from desktop.views.dialog_parts import ERROR_STYLE

FRENCH = QLocale(QLocale.Language.French, QLocale.Country.France)
HINT_STYLE = "color: #555;"
WARNING_STYLE = "color: #664d03;"

Value = date | datetime
Warn = Callable[[date], str | None]


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class _DateLine(QLineEdit):
    """A line edit whose whole text is selected by a double-click or on entering by Tab, so
    typing a date replaces the date instead of inserting into it."""

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseDoubleClickEvent(event)
        self.selectAll()


class DateEntry(QWidget):
    """A French date (``with_time=False``) or date-and-time field with its message line.

    ``today`` is called whenever a date typed without a year must be placed (injectable: the
    tests' fixed day, never the PC clock). ``minimum`` / ``maximum`` bound what is accepted,
    ``too_early`` / ``too_late`` say why in the field's own words.
    """

    #: The value typed, or None while the text is not a valid date in range.
    valueChanged = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        name: str,
        today: Callable[[], date],
        with_time: bool = False,
        minimum: Value | None = None,
        maximum: Value | None = None,
        too_early: str = "",
        too_late: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._today = today
        self._with_time = with_time
        self._minimum, self._maximum = minimum, maximum
        self._too_early, self._too_late = too_early, too_late
        self._warn: Warn | None = None
        self._time = time(0, 0)
        self._value: Value | None = None
        self._problem: str | None = "Saisissez une date."

        self.edit = _DateLine(self)
        self.edit.setObjectName(f"{name}-edit")
        self.edit.setPlaceholderText("jj/mm/aaaa hh:mm" if with_time else "jj/mm/aaaa")
        example = "28/11, 28/11/26 ou 28/11/2026 9h30" if with_time else "28/11 ou 28/11/2026"
        self.edit.setToolTip(
            f"Tapez la date ({example}) ; Alt+Bas ouvre le calendrier."
        )
        self.edit.installEventFilter(self)
        self.button = QToolButton(self)
        self.button.setObjectName(f"{name}-calendar")
        self.button.setText("Calendrier…")
        self.button.setToolTip("Choisir dans le calendrier (Alt+Bas)")
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from field to field
        self.button.clicked.connect(self.open_calendar)
        self.message = QLabel(self)
        self.message.setObjectName(f"{name}-message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.popup: QFrame | None = None
        self.calendar: QCalendarWidget | None = None

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.message)
        self.setFocusProxy(self.edit)
        for keys in ("Alt+Down", "F4"):
            shortcut = QShortcut(QKeySequence(keys), self.edit, self.open_calendar)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)

        self.edit.textChanged.connect(self._reparse)
        self.edit.editingFinished.connect(self._tidy)
        self._reparse()

    # --- what the field holds ---------------------------------------------------------------
    def value(self) -> Value | None:
        """The date (or datetime) typed, None while it is invalid or out of range."""
        return self._value

    def problem(self) -> str | None:
        """Why the field cannot be accepted (French), None when it can."""
        return self._problem

    def warning(self) -> str | None:
        """The non-blocking remark on a valid value (a holiday…), None without one."""
        if self._value is None or self._warn is None:
            return None
        day = self._value.date() if isinstance(self._value, datetime) else self._value
        return self._warn(day)

    def set_value(self, value: Value) -> None:
        """Show ``value`` in the field's own format (a datetime's time is kept for dates typed
        later without one)."""
        if isinstance(value, datetime):
            self._time = value.time().replace(second=0, microsecond=0)
            text = format_datetime_input(value) if self._with_time else format_date_input(value)
        else:
            text = format_datetime_input(datetime.combine(value, self._time)) if (
                self._with_time
            ) else format_date_input(value)
        self.edit.setText(text)

    def set_range(self, minimum: Value | None, maximum: Value | None) -> None:
        self._minimum, self._maximum = minimum, maximum
        self._reparse()

    def set_warning(self, warn: Warn | None) -> None:
        """``warn(day)`` returns a remark shown in amber under a valid date (None for none)."""
        self._warn = warn
        self._reparse()

    # --- reactions --------------------------------------------------------------------------
    def _parse(self) -> Value:
        value = parse_french_date(
            self.edit.text(), self._today(), with_time=self._with_time, default_time=self._time
        )
        check_range(
            value, self._minimum, self._maximum,
            too_early=self._too_early, too_late=self._too_late,
        )
        return value

    def _reparse(self) -> None:
        before = self._value
        try:
            self._value, self._problem = self._parse(), None
        except ValueError as exc:
            self._value, self._problem = None, str(exc)
        self._show_message()
        if self._value != before:
            self.valueChanged.emit(self._value)

    def _show_message(self) -> None:
        if self._problem is not None:
            text, style = self._problem, ERROR_STYLE
            if not self.edit.text().strip():
                style = HINT_STYLE  # an empty field is not yet a mistake
        elif (warning := self.warning()) is not None:
            text, style = warning, WARNING_STYLE
        else:
            assert self._value is not None
            text, style = self._spoken(self._value), HINT_STYLE
        self.message.setStyleSheet(style)
        self.message.setText(text)
        self.edit.setAccessibleDescription(text)

    @staticmethod
    def _spoken(value: Value) -> str:
        """« samedi 28 novembre 2026 à 9 h 30 »: the date as understood, in words."""
        if isinstance(value, datetime):
            return f"{format_long_date_fr(value)} à {format_time_fr(value)}"
        return format_long_date_fr(value)

    def _tidy(self) -> None:
        """On leaving the field, a valid partial date is written out in full (« 28/11 » ->
        « 28/11/2026 »), so what is read is what will be saved."""
        if self._value is not None:
            text = (
                format_datetime_input(self._value) if isinstance(self._value, datetime)
                else format_date_input(self._value)
            )
            if text != self.edit.text():
                self.edit.setText(text)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.edit and event.type() == QEvent.Type.FocusIn:
            # After the mouse press that gave the focus, which would clear the selection.
            reason = getattr(event, "reason", lambda: None)()
            if reason in (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                          Qt.FocusReason.ShortcutFocusReason):
                QTimer.singleShot(0, self.edit.selectAll)
        return super().eventFilter(watched, event)

    # --- the calendar -----------------------------------------------------------------------
    def open_calendar(self) -> QCalendarWidget:
        """The month of the typed date (or today's) in a popup under the field."""
        if self.popup is None:
            self.popup = QFrame(self, Qt.WindowType.Popup)
            self.popup.setObjectName(f"{self.objectName()}-popup")
            self.popup.setFrameShape(QFrame.Shape.StyledPanel)
            self.calendar = QCalendarWidget(self.popup)
            self.calendar.setObjectName(f"{self.objectName()}-month")
            self.calendar.setLocale(FRENCH)
            self.calendar.setFirstDayOfWeek(Qt.DayOfWeek.Monday)
            self.calendar.setVerticalHeaderFormat(
                QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader
            )
            self.calendar.setGridVisible(True)
            self.calendar.activated.connect(self._picked)
            self.calendar.clicked.connect(self._picked)
            layout = QVBoxLayout(self.popup)
            layout.setContentsMargins(2, 2, 2, 2)
            layout.addWidget(self.calendar)
        calendar = self.calendar
        assert calendar is not None
        for bound, setter in ((self._minimum, calendar.setMinimumDate),
                              (self._maximum, calendar.setMaximumDate)):
            if bound is not None:
                setter(_qdate(bound.date() if isinstance(bound, datetime) else bound))
        shown = self._value or self._today()
        calendar.setSelectedDate(_qdate(shown.date() if isinstance(shown, datetime) else shown))
        self.popup.adjustSize()
        self.popup.move(self.edit.mapToGlobal(self.edit.rect().bottomLeft()))
        self.popup.show()
        calendar.setFocus(Qt.FocusReason.PopupFocusReason)
        return calendar

    def _picked(self, day: QDate) -> None:
        picked = date(day.year(), day.month(), day.day())
        if isinstance(self._value, datetime):
            self._time = self._value.time()
        self.set_value(picked)
        if self.popup is not None:
            self.popup.hide()
        self.edit.setFocus(Qt.FocusReason.PopupFocusReason)
