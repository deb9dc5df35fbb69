"""The filters of the audit trail, apart from the HTTP client: the windows build them at start
without loading the network stack (httpx is loaded by the sync thread, later)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AuditQuery:
    """The filters of the audit window; ``None`` means « all »."""

    authority_id: str | None = None
    agent_id: str | None = None
    citizen_id: str | None = None
    request_id: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, str]:
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return {k: (v.isoformat() if isinstance(v, date) else str(v))
                for k, v in values.items() if v not in (None, "")}
