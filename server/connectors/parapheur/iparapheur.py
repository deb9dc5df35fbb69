"""i-Parapheur v5 (Libriciel) through its standard REST API, ``{url}/api/standard/v1``.

Written from Libriciel's published API client (``iparapheur-v5-api-php``: ``FolderApi``,
``WorkflowApi``) and from the way Pastell's ``IparapheurRestConnector`` drives it. **It has not
been run against a live i-Parapheur**: only against the fake in ``tests/server/fakes``, written
from the same sources.

The calls:

- token: Keycloak password grant, ``POST {auth_url}/realms/{realm}/protocol/openid-connect/token``
  (``grant_type=password``, ``client_id`` — ``ipcore-web`` by default as in Pastell —,
  ``username``, ``password``); the token is kept per account and fetched again on a 401;
- deposit: ``POST /tenant/{tenant}/desk/{desk}/folder?autoStart=false``, multipart with the
  PREMIS description as part ``folder`` (type and sub-type as ``i_Parapheur_reserved_type`` /
  ``i_Parapheur_reserved_subtype``, the request number as free metadata, the main document
  flagged ``i_Parapheur_reserved_mainDocument=true``, annexes ``false``) and each file as a
  part ``documents``; the answer (201) carries the folder ``id``;
- start: the folder's PREMIS (``GET …/folder/{id}/premis``) lists a ``START`` event whose
  ``taskId`` is started with ``PUT …/folder/{id}/task/{taskId}/start`` and a JSON body
  ``{publicAnnotation, privateAnnotation, metadata}`` (Pastell's sequence);
- follow-up: the same PREMIS: its ``event`` list holds the tasks done (dated) and the one
  waiting (no date). A dated ``REJECT`` or a last ``DELETE`` task means rejected (the reason is
  the ``eventOutcomeDetailNote``), a last ``ARCHIVE`` task means the circuit is over;
- results: ``GET …/folder/{id}/zip``: the signed files under « Documents principaux/ », the
  annexes under « Annexes/ » and ``{folder name}_bordereau.pdf``;
- after retrieval: ``DELETE …/folder/{id}`` (what Pastell's ``archiver`` does).

The wished date goes as ``i_Parapheur_reserved_dueDate`` (ISO 8601), as the API's own
example shows. Assumptions (not in the sources read): the circuit is the one the sub-type defines in
i-Parapheur, so the officials chosen on the desktop are only passed as metadata
(``bannette_circuit``); error bodies are JSON with a ``message``.

Configuration (``ParapheurSettings.config``): ``url``, ``login``, ``password``, ``tenant``,
``desk``, ``type``, ``subtype``; optional ``auth_url`` (default ``{url}/auth``), ``realm``
(default ``api``), ``client_id`` (default ``ipcore-web``), ``timeout`` (seconds, default 30).
"""

from __future__ import annotations

import contextlib
import io
import threading
import xml.etree.ElementTree as ET
import zipfile
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from server.connectors.parapheur import transport
from server.connectors.parapheur.base import (
    ConnectorError,
    Document,
    HistoryEntry,
    OutgoingFolder,
    ParapheurConnector,
    RemoteStatus,
)
from sync.protocol.wire import FolderState

WHO = "L'i-Parapheur"
PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
TYPE, SUBTYPE, MAIN, DUE = ("i_Parapheur_reserved_type", "i_Parapheur_reserved_subtype",
                            "i_Parapheur_reserved_mainDocument", "i_Parapheur_reserved_dueDate")
REQUIRED = ("url", "login", "password", "tenant", "desk", "type", "subtype")
_LABELS = {"CREATE": "Créé", "START": "Déposé", "VISA": "Visé", "SIGNATURE": "Signé",
           "EXTERNAL_SIGNATURE": "Signé (signature externe)", "PAPER_SIGNATURE": "Signé sur papier",
           "SEAL": "Cacheté", "REJECT": "Rejeté", "ARCHIVE": "Fin de circuit",
           "DELETE": "Supprimé", "TRANSFER": "Transféré", "SECOND_OPINION": "Avis donné",
           "ASK_SECOND_OPINION": "Avis demandé", "UNDO": "Action annulée", "BYPASS": "Étape forcée"}
_SIGNATURES = {"SIGNATURE", "EXTERNAL_SIGNATURE", "PAPER_SIGNATURE", "SEAL"}

#: Tokens per (token URL, client, login): one password grant serves every poll until a 401.
_tokens: dict[tuple[str, str, str], str] = {}
_tokens_lock = threading.Lock()

ET.register_namespace("", PREMIS_NS)
ET.register_namespace("xsi", XSI_NS)


