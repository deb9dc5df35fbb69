"""Identifiers and timestamps as the store writes them."""

from __future__ import annotations

import uuid
from datetime import datetime

from desktop.domain.legal_time import stored


def new_id() -> str:
    """A client-generated key: the row keeps it for life, on every machine and on the server."""
    return str(uuid.uuid4())


def iso(moment: datetime) -> str:
    """An instant as the store keeps it: UTC with its offset (see ``legal_time.stored``)."""
    return stored(moment)
