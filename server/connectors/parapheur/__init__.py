"""Parapheur connectors: the interface (``base``), the built-in one, and the registry that
gives each commune the connector it chose (``ParapheurSettings``, default ``builtin``).

Another connector registers itself with ``register(name, factory)``; the factory receives
the commune's ``config`` dict (URL, credentials, desk…) and returns a ``ParapheurConnector``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from server.blobs import BlobStore
from server.connectors.parapheur.base import ConnectorError, ParapheurConnector
from server.connectors.parapheur.builtin import BuiltinConnector
from server.db.models import ParapheurSettings
from server.db.types import utcnow

BUILTIN = BuiltinConnector.name

Factory = Callable[[dict[str, Any]], ParapheurConnector]
_FACTORIES: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Makes an external connector available under ``name`` (its module calls this)."""
    _FACTORIES[name] = factory


def known_connectors() -> list[str]:
    return [BUILTIN, *sorted(_FACTORIES)]


def chosen_connector(session: Session, authority_id: uuid.UUID) -> str:
    row = session.get(ParapheurSettings, authority_id)
    return row.connector if row is not None else BUILTIN


def choose(session: Session, authority_id: uuid.UUID, connector: str,
           config: dict[str, Any] | None = None) -> ParapheurSettings:
    """Sets the commune's parapheur (administration, seeding, tests)."""
    if connector not in known_connectors():
        raise ValueError(f"connecteur de parapheur inconnu : {connector}")
    row = session.get(ParapheurSettings, authority_id) or ParapheurSettings(
        authority_id=authority_id)
    row.connector, row.config, row.updated_at = connector, dict(config or {}), utcnow()
    session.add(row)
    return row


def open_connector(session: Session, blobs: BlobStore, authority_id: uuid.UUID,
                   name: str) -> ParapheurConnector:
    """The connector ``name`` configured for this commune."""
    if name == BUILTIN:
        return BuiltinConnector(session, blobs)
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ConnectorError(f"Connecteur de parapheur inconnu : « {name} ».", retryable=False)
    settings = session.get(ParapheurSettings, authority_id)
    return factory(dict(settings.config) if settings is not None else {})


def _register_external() -> None:
    """The external connectors shipped with the server (their modules import only ``base``)."""
    from server.connectors.parapheur.iparapheur import IparapheurConnector
    from server.connectors.parapheur.xparaph import XparaphConnector

    register(IparapheurConnector.name, IparapheurConnector)
    register(XparaphConnector.name, XparaphConnector)


_register_external()
