"""The agents of a commune as the server lists them for its administrator (« Administration ›
Agents »): name, login, role in this commune, state, last login in the commune's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from desktop.domain.legal_time import in_zone
from desktop.models.row_list import RowListModel
from desktop.views.formatting import numeric_moment_fr

HEADERS = ("Nom", "Identifiant", "Rôle", "État", "Dernière connexion", "Mot de passe")
ROLE_LABELS = {"clerk": "Secrétaire", "official": "Élu", "admin": "Administrateur"}
INACTIVE_COLOUR = QColor("#6c757d")


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


class AgentsModel(RowListModel[AgentLine]):
    headers = HEADERS

    def set_lines(self, lines: list[AgentLine]) -> None:
        self.set_rows(lines)

    def line(self, row: int) -> AgentLine | None:
        return self.row(row)

    def row_of(self, agent_id: str | None) -> int:
        return self.find(lambda a: a.id == agent_id)

    def cell(self, line: AgentLine, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            last = numeric_moment_fr(line.last_login) if line.last_login else "jamais"
            return (
                line.display_name, line.login, ROLE_LABELS.get(line.role, line.role),
                "actif" if line.active else "désactivé", last,
                "à changer" if line.must_change_password else "",
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and not line.active:
            return QBrush(INACTIVE_COLOUR)
        return None
