"""Tabs tall enough for the accent of a capital: « Échéances », not « Echéances ».

Fusion (Linux) draws an inactive tab two pixels lower than the current one and clips its
label to the tab: the acute accent of « É », which rises above the font's ascent, was cut
off. A few pixels more of tab height keep the style's look and give the accent its room.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption, QTabBar, QWidget

#: Height added to every tab, in pixels.
EXTRA_HEIGHT = 4


class _TallTabs(QProxyStyle):
    def sizeFromContents(  # noqa: N802 - Qt override
        self, kind: QStyle.ContentsType, option: QStyleOption, size: QSize,
        widget: QWidget | None = None,
    ) -> QSize:
        result = super().sizeFromContents(kind, option, size, widget)  # type: ignore[arg-type]
        if kind == QStyle.ContentsType.CT_TabBarTab:
            result.setHeight(result.height() + EXTRA_HEIGHT)
        return result


def give_accents_room(bar: QTabBar) -> None:
    """The tab bar's own style: the application's style, tabs a little taller."""
    style = _TallTabs()  # wraps the application's current style
    style.setParent(bar)  # kept alive as long as the bar
    bar.setStyle(style)
