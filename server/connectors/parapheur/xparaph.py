"""Xparaph (SPL-Xdemat) through its SOAP service (namespace ``urn:parafwsdl``, RPC/encoded, one
``params`` structure per operation, SOAPAction ``urn:parafwsdl#paraf``).

Written from the way Maarch Courrier's ``XParaphController`` calls it. **It has not been run
against a live Xparaph**: only against the fake in ``tests/server/fakes``, written from the same
source. The operations, all authenticated by ``siret``, ``login`` (the depositing agent),
``logingen`` and ``password`` (the commune's generic account):

- ``XPRF_Initialisation_Deposer`` (``action=DETAIL``, ``scenario={docutype}-{docustype}``,
  ``version=2``): the scenario's details; its ``Retour_XML`` lists who may visa (``VISEURS``) and
  sign (``SIGNATAIRES``). We check the circuit against it before depositing, so a circuit
  Xparaph would refuse is reported in French rather than deposited;
- ``XPRF_Deposer``: the main PDF in base64 (``contenu``, ``nom``, ``taille``, ``objet``) with the
  circuit as ``etapes`` (``EtapeDepot``: ``user_siret``, ``user_login``, ``action``, ``ordre``);
  answers the deposit id (``depotid``) that identifies the folder from then on;
- ``XPRF_AvancementDepot`` (``depotids``, ``withNote=1``): a JSON text, per deposit id the list
  of steps (``etat``: ``ACTIVE`` for the one waiting, ``KO`` for a rejection with its ``note``;
  ``typeEtape`` ``SIGN`` for a signature); the first step is the deposit itself;
- ``XPRF_getFiles`` (``depotid``): a JSON text whose ``zip`` (base64) holds the signed PDF and
  the circuit's XML log.

Assumptions (not in the source read): the step actions sent are ``VISA`` and ``SIGN``
(settable); Xparaph takes one document per deposit, so the annexes travel inside the assembled
main PDF (the desktop assembles them) and are not sent apart; a step's date is read from a
``date`` key when present (else the time of the reading); Xparaph makes no PDF bordereau that
we know of, so the bordereau is drawn here from the steps it reported; and nothing is deleted
after retrieval (no deletion operation is used by Maarch): ``archive`` does nothing.

Configuration (``ParapheurSettings.config``): ``url`` (the SOAP endpoint), ``siret``, ``login``,
``logingen``, ``password``, ``docutype``, ``docustype``; optional ``visa_action``,
``sign_action``, ``timeout`` (seconds, default 30).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
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
from server.services import parapheur_pdf
from sync.protocol.wire import FolderState, StepKind

WHO = "Le parapheur Xparaph"
URN = "urn:parafwsdl"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
SOAP_ACTION = "urn:parafwsdl#paraf"
REQUIRED = ("url", "siret", "login", "logingen", "password", "docutype", "docustype")

for _prefix, _uri in (("soapenv", SOAP_ENV), ("urn", URN), ("xsi", XSI), ("xsd", XSD),
                      ("soapenc", SOAP_ENC)):
    ET.register_namespace(_prefix, _uri)


def envelope(operation: str, params: list[tuple[str, Any]]) -> bytes:
    """A SOAP 1.1 RPC/encoded call: ``<urn:{operation}><params>…</params>``. A value is a string
    (``xsd:string``), an int, bytes (``xsd:base64Binary``) or a list of (tag, children)."""
    root = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(root, f"{{{SOAP_ENV}}}Header")
    body = ET.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = ET.SubElement(body, f"{{{URN}}}{operation}",
                         {f"{{{SOAP_ENV}}}encodingStyle": SOAP_ENC})
    holder = ET.SubElement(call, "params", {f"{{{XSI}}}type": f"urn:{operation}_Param"})
    _fill(holder, params)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _fill(parent: ET.Element, params: list[tuple[str, Any]]) -> None:
    for name, value in params:
        if isinstance(value, list):
            child = ET.SubElement(parent, name)
            _fill(child, value)
        elif isinstance(value, bytes):
            ET.SubElement(parent, name, {f"{{{XSI}}}type": "xsd:base64Binary"}).text = (
                base64.b64encode(value).decode("ascii"))
        elif isinstance(value, int):
            ET.SubElement(parent, name, {f"{{{XSI}}}type": "xsd:int"}).text = str(value)
        else:
            ET.SubElement(parent, name, {f"{{{XSI}}}type": "xsd:string"}).text = str(value)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def answer(content: bytes, operation: str) -> ET.Element:
    """The ``return`` element of ``{operation}Response``; a SOAP fault is a refusal, anything
    else than the expected envelope is garbage (neither is retryable)."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise transport.garbage(WHO, operation) from exc
    body = _child(root, "Body") if _local(root.tag) == "Envelope" else None
    if body is None:
        raise transport.garbage(WHO, operation)
    fault = _child(body, "Fault")
    if fault is not None:
        text = " ".join(t.strip() for t in fault.itertext() if t.strip())[:300]
        raise ConnectorError(f"{WHO} a refusé l'opération {operation} : {text}.",
                             retryable=False)
    response = _child(body, f"{operation}Response")
    returned = _child(response, "return") if response is not None else None
    if returned is None:
        raise transport.garbage(WHO, operation)
    return returned


