"""Qt's own dialogs in French: the file dialog, message boxes, standard buttons.

PySide6-Essentials ships Qt's catalogues in ``PySide6/Qt/translations`` (``qtbase_fr.qm``,
found through ``QLibraryInfo``). Those catalogues lag behind Qt's sources: since Qt 6 the file
dialog writes « &Look in: » and « Files of &type: » with a mnemonic, while ``qtbase_fr.qm``
still translates « Look in: » and « Files of type: », so those labels stayed in English. The
:class:`MnemonicFallback` translator answers such strings from the same catalogue, looking
them up without their « & » and putting a mnemonic back on the French words.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QObject, QTranslator

#: Qt's catalogues loaded from the PySide6 wheel, in this order.
CATALOGUES = ("qtbase_fr",)


def translations_folder() -> str:
    """Where the installed Qt keeps its ``.qm`` files (``PySide6/Qt/translations``)."""
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def strip_mnemonic(text: str) -> str:
    """« Files of &type: » → « Files of type: »; « && » stays a literal « & »."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class MnemonicFallback(QTranslator):
    """Translates a source text with a mnemonic that ``base`` knows only without it."""

    def __init__(self, base: QTranslator, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._base = base

    def isEmpty(self) -> bool:  # noqa: N802 - Qt override
        return self._base.isEmpty()

    def translate(  # noqa: D102 - Qt override
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str | None:
        # None, not "": Qt asks the next translator only for a *null* string.
        if "&" not in source or self._base.translate(context, source, disambiguation, n):
            return None  # the catalogue itself answers (or nobody does)
        plain = self._base.translate(context, strip_mnemonic(source), disambiguation, n)
        if not plain:
            return None
        return plain if "&" in plain else f"&{plain}"


def install_french(app: QCoreApplication) -> list[QTranslator]:
    """French for Qt's own dialogs and for QLocale formatting; returns the translators
    installed (the application keeps them alive as their parent)."""
    QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    folder = translations_folder()
    kept: list[QTranslator] = []
    for name in CATALOGUES:
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            fallback = MnemonicFallback(translator, app)
            app.installTranslator(fallback)
            kept += [translator, fallback]
    return kept
