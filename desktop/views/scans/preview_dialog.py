"""« Aperçu » : a window showing an attachment or a scan inside the app, beside the bannette.

Non-modal (the secrétaire reads the scan while she types the request), one per file: asking
again for a file already shown brings its window forward. « Ouvrir avec l'application du
système » stays one click away, for printing or for a file the preview cannot show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from desktop.views.widgets.page_preview import PagePreview


class PreviewDialog(QDialog):
    """The preview of one file; ``key`` identifies it (attachment id, scan path)."""

    def __init__(self, key: str, name: str, open_external: Callable[[], object] | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("preview-dialog")
        self.setWindowTitle(f"Aperçu — {name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview = PagePreview(self)
        buttons = QDialogButtonBox(self)
        if open_external is not None:
            external = buttons.addButton("Ouvrir avec l'application du &système",
                                         QDialogButtonBox.ButtonRole.ActionRole)
            external.setObjectName("preview-open-external")
            external.clicked.connect(open_external)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText("Fermer")
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)
        self.resize(900, 760)


class Previews:
    """The preview windows open over one main window, by key."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.open: dict[str, PreviewDialog] = {}

    def show(self, key: str, name: str, data: bytes, media_type: str | None,
             open_external: Callable[[], object] | None = None) -> PreviewDialog:
        dialog = self.open.get(key)
        if dialog is not None:  # already open: brought back (un-minimised) and focused
            if dialog.isMinimized():
                dialog.showNormal()
            dialog.activateWindow()
            return dialog
        dialog = PreviewDialog(key, name, open_external, self._parent)
        self.open[key] = dialog
        dialog.destroyed.connect(lambda _obj=None, k=key: self.open.pop(k, None))
        dialog.show()
        dialog.preview.load(data, name, media_type)
        dialog.preview.setFocus(Qt.FocusReason.OtherFocusReason)
        return dialog
