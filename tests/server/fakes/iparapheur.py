"""A fake i-Parapheur v5: Keycloak's token endpoint and the part of the standard API
(``/api/standard/v1``) a depositing application uses, with folders that live through a circuit.

Written from Libriciel's published API client (``iparapheur-v5-api-php``: paths, the multipart
parts ``folder`` and ``documents``, ``autoStart``, the ``start`` task call with
``SimpleTaskParams``, the 201 ``FolderRepresentation``) and from the PREMIS summaries and zip
layout that Pastell's tests and ``ZipContent`` show (events with a ``taskId``, done tasks dated,
the waiting one undated; « Documents principaux/ », « Annexes/ », ``{name}_bordereau.pdf``,
``i_Parapheur_internal_premis.xml``). **It has not been checked against a live i-Parapheur.**

The test drives the circuit with ``act`` (what an official would do in i-Parapheur's web
interface), and can expire the tokens or make every API answer garbage.
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

import pymupdf
from fastapi import FastAPI, File, Form, Header, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response

P = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _q(tag: str) -> str:
    return f"{{{P}}}{tag}"


@dataclass
class Task:
    action: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: datetime | None = None
    user: str = ""
    note: str | None = None


@dataclass
class Folder:
    id: str
    name: str
    type: str
    subtype: str
    properties: dict[str, str]
    files: list[tuple[str, bytes, bool]]
    tasks: list[Task]
    desk: str
    annotations: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False
    due_date: str | None = None


class FakeIparapheur:
    def __init__(self, *, login: str = "depot", password: str = "secret",
                 tenant: str = "tenant-1", desk: str = "desk-1",
                 typology: dict[tuple[str, str], list[str]] | None = None) -> None:
        self.login, self.password, self.tenant, self.desk = login, password, tenant, desk
        #: (type, sub-type) -> the circuit the sub-type defines.
        self.typology = typology or {("Courrier", "Signature maire"): ["VISA", "SIGNATURE"]}
        self.tokens: set[str] = set()
        self.grants = 0
        self.folders: dict[str, Folder] = {}
        self.garbage = False
        #: Every API call answers this status (e.g. 503) while set.
        self.fail_with: int | None = None
        #: Tokens are granted but never accepted (a desk the account lost its rights on).
        self.refuse_tokens = False
        self.app = self._build()

    # ------------------------------------------------------------------ test hooks
    def act(self, folder_id: str, action: str, *, user: str = "Maire",
            note: str | None = None, at: datetime | None = None) -> None:
        """An official acts on the waiting task: ``VISA``, ``SIGNATURE`` or ``REJECT``."""
        folder = self.folders[folder_id]
        task = next(t for t in folder.tasks if t.at is None)
        assert task.action not in ("START", "ARCHIVE", "DELETE"), task.action
        when = at or datetime.now(UTC)
        if action == "REJECT":
            folder.tasks.remove(task)
            folder.tasks += [Task("REJECT", at=when, user=user, note=note), Task("DELETE")]
            return
        assert action == task.action, (action, task.action)
        task.at, task.user, task.note = when, user, note
        circuit = self.typology[(folder.type, folder.subtype)]
        done = [t.action for t in folder.tasks if t.at and t.action in circuit]
        if len(done) < len(circuit):
            folder.tasks.append(Task(circuit[len(done)]))
        else:
            folder.tasks.append(Task("ARCHIVE"))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # ------------------------------------------------------------------ the API
    def _build(self) -> FastAPI:
        app = FastAPI()
        base = "/api/standard/v1/tenant/{tenant}/desk/{desk}/folder"

        @app.post("/auth/realms/{realm}/protocol/openid-connect/token")
        def token(realm: str, grant_type: Annotated[str, Form()],
                  client_id: Annotated[str, Form()], username: Annotated[str, Form()] = "",
                  password: Annotated[str, Form()] = "") -> JSONResponse:
            if realm != "api" or client_id != "ipcore-web" or grant_type != "password":
                return JSONResponse({"error": "unauthorized_client"}, 400)
            if (username, password) != (self.login, self.password):
                return JSONResponse({"error": "invalid_grant",
                                     "error_description": "Invalid user credentials"}, 401)
            self.grants += 1
            value = uuid.uuid4().hex
            self.tokens.add(value)
            return JSONResponse({"access_token": value, "expires_in": 900,
                                 "refresh_expires_in": 1800, "token_type": "Bearer",
                                 "not-before-policy": 0, "scope": "roles"})

        def guard(authorization: str | None, tenant: str, desk: str) -> None:
            if (not authorization or self.refuse_tokens
                    or authorization.removeprefix("Bearer ") not in self.tokens):
                raise HTTPException(401, "Unauthorized")
            if (tenant, desk) != (self.tenant, self.desk):
                raise HTTPException(404, "Desk not found")

        @app.middleware("http")
        async def garbage(request: Request, call_next: Any) -> Any:
            if self.garbage and request.url.path.startswith("/api/"):
                return Response("<html><body>502 Proxy Error</body></html>",
                                media_type="text/html")
            if self.fail_with and request.url.path.startswith("/api/"):
                return JSONResponse({"status": self.fail_with, "message": "Service indisponible"},
                                    self.fail_with)
            return await call_next(request)

        @app.exception_handler(HTTPException)
        async def error(_request: Request, exc: HTTPException) -> JSONResponse:
            return JSONResponse({"status": exc.status_code, "message": exc.detail},
                                exc.status_code)

        @app.post(base, status_code=201)
        async def create(tenant: str, desk: str, folder: Annotated[UploadFile, File()],
                         documents: Annotated[list[UploadFile], File()],
                         authorization: Annotated[str | None, Header()] = None,
                         autoStart: bool = True) -> dict[str, Any]:  # noqa: N803
            guard(authorization, tenant, desk)
            created = self._create(await folder.read(),
                                   [(d.filename or "", await d.read()) for d in documents])
            if autoStart:
                self._start(created, created.tasks[0].id, {})
            return {"id": created.id, "name": created.name, "dueDate": created.due_date,
                    "metadata": created.properties}

        @app.put(base + "/{folder_id}/task/{task_id}/start")
        async def start(tenant: str, desk: str, folder_id: str, task_id: str,
                        request: Request,
                        authorization: Annotated[str | None, Header()] = None) -> Response:
            guard(authorization, tenant, desk)
            self._start(self._get(folder_id), task_id, await request.json())
            return Response(status_code=200)

        @app.get(base + "/{folder_id}/premis")
        def premis(tenant: str, desk: str, folder_id: str,
                   authorization: Annotated[str | None, Header()] = None) -> Response:
            guard(authorization, tenant, desk)
            return Response(self.premis(self._get(folder_id)), media_type="application/xml")

        @app.get(base + "/{folder_id}/zip")
        def download(tenant: str, desk: str, folder_id: str,
                     authorization: Annotated[str | None, Header()] = None) -> Response:
            guard(authorization, tenant, desk)
            return Response(self._zip(self._get(folder_id)), media_type="application/zip")

        @app.delete(base + "/{folder_id}", status_code=204)
        def delete(tenant: str, desk: str, folder_id: str,
                   authorization: Annotated[str | None, Header()] = None) -> Response:
            guard(authorization, tenant, desk)
            folder = self._get(folder_id)
            waiting = next((t.action for t in folder.tasks if t.at is None), None)
            if waiting not in ("START", "ARCHIVE", "DELETE"):
                raise HTTPException(403, "Current pending folders cannot be deleted here")
            folder.deleted = True
            return Response(status_code=204)

        return app

    def _get(self, folder_id: str) -> Folder:
        folder = self.folders.get(folder_id)
        if folder is None or folder.deleted:
            raise HTTPException(404, "Folder not found")
        return folder

    def _create(self, premis: bytes, documents: list[tuple[str, bytes]]) -> Folder:
        try:
            root = ET.fromstring(premis)
        except ET.ParseError as exc:
            raise HTTPException(406, "Invalid PREMIS file") from exc
        if root.tag != _q("premis"):
            raise HTTPException(406, "Invalid PREMIS file")
        entity, files = None, []
        for obj in root.findall(_q("object")):
            props = {p.findtext(_q("significantPropertiesType")) or "":
                     p.findtext(_q("significantPropertiesValue")) or ""
                     for p in obj.findall(_q("significantProperties"))}
            kind = obj.get(f"{{{XSI}}}type")
            if kind == "intellectualEntity":
                entity = (obj.findtext(_q("originalName")) or "", props)
            elif kind == "file":
                files.append((obj.findtext(_q("originalName")) or "",
                              props.get("i_Parapheur_reserved_mainDocument") == "true"))
        if entity is None or not entity[0]:
            raise HTTPException(406, "Missing folder name")
        name, props = entity
        typology = (props.get("i_Parapheur_reserved_type", ""),
                    props.get("i_Parapheur_reserved_subtype", ""))
        if typology not in self.typology:
            raise HTTPException(404, f"Unknown type/subtype {typology}")
        contents = dict(documents)
        if sorted(n for n, _ in files) != sorted(contents) or sum(m for _, m in files) != 1:
            raise HTTPException(406, "Documents do not match the PREMIS file objects")
        folder = Folder(str(uuid.uuid4()), name, typology[0], typology[1],
                        {k: v for k, v in props.items()
                         if not k.startswith("i_Parapheur_reserved")},
                        [(n, contents[n], m) for n, m in files], [Task("START")], self.desk)
        due = props.get("i_Parapheur_reserved_dueDate")
        if due:
            try:
                datetime.fromisoformat(due)
            except ValueError as exc:
                raise HTTPException(406, "Invalid due date") from exc
            folder.due_date = due
        self.folders[folder.id] = folder
        return folder

    def _start(self, folder: Folder, task_id: str, params: dict[str, Any]) -> None:
        task = folder.tasks[0]
        if task.id != task_id or task.action != "START":
            raise HTTPException(404, "Task not found")
        if task.at is not None:
            raise HTTPException(409, "Folder already started")
        task.at, task.user = datetime.now(UTC), self.login
        folder.annotations = params
        folder.tasks.append(Task(self.typology[(folder.type, folder.subtype)][0]))

    # ------------------------------------------------------------------ documents
    def premis(self, folder: Folder) -> bytes:
        root = ET.Element(_q("premis"), {"version": "3.0"})
        entity = ET.SubElement(root, _q("object"), {f"{{{XSI}}}type": "intellectualEntity"})
        ident = ET.SubElement(entity, _q("objectIdentifier"))
        ET.SubElement(ident, _q("objectIdentifierType")).text = "folderId"
        ET.SubElement(ident, _q("objectIdentifierValue")).text = folder.id
        due = [("i_Parapheur_reserved_dueDate", folder.due_date)] if folder.due_date else []
        for key, value in (("i_Parapheur_reserved_type", folder.type),
                           ("i_Parapheur_reserved_subtype", folder.subtype),
                           *due, *folder.properties.items()):
            prop = ET.SubElement(entity, _q("significantProperties"))
            ET.SubElement(prop, _q("significantPropertiesType")).text = key
            ET.SubElement(prop, _q("significantPropertiesValue")).text = value
        ET.SubElement(entity, _q("originalName")).text = folder.name
        for name, _content, main in folder.files:
            obj = ET.SubElement(root, _q("object"), {f"{{{XSI}}}type": "file"})
            prop = ET.SubElement(obj, _q("significantProperties"))
            ET.SubElement(prop, _q("significantPropertiesType")).text = (
                "i_Parapheur_reserved_mainDocument")
            ET.SubElement(prop, _q("significantPropertiesValue")).text = str(main).lower()
            ET.SubElement(obj, _q("originalName")).text = name
        users = {}
        for task in folder.tasks:
            event = ET.SubElement(root, _q("event"))
            ident = ET.SubElement(event, _q("eventIdentifier"))
            ET.SubElement(ident, _q("eventIdentifierType")).text = "taskId"
            ET.SubElement(ident, _q("eventIdentifierValue")).text = task.id
            ET.SubElement(event, _q("eventType")).text = task.action
            ET.SubElement(event, _q("eventDateTime")).text = (
                task.at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000" if task.at else None)
            if task.note:
                outcome = ET.SubElement(event, _q("eventOutcomeInformation"))
                detail = ET.SubElement(outcome, _q("eventOutcomeDetail"))
                ET.SubElement(detail, _q("eventOutcomeDetailNote")).text = task.note
            link = ET.SubElement(event, _q("linkingAgentIdentifier"))
            ET.SubElement(link, _q("linkingAgentIdentifierType")).text = "userId"
            user_id = f"user-{abs(hash(task.user)) % 10000}" if task.user else ""
            ET.SubElement(link, _q("linkingAgentIdentifierValue")).text = user_id
            ET.SubElement(link, _q("linkingAgentRole")).text = "user"
            if task.user:
                users[user_id] = task.user
        for user_id, name in users.items():
            agent = ET.SubElement(root, _q("agent"))
            ident = ET.SubElement(agent, _q("agentIdentifier"))
            ET.SubElement(ident, _q("agentIdentifierType")).text = "userId"
            ET.SubElement(ident, _q("agentIdentifierValue")).text = user_id
            ET.SubElement(agent, _q("agentName")).text = name
        return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))

    def _zip(self, folder: Folder) -> bytes:
        signer = next((t for t in folder.tasks if t.action == "SIGNATURE" and t.at), None)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("i_Parapheur_internal_premis.xml", self.premis(folder))
            for name, content, main in folder.files:
                if main and signer is not None:
                    content = _stamp(content, f"Signé par {signer.user} dans i-Parapheur")
                archive.writestr(f"{'Documents principaux' if main else 'Annexes'}/{name}",
                                 content)
            archive.writestr(f"{folder.name}_bordereau.pdf", _pdf(
                f"Bordereau i-Parapheur : {folder.name}",
                *[f"{t.action} {t.user}" for t in folder.tasks if t.at]))
        return buffer.getvalue()


def _pdf(*lines: str) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    for n, line in enumerate(lines):
        page.insert_text((72, 72 + 16 * n), line)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def _stamp(content: bytes, text: str) -> bytes:
    doc = pymupdf.open(stream=content, filetype="pdf")
    doc[-1].insert_text((72, 700), text)
    data: bytes = doc.tobytes()
    doc.close()
    return data
