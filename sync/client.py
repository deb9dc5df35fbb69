"""The HTTP client of the sync API, on httpx.

Every answer is validated against the wire models before anyone uses it: an HTML page from a
captive portal, a JSON cut in the middle or a field of the wrong type becomes a
``BadResponseError`` with a French message, never a half-applied page. Transient failures
(connection, 5xx, 429) are retried with exponential backoff and full jitter, honouring
``Retry-After``; push and pull are idempotent, so retrying them is always safe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from sync import errors
from sync.protocol.versions import VERSION_HEADER
from sync.protocol.wire import (
    MUST_CHANGE_PASSWORD_TYPE,
    LoginRequest,
    MetaResponse,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RefreshRequest,
    RequestRow,
    ServerInfo,
    TokenPair,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
M = TypeVar("M", bound=BaseModel)

#: Statuses worth a retry: the server (or a proxy in front of it) is restarting or overloaded.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (a random wait in [0, base * 2**n], capped)."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 10.0
    #: A Retry-After longer than this is not waited for: the sync gives up and says so.
    max_retry_after: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay, self.base_delay * (2**attempt)))


DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)


def _problem_detail(response: httpx.Response) -> str | None:
    """The French ``detail`` of an RFC 9457 body, if the body is one."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
    return None


def _problem_type(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else None


def _failure_detail(response: httpx.Response) -> str | None:
    """The problem's detail, or what the body looks like when it is not ours (proxy page)."""
    detail = _problem_detail(response)
    if detail is None and response.content.lstrip()[:15].lower().startswith(
        (b"<!doctype", b"<html")
    ):
        return "un intermédiaire a répondu par une page web au lieu de données"
    return detail


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from our server, fall back to our own backoff


class ApiClient:
    """One server, one agent session. Not thread-safe: each sync worker owns its own."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        on_tokens: Callable[[TokenPair | None], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        client_version: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"User-Agent": "bannette-sync/1", "Accept": "application/json"}
        if client_version:
            # The server answers 426 to a desktop older than it accepts (sync.protocol.versions).
            headers[VERSION_HEADER] = client_version
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            verify=True,  # TLS verification stays on; a self-signed server needs its CA installed
            transport=transport,
            headers=headers,
            follow_redirects=False,
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._on_tokens = on_tokens
        self.tokens: TokenPair | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def server_label(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    # --- authentication -------------------------------------------------------------------
    def login(self, login: str, password: str) -> TokenPair:
        body = LoginRequest(login=login, password=password).model_dump(mode="json")
        try:
            pair = self._call("POST", "/auth/login", TokenPair, json_body=body, auth=False)
        except errors.SessionExpiredError as exc:
            # A refused password is not an expired session: say what the server said.
            raise errors.SessionExpiredError(
                exc.detail or "Identifiant ou mot de passe incorrect."
            ) from None
        self._set_tokens(pair)
        return pair

    def refresh(self, refresh_token: str | None = None) -> TokenPair:
        token = refresh_token or (self.tokens.refresh_token if self.tokens else None)
        if not token:
            raise errors.session_expired()
        body = RefreshRequest(refresh_token=token).model_dump(mode="json")
        pair = self._call("POST", "/auth/refresh", TokenPair, json_body=body, auth=False)
        self._set_tokens(pair)
        return pair

    def logout(self) -> None:
        """Revokes the session on the server; forgetting the tokens locally happens anyway."""
        try:
            if self.tokens is not None:
                self._send("POST", "/auth/logout", None, auth=True, allow_refresh=False)
        except errors.SyncError as exc:
            log.info("logout not confirmed by the server: %s", exc.message)
        finally:
            self._set_tokens(None)

    def _set_tokens(self, pair: TokenPair | None) -> None:
        self.tokens = pair
        if self._on_tokens is not None:
            self._on_tokens(pair)

    # --- sync -----------------------------------------------------------------------------
    def server_info(self) -> ServerInfo:
        """The protocol the server speaks and the oldest desktop it accepts (no login)."""
        return self._call("GET", "/meta", ServerInfo, auth=False)

    def meta(self, client_id: UUID | None = None) -> MetaResponse:
        params = {"client_id": str(client_id)} if client_id else None
        return self._call("GET", "/sync/meta", MetaResponse, params=params)

    def push(self, body: PushRequest) -> PushResponse:
        payload = body.model_dump(mode="json")
        return self._call("POST", "/sync/push", PushResponse, json_body=payload)

    def pull(self, body: PullRequest) -> PullResponse:
        payload = body.model_dump(mode="json")
        return self._call("POST", "/sync/pull", PullResponse, json_body=payload)

    def get_request(self, request_id: UUID | str) -> RequestRow | None:
        """The server's current row (after a refused mutation); None when it no longer exists."""
        try:
            return self._call("GET", f"/requests/{request_id}", RequestRow)
        except errors.RequestRefusedError as exc:
            if exc.status == 404:
                return None
            raise

    # --- administration (REST, online only) -------------------------------------------------
    def rest(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        """One call of the REST API for the online-only screens (agents, the commune's server
        connections): the parsed JSON answer (None when empty). Errors are the sync's, with
        the server's French ``detail``."""
        response = self._send(method, path, body, params=params, auth=True)
        return self._parse_json(response) if response.content else None

    def change_password(self, current: str, new: str) -> None:
        """The server revokes every session of the agent on success: log in again after.

        A wrong current password is a 401 too: unlike an expired session it must not end
        the session, so the token is renewed once and a second 401 is the password's."""
        body = {"current_password": current, "new_password": new}
        response = self._send_with_retries("POST", "/auth/password", body, None, True)
        if response.status_code == 401 and self.tokens is not None:
            self.refresh()
            response = self._send_with_retries("POST", "/auth/password", body, None, True)
        if response.status_code == 401:
            detail = _problem_detail(response) or "Mot de passe actuel incorrect."
            raise errors.RequestRefusedError(detail, status=401, detail=detail)
        if not 200 <= response.status_code < 300:
            self._raise_for(response)

    # --- attachments ----------------------------------------------------------------------
    def blob_exists(self, sha256: str, authority_id: UUID | str) -> bool:
        """Content-addressed: a file the server already holds for the authority is not sent."""
        try:
            self._send("GET", f"/blobs/{sha256}", None,
                       params={"authority_id": str(authority_id)}, auth=True)
        except errors.RequestRefusedError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def upload_blob(self, authority_id: UUID | str, filename: str, data: bytes) -> str:
        """Sends the bytes (multipart); returns the SHA-256 the server computed."""
        response = self._send(
            "POST", "/blobs", None, auth=True,
            form={"authority_id": str(authority_id)},
            files={"file": (filename, data, "application/octet-stream")},
        )
        body = self._parse_json(response)
        sha = body.get("sha256") if isinstance(body, dict) else None
        if not isinstance(sha, str):
            raise errors.bad_response("l'envoi du fichier n'a pas renvoyé son empreinte")
        return sha

    def download_logo(self, authority_id: UUID | str) -> bytes:
        """The commune's logo (small: one GET, no Range)."""
        return self._send("GET", f"/authorities/{authority_id}/logo", None, auth=True).content

    def download(
        self,
        attachment_id: UUID | str,
        start: int,
        sink: Callable[[bytes], object],
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[bool, int]:
        """Streams the content from byte ``start`` (HTTP Range) into ``sink``.

        Returns (resumed, total size): ``resumed`` False means the server sent the whole file
        from the beginning and the caller must drop what it had."""
        headers = {"Range": f"bytes={start}-"} if start else {}
        for attempt in (1, 2):
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {self.tokens.access_token}"
            try:
                with self._http.stream(
                    "GET", f"{API_PREFIX}/attachments/{attachment_id}/content", headers=headers
                ) as response:
                    if response.status_code == 401 and attempt == 1 and self.tokens:
                        self.refresh()
                        continue
                    if response.status_code == 416:
                        return True, start  # we already have every byte
                    if response.status_code not in (200, 206):
                        response.read()
                        self._raise_for(response)
                    resumed = response.status_code == 206
                    total = _total_size(response, start if resumed else 0)
                    done = start if resumed else 0
                    for chunk in response.iter_bytes(64 * 1024):
                        sink(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
                    return resumed, total
            except httpx.TimeoutException as exc:
                raise errors.offline(
                    self.server_label, f"délai dépassé ({type(exc).__name__})"
                ) from None
            except httpx.TransportError as exc:
                raise errors.offline(self.server_label, _transport_reason(exc)) from None
        raise errors.session_expired()

    # --- plumbing -------------------------------------------------------------------------
    def _parse_json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_response("données JSON incomplètes ou abîmées") from None

    def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        auth: bool = True,
    ) -> M:
        response = self._send(method, path, json_body, params=params, auth=auth)
        return self._parse(response, model)

    def _parse(self, response: httpx.Response, model: type[M]) -> M:
        content_type = response.headers.get("Content-Type", "")
        text = response.content
        if "json" not in content_type:
            looks_html = text.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))
            what = "une page web au lieu de données" if looks_html else (
                f"un contenu de type « {content_type or 'inconnu'} » au lieu de données JSON"
            )
            raise errors.bad_response(what)
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise errors.bad_response("données JSON incomplètes ou abîmées") from None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "racine" for e in exc.errors()})
            shown = ", ".join(fields[:5]) + (" …" if len(fields) > 5 else "")
            raise errors.bad_response(f"format inattendu ({shown})") from None

    def _send(
        self,
        method: str,
        path: str,
        json_body: Any,
        *,
        params: dict[str, str] | None = None,
        auth: bool,
        allow_refresh: bool = True,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        refreshed = False
        while True:
            response = self._send_with_retries(
                method, path, json_body, params, auth, form=form, files=files
            )
            status = response.status_code
            if 200 <= status < 300:
                return response
            detail = _problem_detail(response)
            if status == 401 and auth:
                if allow_refresh and not refreshed and self.tokens is not None:
                    refreshed = True
                    try:
                        self.refresh()
                    except errors.SyncError as exc:
                        if isinstance(exc, errors.SessionExpiredError):
                            self._set_tokens(None)
                        raise
                    continue
                self._set_tokens(None)
                raise errors.session_expired(detail)
            self._raise_for(response)

    def _raise_for(self, response: httpx.Response) -> None:
        status = response.status_code
        detail = _problem_detail(response)
        if status == 401:
            raise errors.session_expired(detail)
        if status == 403:
            if _problem_type(response) == MUST_CHANGE_PASSWORD_TYPE:
                raise errors.password_change_required(detail)
            raise errors.access_denied(detail)
        if status == 426:
            raise errors.upgrade_required(detail)
        if status in RETRY_STATUSES:
            raise errors.server_error(status, _failure_detail(response))
        if 300 <= status < 400:
            raise errors.bad_response(
                f"redirection inattendue vers « {response.headers.get('Location', '?')} »"
            )
        raise errors.RequestRefusedError(
            f"Le serveur a refusé la demande (code {status})"
            + (f" : {detail}" if detail else "."),
            status=status,
            detail=detail,
        )

    def _send_with_retries(
        self,
        method: str,
        path: str,
        json_body: Any,
        params: dict[str, str] | None,
        auth: bool,
        *,
        form: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        attempt = 0
        while True:
            headers = {}
            if auth and self.tokens is not None:
                headers["Authorization"] = f"Bearer {self.tokens.access_token}"
            try:
                response = self._http.request(
                    method, API_PREFIX + path, json=json_body, params=params, headers=headers,
                    data=form, files=files,
                )
            except httpx.TimeoutException as exc:
                failure: errors.SyncError = errors.offline(
                    self.server_label, f"délai dépassé ({type(exc).__name__})"
                )
                wait = None
            except httpx.TransportError as exc:
                failure = errors.offline(self.server_label, _transport_reason(exc))
                wait = None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                wait = _retry_after(response)
                if wait is not None and wait > self.retry.max_retry_after:
                    return response
                failure = errors.server_error(response.status_code, _problem_detail(response))
                if attempt + 1 >= self.retry.attempts:
                    return response
            attempt += 1
            if attempt >= self.retry.attempts:
                raise failure
            delay = wait if wait is not None else self.retry.delay(attempt, self._rng)
            log.info("%s %s: %s; new attempt in %.2f s", method, path, failure.message, delay)
            self._sleep(delay)


def _total_size(response: httpx.Response, offset: int) -> int:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range:
        with contextlib.suppress(ValueError):
            return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else 0


def _transport_reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connexion impossible"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connexion coupée pendant la réponse"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "connexion interrompue"
    return type(exc).__name__
