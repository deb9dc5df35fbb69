"""A fake Xparaph (SPL-Xdemat): its SOAP service ``urn:parafwsdl`` with the four operations a
depositing application uses, and deposits that live through their circuit.

Written from the calls Maarch Courrier's ``XParaphController`` makes and the answers it reads:
``XPRF_Initialisation_Deposer`` → ``return/Retour_XML`` (an XML text: ``SCENARIO/AUTORISATIONS/
VISEURS/VISEUR`` and ``SIGNATAIRES/SIGNATAIRE`` with ``ACTEUR_LOGIN``/``ACTEUR_NOM``),
``XPRF_Deposer`` → ``return/depotid``, ``XPRF_AvancementDepot`` → ``return`` as a JSON text
(per deposit id, its steps with ``etat``/``typeEtape``/``note``, the first one the deposit),
``XPRF_getFiles`` → ``return`` as a JSON text whose ``zip`` holds the signed PDF and an XML log;
faults as SOAP 1.1 ``Fault`` with a 500. The ``etat`` of a step not reached yet (``ATTENTE``),
the ``date`` key of a step and the log's content are guesses. **It has not been checked against
a live Xparaph.**

The test drives the circuit with ``act`` and can make the service answer garbage.
"""

from __future__ import annotations

import base64
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

import pymupdf
from fastapi import FastAPI, Request
from fastapi.responses import Response

ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass
class Depot:
    id: str
    objet: str
    nom: str
    content: bytes
    steps: list[dict[str, Any]] = field(default_factory=list)


