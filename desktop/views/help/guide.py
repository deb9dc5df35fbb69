"""« Aide › Guide d'utilisation » (F1): the French user guide, read inside the app.

The guide is the HTML rendering of ``docs/guide/`` (``python -m docs.guide.build``), shown in
a QTextBrowser so it needs neither a web browser nor a network. It is found beside the
``desktop`` package: in a source checkout that is the repository's ``docs/guide``; in the
frozen app the build puts ``docs/guide`` (its ``*.html`` and ``images/``) next to the bundled
``desktop`` package, which is the same relative place.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

#: The guide's folder relative to the folder that holds the ``desktop`` package.
GUIDE_FOLDER = Path("docs") / "guide"
INDEX = "index.html"


def guide_index() -> Path | None:
    """The guide's first page, or None when this installation has no guide."""
    import desktop

    index = Path(desktop.__file__).resolve().parent.parent / GUIDE_FOLDER / INDEX
    return index if index.is_file() else None


class GuideDialog(QDialog):
    """The guide, chapter links followed inside the window; web links go to the browser."""

    def __init__(self, index: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guide-dialog")
        self.setWindowTitle("Guide d'utilisation de Bannette")
        self.resize(1160, 760)  # the widest picture (1040 px) shown whole
        self.index = index
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("guide-text")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSource(QUrl.fromLocalFile(str(index)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Fermer")
        self.back = QPushButton("← &Précédent", self)
        self.back.setEnabled(False)
        self.back.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(self.back.setEnabled)
        contents = QPushButton("&Sommaire", self)
        contents.clicked.connect(self.show_contents)
        buttons.addButton(self.back, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(contents, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def show_contents(self) -> None:
        self.browser.setSource(QUrl.fromLocalFile(str(self.index)))


def show_guide(window: QMainWindow) -> GuideDialog | None:
    """Open the guide (or bring it to the front if it is already open); say so when absent."""
    dialog = window.findChild(GuideDialog)
    if dialog is not None:
        dialog.show()
        dialog.activateWindow()  # a child of the window: it comes over it
        return dialog
    index = guide_index()
    if index is None:
        QMessageBox.warning(
            window, "Guide d'utilisation",
            "Le guide d'utilisation n'est pas installé avec cette copie de Bannette.",
        )
        return None
    dialog = GuideDialog(index, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
