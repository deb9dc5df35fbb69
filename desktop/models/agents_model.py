"""The agents of a commune as the server lists them for its administrator (« Administration ›
Agents »): name, login, role in this commune, state, last login in the commune's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.domain.legal_time import in_zone
from desktop.views.formatting import numeric_moment_fr

HEADERS = ("Nom", "Identifiant", "Rôle", "État", "Dernière connexion", "Mot de passe")
ROLE_LABELS = {"clerk": "Secrétaire", "official": "Élu", "admin": "Administrateur"}
INACTIVE_COLOUR = QColor("#6c757d")
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class AgentLine:
    id: str
    login: str
    display_name: str
    role: str  # in the commune shown
    active: bool
    last_login: datetime | None  # in the commune's zone
    must_change_password: bool

    @classmethod
    def from_wire(cls, row: dict[str, Any], authority_id: str, department: str) -> AgentLine:
        roles = {str(k): str(v) for k, v in (row.get("roles") or {}).items()}
        last = row.get("last_login_at")
        return cls(
            id=str(row["id"]), login=str(row["login"]), display_name=str(row["display_name"]),
            role=roles.get(authority_id, str(row.get("role", ""))),
            active=bool(row.get("active", True)),
            last_login=in_zone(datetime.fromisoformat(last), department) if last else None,
            must_change_password=bool(row.get("must_change_password")),
        )


class AgentsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._lines: list[AgentLine] = []

    def set_lines(self, lines: list[AgentLine]) -> None:
        self.beginResetModel()
        self._lines = list(lines)
        self.endResetModel()

    def line(self, row: int) -> AgentLine | None:
        return self._lines[row] if 0 <= row < len(self._lines) else None

    def row_of(self, agent_id: str | None) -> int:
        return next((i for i, a in enumerate(self._lines) if a.id == agent_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.line(index.row()) if index.isValid() else None
        if line is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            last = numeric_moment_fr(line.last_login) if line.last_login else "jamais"
            return (
                line.display_name, line.login, ROLE_LABELS.get(line.role, line.role),
                "actif" if line.active else "désactivé", last,
                "à changer" if line.must_change_password else "",
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not line.active:
            return QBrush(INACTIVE_COLOUR)
        return None