class FakeXparaph:
    def __init__(self, *, siret: str = "21100999900017", logingen: str = "generique",
                 password: str = "secret", scenario: str = "COURRIER-SIGNATURE",
                 viseurs: dict[str, str] | None = None,
                 signataires: dict[str, str] | None = None) -> None:
        self.siret, self.logingen, self.password, self.scenario = (siret, logingen, password,
                                                                   scenario)
        self.viseurs = viseurs or {}
        self.signataires = signataires or {}
        self.depots: dict[str, Depot] = {}
        self.garbage = False
        self.calls: list[str] = []
        self.app = self._build()

    def act(self, depot_id: str, etat: str, note: str = "",
            at: datetime | None = None) -> None:
        """The waiting step is done (``OK``) or rejected (``KO`` with a note)."""
        depot = self.depots[depot_id]
        step = next(s for s in depot.steps if s["etat"] == "ACTIVE")
        step.update(etat=etat, note=note, date=(at or datetime.now(UTC)).isoformat())
        if etat == "OK":
            following = next((s for s in depot.steps if s["etat"] == "ATTENTE"), None)
            if following is not None:
                following["etat"] = "ACTIVE"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/ws-parapheur")
        async def endpoint(request: Request) -> Response:
            if self.garbage:
                return Response("Service temporairement indisponible", media_type="text/plain")
            if request.headers.get("soapaction", "").strip('"') != "urn:parafwsdl#paraf":
                return _fault("SOAP-ENV:Client", "Unknown SOAPAction")
            try:
                body = ET.fromstring(await request.body()).find(f"{{{ENV}}}Body")
                call = body[0] if body is not None and len(body) else None
            except ET.ParseError:
                call = None
            if call is None or not call.tag.startswith("{urn:parafwsdl}"):
                return _fault("SOAP-ENV:Client", "Bad request")
            operation = call.tag.split("}", 1)[1]
            params = call.find("params")
            if params is None:
                return _fault("SOAP-ENV:Client", "params manquant")
            values = {child.tag: (child.text or "") for child in params}
            self.calls.append(operation)
            if (values.get("siret"), values.get("logingen"), values.get("password")) != (
                    self.siret, self.logingen, self.password):
                return _fault("SOAP-ENV:Server", "Authentification refusée")
            handler = getattr(self, f"_{operation}", None)
            if handler is None:
                return _fault("SOAP-ENV:Client", f"Opération inconnue {operation}")
            result = handler(values, params)
            if isinstance(result, Response):
                return result
            return Response(
                '<?xml version="1.0" encoding="UTF-8"?>'
                f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENV}" xmlns:ns1="urn:parafwsdl">'
                f"<SOAP-ENV:Body><ns1:{operation}Response>{result}"
                f"</ns1:{operation}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>",
                media_type="text/xml; charset=utf-8")

        return app

    # ------------------------------------------------------------------ operations
    def _XPRF_Initialisation_Deposer(self, values: dict[str, str], _p: ET.Element) -> Any:  # noqa: N802
        if values.get("scenario") != self.scenario or values.get("action") != "DETAIL":
            return _fault("SOAP-ENV:Server", "Scénario inconnu")
        def actors(tag: str, group: dict[str, str]) -> str:
            return "".join(f"<{tag}><ACTEUR_LOGIN>{escape(login)}</ACTEUR_LOGIN>"
                           f"<ACTEUR_NOM>{escape(name)}</ACTEUR_NOM></{tag}>"
                           for login, name in group.items())

        viseurs, signataires = actors("VISEUR", self.viseurs), actors("SIGNATAIRE",
                                                                       self.signataires)
        detail = (f"<SCENARIO><AUTORISATIONS><VISEURS>{viseurs}</VISEURS>"
                  f"<SIGNATAIRES>{signataires}</SIGNATAIRES></AUTORISATIONS></SCENARIO>")
        return f"<return><Retour_XML>{escape(detail)}</Retour_XML></return>"

    def _XPRF_Deposer(self, values: dict[str, str], params: ET.Element) -> Any:  # noqa: N802
        if f"{values.get('docutype')}-{values.get('docustype')}" != self.scenario:
            return _fault("SOAP-ENV:Server", "Type de document inconnu")
        try:
            content = base64.b64decode(values.get("contenu", ""), validate=True)
        except ValueError:
            return _fault("SOAP-ENV:Client", "contenu invalide")
        if str(len(content)) != values.get("taille") or not content.startswith(b"%PDF"):
            return _fault("SOAP-ENV:Client", "taille ou format du document incorrect")
        steps = [{"etat": "OK", "typeEtape": "DEPOT", "note": "",
                  "date": datetime.now(UTC).isoformat()}]
        etapes = params.find("etapes")
        for etape in (etapes if etapes is not None else []):
            login, action = etape.findtext("user_login") or "", etape.findtext("action") or ""
            allowed = self.signataires if action == "SIGN" else self.viseurs
            if action not in ("SIGN", "VISA") or login not in allowed:
                return _fault("SOAP-ENV:Server", f"Acteur {login} non autorisé ({action})")
            steps.append({"etat": "ATTENTE", "typeEtape": action, "note": "",
                          "login": login})
        if len(steps) < 2:
            return _fault("SOAP-ENV:Client", "Aucune étape")
        steps[1]["etat"] = "ACTIVE"
        depot = Depot(str(1000 + len(self.depots)), values.get("objet", ""),
                      values.get("nom", ""), content, steps)
        self.depots[depot.id] = depot
        return f"<return><depotid>{depot.id}</depotid></return>"

    def _XPRF_AvancementDepot(self, _values: dict[str, str], params: ET.Element) -> Any:  # noqa: N802
        ids = [e.text or "" for e in params.iterfind("depotids/listDepotIds")]
        unknown = [i for i in ids if i not in self.depots]
        if unknown:
            return _fault("SOAP-ENV:Server", f"Dépôt inconnu {unknown[0]}")
        report = {i: [{k: v for k, v in s.items() if k != "date" or s["etat"] != "ATTENTE"}
                      for s in self.depots[i].steps] for i in ids}
        return f"<return>{escape(json.dumps(report))}</return>"

    def _XPRF_getFiles(self, values: dict[str, str], _p: ET.Element) -> Any:  # noqa: N802
        depot = self.depots.get(values.get("depotid", ""))
        if depot is None:
            return _fault("SOAP-ENV:Server", "Dépôt inconnu")
        signer = next((s for s in depot.steps if s["typeEtape"] == "SIGN" and s["etat"] == "OK"),
                      None)
        content = depot.content
        if signer is not None:
            doc = pymupdf.open(stream=content, filetype="pdf")
            doc[-1].insert_text((72, 700), f"Signé par {signer['login']} dans Xparaph")
            content = doc.tobytes()
            doc.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(depot.nom if depot.nom.endswith(".pdf") else f"{depot.nom}.pdf",
                             content)
            archive.writestr(f"log-{depot.id}.xml", "<LOG>" + "".join(
                f"<ETAPE etat='{s['etat']}'>{escape(s['typeEtape'])}</ETAPE>"
                for s in depot.steps) + "</LOG>")
        payload = json.dumps({"zip": base64.b64encode(buffer.getvalue()).decode("ascii")})
        return f"<return>{escape(payload)}</return>"


def _fault(code: str, text: str) -> Response:
    return Response(
        f'<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENV}">'
        f"<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>{code}</faultcode>"
        f"<faultstring>{escape(text)}</faultstring><detail>{escape(text)}</detail>"
        "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
        status_code=500, media_type="text/xml; charset=utf-8")
