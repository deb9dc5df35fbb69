"""The RGPD routes of the server (administrators, online only): the audit trail, the erasure
of a citizen and the 36-month retention lists. Kept beside ``client.py`` rather than in it:
only the administration screens call them, the sync never does."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import RootModel

from sync.audit_query import AuditQuery
from sync.client import ApiClient
from sync.protocol.wire import AuditPage, ErasureReport, RetentionRunRow

__all__ = ["AuditQuery", "approve_retention", "erase_citizen", "fetch_audit",
           "propose_retention", "purge_retention", "retention_runs"]


class _Runs(RootModel[list[RetentionRunRow]]):
    pass


def fetch_audit(client: ApiClient, query: AuditQuery, offset: int, limit: int) -> AuditPage:
    params = {**query.params(), "offset": str(offset), "limit": str(limit)}
    return client._call("GET", "/audit", AuditPage, params=params)  # noqa: SLF001


def erase_citizen(client: ApiClient, citizen_id: UUID | str, reason: str = "") -> ErasureReport:
    return client._call("POST", f"/citizens/{citizen_id}/erase", ErasureReport,  # noqa: SLF001
                        json_body={"reason": reason})


def propose_retention(client: ApiClient, authority_id: UUID | str,
                      as_of: date | None = None) -> RetentionRunRow:
    body = {"as_of": as_of.isoformat()} if as_of else {}
    return client._call("POST", f"/authorities/{authority_id}/retention",  # noqa: SLF001
                        RetentionRunRow, json_body=body)


def retention_runs(client: ApiClient, authority_id: UUID | str) -> list[RetentionRunRow]:
    return client._call("GET", f"/authorities/{authority_id}/retention",  # noqa: SLF001
                        _Runs).root


def approve_retention(client: ApiClient, run_id: UUID | str) -> RetentionRunRow:
    return client._call("POST", f"/retention/{run_id}/approve",  # noqa: SLF001
                        RetentionRunRow)


def purge_retention(client: ApiClient, run_id: UUID | str) -> RetentionRunRow:
    return client._call("POST", f"/retention/{run_id}/purge",  # noqa: SLF001
                        RetentionRunRow)
