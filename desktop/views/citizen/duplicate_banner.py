"""« Cet usager existe peut-être déjà : … » — a banner that never blocks: the agent may open
the other citizen's file, merge the two, or carry on. Shared by the « Usager » window, the
intake dialog and the phone call dialog."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.store.citizens import Duplicate
from desktop.store.intake import CitizenMatch, NewCitizen
from desktop.views.citizen_search import CitizenSearch

FindDuplicates = Callable[[int, NewCitizen, int | None], list[Duplicate]]


class DuplicateBanner(QFrame):
    """Hidden while nothing matches. ``openRequested`` / ``mergeRequested`` carry the pk of
    the first (strongest) candidate; the others are listed too."""

    openRequested = Signal(int)
    mergeRequested = Signal(int)

    def __init__(
        self, find: FindDuplicates, parent: QWidget | None = None, *, can_merge: bool = True
    ) -> None:
        super().__init__(parent)
        self.setObjectName("duplicate-banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#duplicate-banner { background: #fff4ce; border: 1px solid #e0b300; }")
        self._find = find
        self.candidates: list[Duplicate] = []
        self.text = QLabel(self)
        self.text.setObjectName("duplicate-text")
        self.text.setWordWrap(True)
        self.open_button = QPushButton("&Ouvrir", self)
        self.open_button.setObjectName("duplicate-open")
        self.open_button.setToolTip("Ouvrir la fiche de cet usager")
        self.merge_button = QPushButton("&Fusionner…", self)
        self.merge_button.setObjectName("duplicate-merge")
        self.merge_button.setToolTip("Réunir les deux fiches en une, champ par champ")
        self.merge_button.setVisible(can_merge)
        self.open_button.clicked.connect(lambda: self._emit(self.openRequested))
        self.merge_button.clicked.connect(lambda: self._emit(self.mergeRequested))
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.merge_button)
        self.setVisible(False)

    def _emit(self, signal: SignalInstance) -> None:
        if self.candidates:
            signal.emit(self.candidates[0].pk)

    def check(
        self, authority_pk: int | None, citizen: NewCitizen, exclude_pk: int | None = None
    ) -> None:
        found = [] if authority_pk is None else self._find(authority_pk, citizen, exclude_pk)
        self.show_candidates(found)

    def show_candidates(self, found: Sequence[Duplicate]) -> None:
        self.candidates = list(found)
        if self.candidates:
            names = " ; ".join(escape(d.describe()) for d in self.candidates)
            self.text.setText(f"<b>Cet usager existe peut-être déjà :</b> {names}")
        self.setVisible(bool(self.candidates))


@dataclass(frozen=True)
class DuplicateHooks:
    """What a creating dialog (intake, phone call) needs to flag a duplicate: the check, the
    existing citizen as its search lists them, and the window that opens a citizen's file."""

    find: FindDuplicates
    match: Callable[[int], CitizenMatch]
    open: Callable[[int], object]


def creation_banner(
    parent: QWidget,
    hooks: DuplicateHooks,
    search: CitizenSearch,
    use_existing: Callable[[], object] = lambda: None,
) -> DuplicateBanner:
    """The banner of a dialog that creates a citizen: « Ouvrir » shows the other file,
    « Fusionner » takes the existing citizen instead of creating a second one."""
    banner = DuplicateBanner(hooks.find, parent)
    banner.merge_button.setToolTip(
        "Rattacher à la fiche existante plutôt que de créer une seconde fiche"
    )
    banner.openRequested.connect(hooks.open)

    def take(pk: int) -> None:
        use_existing()
        search.pick(hooks.match(pk))
        banner.show_candidates([])

    banner.mergeRequested.connect(take)
    return banner
