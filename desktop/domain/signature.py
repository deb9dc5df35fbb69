"""Who signs a letter: the maire, or the adjoint the maire delegated that procedure to.

A delegation of signature (CGCT L2122-18) names the matters an adjoint signs for; here, the
procedure codes of the catalogue (« * »: all). A delegation naming the procedure itself wins
over a general one; without any, the maire signs. Knows nothing of the store nor of Qt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

ALL = "*"


@dataclass(frozen=True)
class Deputy:
    """An adjoint and the procedure codes they may sign for."""

    name: str
    title: str = "Adjoint au maire"
    delegations: tuple[str, ...] = ()
    agent_id: str | None = None

    def wire(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "delegations": list(self.delegations),
                "agent_id": self.agent_id}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Deputy:
        return cls(name=str(data.get("name", "")),
                   title=str(data.get("title") or "Adjoint au maire"),
                   delegations=tuple(str(d) for d in data.get("delegations") or ()),
                   agent_id=data.get("agent_id"))


def delegate_for(deputies: Sequence[Deputy], procedure_code: str) -> Deputy | None:
    """The adjoint who signs this procedure's letters, or None (the maire signs)."""
    signers = [d for d in deputies if d.name.strip()]
    named = [d for d in signers if procedure_code and procedure_code in d.delegations]
    general = [d for d in signers if ALL in d.delegations]
    return (named or general)[0] if named or general else None


def signature(
    mayor_name: str, mayor_title: str, deputies: Sequence[Deputy], procedure_code: str
) -> tuple[str, str]:
    """(name, title) of the signature block."""
    deputy = delegate_for(deputies, procedure_code)
    if deputy is None:
        return mayor_name, mayor_title or "Le Maire"
    return deputy.name, f"Pour le Maire et par délégation, {deputy.title}"
