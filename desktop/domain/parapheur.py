"""How a parapheur folder's state reads in French, in the list and in the detail pane alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync.protocol.wire import FolderState, StepState


def folder_label(
    state: str, sending: str, version: int, steps: Sequence[dict[str, Any]] = (),
    last_error: str | None = None,
) -> str:
    """« en attente d'envoi », « envoyé », « en cours », « visé », « signé », « rejeté : … »."""
    if sending == "failed":
        return f"échec de l'envoi : {last_error or 'raison inconnue'}"
    if sending == "queued" or version == 0:
        return "en attente d'envoi"
    if state == FolderState.REJECTED:
        comment = next(
            (s.get("comment") for s in steps if s.get("state") == StepState.REJECTED.value), None
        )
        return f"rejeté : {comment}" if comment else "rejeté"
    if state == FolderState.SIGNED:
        return "signé"
    if state == FolderState.VISAED:
        return "visé"
    if any(s.get("state") == StepState.DONE.value for s in steps):
        return "en cours"
    return "envoyé"