def _q(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


class IparapheurConnector(ParapheurConnector):
    name: ClassVar[str] = "iparapheur"

    def __init__(self, config: dict[str, Any], client: httpx.Client | None = None) -> None:
        self.config = {**dict.fromkeys(REQUIRED, ""), **config}
        #: Reported at the first call, not here: the push opens the connector only to learn
        #: that it is external.
        self.missing = [key for key in REQUIRED if not str(config.get(key) or "").strip()]
        url = str(config.get("url") or "").rstrip("/")
        self.api = f"{url}/api/standard/v1"
        auth = str(config.get("auth_url") or f"{url}/auth").rstrip("/")
        self.token_url = (f"{auth}/realms/{config.get('realm') or 'api'}"
                          "/protocol/openid-connect/token")
        self.client_id = str(config.get("client_id") or "ipcore-web")
        self.client = client or httpx.Client(timeout=transport.timeout_of(config))
        self._zips: dict[str, zipfile.ZipFile] = {}

    # ------------------------------------------------------------------ HTTP
    @property
    def _key(self) -> tuple[str, str, str]:
        return (self.token_url, self.client_id, str(self.config.get("login")))

    def _token(self, fresh: bool = False) -> str:
        with _tokens_lock:
            if not fresh and self._key in _tokens:
                return _tokens[self._key]
        response = transport.request(self.client, WHO, "POST", self.token_url, data={
            "grant_type": "password", "client_id": self.client_id,
            "username": self.config["login"], "password": self.config["password"]})
        if response.status_code in (400, 401):
            raise ConnectorError("L'i-Parapheur a refusé l'identifiant ou le mot de passe du "
                                 "compte de dépôt.", retryable=False)
        transport.check(response, WHO, "la connexion")
        try:
            token = response.json()["access_token"]
        except (ValueError, KeyError, TypeError) as exc:
            raise transport.garbage(WHO, "jeton de connexion") from exc
        if not isinstance(token, str) or not token:
            raise transport.garbage(WHO, "jeton de connexion")
        with _tokens_lock:
            _tokens[self._key] = token
        return token

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        """One API call with the account's token, fetched again once if it expired (401)."""
        if self.missing:
            raise ConnectorError("Réglage de l'i-Parapheur incomplet : " + ", ".join(
                self.missing) + " (python -m server configure).", retryable=False)
        url = f"{self.api}{path}"
        response = transport.request(self.client, WHO, method, url, headers={
            "Authorization": f"Bearer {self._token()}", "Accept": "application/json"}, **kwargs)
        if response.status_code == 401:
            response = transport.request(self.client, WHO, method, url, headers={
                "Authorization": f"Bearer {self._token(fresh=True)}",
                "Accept": "application/json"}, **kwargs)
            if response.status_code == 401:
                raise ConnectorError("L'i-Parapheur refuse le jeton de connexion du compte "
                                     "de dépôt.", retryable=False)
        return transport.check(response, WHO, what)

    def _folder_path(self, remote_id: str) -> str:
        return (f"/tenant/{self.config['tenant']}/desk/{self.config['desk']}"
                f"/folder/{remote_id}")

    # ------------------------------------------------------------------ interface
    def send(self, folder: OutgoingFolder) -> str:
        files = [("folder", ("premis.xml", self.premis(folder), "application/xml"))]
        for document in [folder.main_document, *folder.annexes]:
            files.append(("documents", (document.filename, document.content,
                                        document.content_type)))
        response = self._call(
            "POST", f"/tenant/{self.config['tenant']}/desk/{self.config['desk']}/folder",
            "le dépôt du dossier", params={"autoStart": "false"}, files=files)
        try:
            remote_id = response.json()["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise transport.garbage(WHO, "dépôt du dossier") from exc
        if not isinstance(remote_id, str) or not remote_id.strip():
            raise transport.garbage(WHO, "dépôt du dossier")
        try:
            start = next((e for e in self._events(remote_id) if e["type"] == "START"), None)
            if start is None or not start["task"]:
                raise ConnectorError("L'i-Parapheur n'a pas ouvert d'étape de départ pour ce "
                                     "dossier.", retryable=False)
            metadata = dict(folder.metadata)
            self._call("PUT", f"{self._folder_path(remote_id)}/task/{start['task']}/start",
                       "le lancement du circuit", json={
                           "publicAnnotation": folder.public_annotation[:512],
                           "privateAnnotation": folder.private_annotation[:512],
                           "metadata": metadata})
        except ConnectorError:
            self._forget(remote_id)  # a draft left there would be deposited twice on retry
            raise
        return remote_id

    def status(self, remote_id: str) -> RemoteStatus:
        events = self._events(remote_id)
        history = [HistoryEntry(e["at"], _LABELS.get(e["type"], e["type"].capitalize()),
                                e["agent"], e["note"])
                   for e in events if e["at"] is not None and e["type"] != "READ"]
        last = events[-1]["type"] if events else ""
        rejection = next((e for e in events if e["type"] == "REJECT" and e["at"]), None)
        if rejection is not None or last == "DELETE":
            reason = rejection["note"] if rejection else None
            return RemoteStatus(FolderState.REJECTED, history, reason or "Rejeté dans "
                                "l'i-Parapheur (sans motif donné).")
        if last == "ARCHIVE":
            return RemoteStatus(FolderState.SIGNED, history)
        done = {e["type"] for e in events if e["at"] is not None}
        visaed = "VISA" in done or bool(done & _SIGNATURES)
        return RemoteStatus(FolderState.VISAED if visaed else FolderState.PENDING, history)

    def signed_document(self, remote_id: str) -> Document:
        archive = self._zip(remote_id)
        mains = [n for n in archive.namelist()
                 if n.startswith("Documents principaux/") and not n.endswith("/")]
        pdfs = [n for n in mains if n.lower().endswith(".pdf")] or mains
        if not pdfs:
            raise ConnectorError("L'archive de l'i-Parapheur ne contient pas le document "
                                 "signé.", retryable=False)
        return Document(pdfs[0].rsplit("/", 1)[-1], archive.read(pdfs[0]))

    def bordereau(self, remote_id: str) -> Document | None:
        archive = self._zip(remote_id)
        names = [n for n in archive.namelist() if n.endswith("_bordereau.pdf")]
        if not names:
            return None
        return Document(names[0].rsplit("/", 1)[-1], archive.read(names[0]))

    def archive(self, remote_id: str) -> None:
        self._call("DELETE", self._folder_path(remote_id), "la suppression du dossier")
        self._zips.pop(remote_id, None)

    # ------------------------------------------------------------------ PREMIS and zip
    def premis(self, folder: OutgoingFolder) -> bytes:
        """The folder's description as i-Parapheur reads it at deposit time."""
        root = ET.Element(_q("premis"), {
            "version": "3.0", f"{{{XSI_NS}}}schemaLocation":
            f"{PREMIS_NS} http://www.loc.gov/standards/premis/v3/premis.xsd"})
        entity = ET.SubElement(root, _q("object"), {f"{{{XSI_NS}}}type": "intellectualEntity"})
        properties = {TYPE: str(self.config["type"]), SUBTYPE: str(self.config["subtype"]),
                      **folder.metadata}
        if folder.wished_date is not None:
            properties[DUE] = folder.wished_date.isoformat()
        if folder.steps:
            properties["bannette_circuit"] = ", ".join(
                f"{step.kind} : {step.official_login or step.official_name}"
                for step in folder.steps)
        for key, value in properties.items():
            _property(entity, key, value)
        ET.SubElement(entity, _q("originalName")).text = folder.title
        for n, document in enumerate([folder.main_document, *folder.annexes]):
            item = ET.SubElement(root, _q("object"), {f"{{{XSI_NS}}}type": "file"})
            _property(item, MAIN, "true" if n == 0 else "false")
            ET.SubElement(item, _q("originalName")).text = document.filename
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))

    def _events(self, remote_id: str) -> list[dict[str, Any]]:
        response = self._call("GET", f"{self._folder_path(remote_id)}/premis",
                              "la lecture de l'historique")
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise transport.garbage(WHO, "historique PREMIS") from exc
        if root.tag != _q("premis"):
            raise transport.garbage(WHO, "historique PREMIS")
        agents = {(a.findtext(f"{_q('agentIdentifier')}/{_q('agentIdentifierValue')}") or ""):
                  (a.findtext(_q("agentName")) or "") for a in root.iter(_q("agent"))}
        events = []
        for event in root.findall(_q("event")):
            kind = (event.findtext(_q("eventIdentifier") + "/" + _q("eventIdentifierType"))
                    or "")
            if kind != "taskId":
                continue
            when = (event.findtext(_q("eventDateTime")) or "").strip()
            try:
                at = datetime.fromisoformat(when).astimezone(UTC) if when else None
            except ValueError as exc:
                raise transport.garbage(WHO, f"date « {when[:40]} »") from exc
            agent = event.findtext(
                f"{_q('linkingAgentIdentifier')}/{_q('linkingAgentIdentifierValue')}") or ""
            note = event.findtext(
                f"{_q('eventOutcomeInformation')}/{_q('eventOutcomeDetail')}"
                f"/{_q('eventOutcomeDetailNote')}")
            events.append({
                "type": (event.findtext(_q("eventType")) or "").strip().upper(),
                "task": (event.findtext(_q("eventIdentifier") + "/"
                                        + _q("eventIdentifierValue")) or "").strip(),
                "at": at, "agent": agents.get(agent) or None,
                "note": note.strip() if note and note.strip() else None})
        return events

    def _zip(self, remote_id: str) -> zipfile.ZipFile:
        if remote_id not in self._zips:
            response = self._call("GET", f"{self._folder_path(remote_id)}/zip",
                                  "le téléchargement des documents")
            try:
                self._zips[remote_id] = zipfile.ZipFile(io.BytesIO(response.content))
            except zipfile.BadZipFile as exc:
                raise transport.garbage(WHO, "archive des documents") from exc
        return self._zips[remote_id]

    def _forget(self, remote_id: str) -> None:
        with contextlib.suppress(ConnectorError):
            self._call("DELETE", self._folder_path(remote_id), "la suppression du brouillon")


def _property(parent: ET.Element, key: str, value: str) -> None:
    prop = ET.SubElement(parent, _q("significantProperties"))
    ET.SubElement(prop, _q("significantPropertiesType")).text = key
    ET.SubElement(prop, _q("significantPropertiesValue")).text = value
