"""Qt's own dialogs speak French once the app's translators are installed (issue 9, item 14)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QTreeView,
)

from desktop.app import install_french
from desktop.views.qt_french import strip_mnemonic, translations_folder


@pytest.fixture
def french(qapp: QApplication) -> Iterator[None]:
    before = QLocale()
    translators = install_french(qapp)
    yield
    for translator in translators:
        qapp.removeTranslator(translator)  # type: ignore[arg-type]
    QLocale.setDefault(before)


def test_the_wheel_ships_the_french_catalogue() -> None:
    from pathlib import Path

    assert (Path(translations_folder()) / "qtbase_fr.qm").is_file()


def test_the_file_dialog_speaks_french(qtbot, french: None) -> None:
    dialog = QFileDialog(None, "Joindre un fichier")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setNameFilters(["Documents (*.pdf *.jpg *.png)"])
    qtbot.addWidget(dialog)
    labels = {label.objectName(): label.text() for label in dialog.findChildren(QLabel)}
    assert labels["lookInLabel"] == "&Voir dans\u00a0:"
    assert labels["fileNameLabel"] == "&Nom de fichier\u00a0:"
    assert labels["fileTypeLabel"] == "&Fichiers de type\u00a0:"
    words = " ".join(
        f"{b.text()} {b.toolTip()}" for b in dialog.findChildren(QAbstractButton)
    )
    for french_word in ("Ouvrir", "Annuler", "Dossier parent", "Créer un nouveau dossier"):
        assert french_word in words
    for english in ("Look in", "Files of", "Cancel", "Back", "Parent Directory"):
        assert english not in " ".join(labels.values()) + words
    columns = dialog.findChild(QTreeView).model()
    names = [columns.headerData(i, Qt.Orientation.Horizontal) for i in range(4)]
    assert names[0] == "Nom" and "Size" not in names


def test_message_boxes_and_standard_buttons_speak_french(qtbot, french: None) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Question, "Bannette", "?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        | QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Save,
    )
    qtbot.addWidget(box)
    assert sorted(b.text() for b in box.buttons()) == ["&Non", "&Oui", "Annuler", "Enregistrer"]
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close
    )
    qtbot.addWidget(buttons)
    assert sorted(b.text() for b in buttons.buttons()) == ["Fermer", "OK"]


def test_strip_mnemonic_keeps_a_literal_ampersand() -> None:
    assert strip_mnemonic("Files of &type:") == "Files of type:"
    assert strip_mnemonic("&Look in:") == "Look in:"
    assert strip_mnemonic("Save && close") == "Save & close"
