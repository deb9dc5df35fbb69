"""What the external connectors share about HTTP: one call with timeouts whose failures become
``ConnectorError`` with a French reason, retryable or not (see ``base``)."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from server.connectors.parapheur.base import ConnectorError

DEFAULT_TIMEOUT = 30.0
log = logging.getLogger(__name__)


def timeout_of(config: dict[str, Any]) -> httpx.Timeout:
    seconds = float(config.get("timeout") or DEFAULT_TIMEOUT)
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def request(client: httpx.Client, who: str, method: str, url: str,
            **kwargs: Any) -> httpx.Response:
    """Sends one request; network failures are retryable, the answer is left to the caller."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ConnectorError(f"{who} n'a pas répondu à temps.") from exc
    except httpx.TransportError as exc:
        log.warning("%s %s: %r", method, url, exc)
        raise ConnectorError(f"{who} est injoignable.") from exc


def check(response: httpx.Response, who: str, what: str) -> httpx.Response:
    """A 2xx goes through; 5xx and 429 are retryable (the parapheur is unwell), any other
    answer is a refusal that waiting will not change."""
    status = response.status_code
    if 200 <= status < 300:
        return response
    detail = _detail(response)
    if status >= 500 or status == 429:
        raise ConnectorError(f"{who} est en difficulté ({what} : erreur {status}{detail}).")
    raise ConnectorError(f"{who} a refusé {what} (erreur {status}{detail}).", retryable=False)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        if isinstance(message, str) and message.strip():
            return f" : {' '.join(message.split())[:300]}"
    return ""


def garbage(who: str, what: str) -> ConnectorError:
    return ConnectorError(f"{who} a donné une réponse illisible ({what}).", retryable=False)