class XparaphConnector(ParapheurConnector):
    name: ClassVar[str] = "xparaph"

    def __init__(self, config: dict[str, Any], client: httpx.Client | None = None) -> None:
        self.config = {**dict.fromkeys(REQUIRED, ""), **config}
        #: Reported at the first call (the push opens the connector only to learn that it is
        #: external).
        self.missing = [key for key in REQUIRED if not str(config.get(key) or "").strip()]
        self.client = client or httpx.Client(timeout=transport.timeout_of(config))
        self._steps: dict[str, list[dict[str, Any]]] = {}

    def _credentials(self) -> list[tuple[str, Any]]:
        c = self.config
        return [("siret", c["siret"]), ("login", c["login"]), ("logingen", c["logingen"]),
                ("password", c["password"])]

    def _call(self, operation: str, params: list[tuple[str, Any]]) -> ET.Element:
        if self.missing:
            raise ConnectorError("Réglage de Xparaph incomplet : " + ", ".join(self.missing)
                                 + " (python -m server configure).", retryable=False)
        response = transport.request(
            self.client, WHO, "POST", str(self.config["url"]),
            content=envelope(operation, params),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION})
        if response.status_code == 500 and b"Fault" in response.content:
            return answer(response.content, operation)  # SOAP 1.1 faults come with a 500
        transport.check(response, WHO, f"l'opération {operation}")
        return answer(response.content, operation)

    # ------------------------------------------------------------------ interface
    def send(self, folder: OutgoingFolder) -> str:
        self._check_circuit(folder)
        main = folder.main_document
        steps: list[tuple[str, Any]] = []
        for order, step in enumerate(folder.steps, start=1):
            action = (self.config.get("sign_action") or "SIGN") if step.kind == StepKind.SIGNATURE \
                else (self.config.get("visa_action") or "VISA")
            steps.append(("EtapeDepot", [
                ("user_siret", self.config["siret"]), ("user_login", step.official_login),
                ("action", action), ("contexte", ""), ("norejet", "0"), ("ordre", order)]))
        returned = self._call("XPRF_Deposer", [
            ("reponse", "SOAP"), *self._credentials(),
            ("docutype", self.config["docutype"]), ("docustype", self.config["docustype"]),
            ("objet", folder.title), ("contenu", main.content), ("nom", main.filename),
            ("taille", len(main.content)), ("pml", "0"), ("avertir", "1"), ("etapes", steps)])
        depot = _child(returned, "depotid")
        depot_id = (depot.text or "").strip() if depot is not None else ""
        if not depot_id:
            raise transport.garbage(WHO, "XPRF_Deposer : numéro de dépôt absent")
        return depot_id

    def status(self, remote_id: str) -> RemoteStatus:
        steps = self._progress(remote_id)
        history = [HistoryEntry(self._when(steps[0]) if steps else datetime.now(UTC), "Déposé")]
        state, reason = FolderState.SIGNED, None
        for step in steps[1:]:
            etat = str(step.get("etat") or "").upper()
            kind = str(step.get("typeEtape") or "").upper()
            note = str(step.get("note") or "").strip() or None
            if etat == "ACTIVE":
                state = FolderState.VISAED if len(history) > 1 else FolderState.PENDING
                break
            if etat == "KO":
                state, reason = FolderState.REJECTED, note or "Rejeté dans Xparaph (sans motif)."
                history.append(HistoryEntry(self._when(step), "Rejeté", None, note))
                break
            history.append(HistoryEntry(self._when(step),
                                        "Signé" if kind == "SIGN" else "Visé", None, note))
        return RemoteStatus(state, history, reason)

    def signed_document(self, remote_id: str) -> Document:
        returned = self._call("XPRF_getFiles", [*self._credentials(), ("depotid", remote_id)])
        try:
            payload = json.loads(returned.text or "")
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(payload["zip"],
                                                                  validate=True)))
        except (ValueError, KeyError, TypeError, binascii.Error, zipfile.BadZipFile) as exc:
            raise transport.garbage(WHO, "XPRF_getFiles") from exc
        pdfs = [n for n in archive.namelist() if n.lower().endswith(".pdf")]
        if not pdfs:
            raise ConnectorError(f"{WHO} n'a pas rendu de PDF signé.", retryable=False)
        return Document(pdfs[0].rsplit("/", 1)[-1], archive.read(pdfs[0]))

    def bordereau(self, remote_id: str) -> Document | None:
        """Our own slip of the circuit as Xparaph reported it (Xparaph gives an XML log)."""
        status = self.status(remote_id)
        lines = [parapheur_pdf.StepLine(n, "signature" if e.label == "Signé" else "visa",
                                        e.actor or "—", "rejected" if e.label == "Rejeté"
                                        else "done", e.at, e.comment)
                 for n, e in enumerate(status.history[1:], start=1)]
        state = {"signed": "circuit terminé", "rejected": "rejeté"}.get(status.state.value,
                                                                           "en cours")
        created = status.history[0].at if status.history else datetime.now(UTC)
        pdf = parapheur_pdf.bordereau(f"dépôt Xparaph n° {remote_id}",
                                      f"SIRET {self.config['siret']}", state, created, lines, [])
        return Document(f"bordereau-xparaph-{remote_id}.pdf", pdf)

    def archive(self, remote_id: str) -> None:
        """Nothing to delete that we know of (see the module's assumptions)."""

    # ------------------------------------------------------------------ helpers
    def _check_circuit(self, folder: OutgoingFolder) -> None:
        returned = self._call("XPRF_Initialisation_Deposer", [
            *self._credentials(), ("action", "DETAIL"),
            ("scenario", f"{self.config['docutype']}-{self.config['docustype']}"),
            ("version", "2")])
        detail = _child(returned, "Retour_XML")
        try:
            scenario = ET.fromstring((detail.text or "") if detail is not None else "")
        except ET.ParseError as exc:
            raise transport.garbage(WHO, "XPRF_Initialisation_Deposer") from exc
        allowed = {
            StepKind.VISA: {(e.text or "").strip()
                            for e in scenario.iterfind(".//VISEURS/VISEUR/ACTEUR_LOGIN")},
            StepKind.SIGNATURE: {(e.text or "").strip() for e in
                                 scenario.iterfind(".//SIGNATAIRES/SIGNATAIRE/ACTEUR_LOGIN")},
        }
        for step in folder.steps:
            if step.official_login not in allowed[StepKind(step.kind)]:
                role = "signer" if step.kind == StepKind.SIGNATURE else "viser"
                raise ConnectorError(
                    f"{step.official_name or step.official_login} n'est pas autorisé(e) à "
                    f"{role} dans le scénario Xparaph « {self.config['docutype']} — "
                    f"{self.config['docustype']} ».", retryable=False)

    def _progress(self, remote_id: str) -> list[dict[str, Any]]:
        if remote_id in self._steps:
            return self._steps[remote_id]
        returned = self._call("XPRF_AvancementDepot", [
            *self._credentials(), ("depotids", [("listDepotIds", remote_id)]),
            ("withNote", "1")])
        try:
            steps = json.loads(returned.text or "")[remote_id]
        except (ValueError, KeyError, TypeError) as exc:
            raise transport.garbage(WHO, "XPRF_AvancementDepot") from exc
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise transport.garbage(WHO, "XPRF_AvancementDepot")
        self._steps[remote_id] = steps
        return steps

    @staticmethod
    def _when(step: dict[str, Any]) -> datetime:
        raw = str(step.get("date") or "").strip()
        for parse in (datetime.fromisoformat,
                      lambda s: datetime.strptime(s, "%d/%m/%Y %H:%M:%S")):
            try:
                value = parse(raw)
            except ValueError:
                continue
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return datetime.now(UTC)
