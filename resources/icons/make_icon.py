"""Draws the application icon (an in-tray with a letter) with Qt: ``bannette.png`` (256 px,
the window icon) and ``bannette.ico`` (the Windows executable, shortcuts and installer).

Run once when the drawing changes: ``python resources/icons/make_icon.py``; the files are
committed so that a build needs no display and no drawing step.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def draw(size: int):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    u = size / 16
    # The letter, tilted into the tray.
    p.setPen(QPen(QColor("#5b6770"), max(1.0, u * 0.5)))
    p.setBrush(QColor("#ffffff"))
    p.drawRect(QRectF(3.5 * u, 2 * u, 9 * u, 7.5 * u))
    p.drawLine(QPointF(3.5 * u, 2 * u), QPointF(8 * u, 6 * u))
    p.drawLine(QPointF(8 * u, 6 * u), QPointF(12.5 * u, 2 * u))
    # The tray (the « bannette »): Marianne blue.
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#000091"))
    p.drawRoundedRect(QRectF(1 * u, 8 * u, 14 * u, 6.5 * u), 1.2 * u, 1.2 * u)
    p.setBrush(QColor("#e1000f"))
    p.drawRect(QRectF(5.5 * u, 10.3 * u, 5 * u, 1.4 * u))
    p.end()
    return image


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - painting text needs the application
    ok = draw(256).save(str(HERE / "bannette.png"), "PNG")
    ok = draw(256).save(str(HERE / "bannette.ico"), "ICO") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
