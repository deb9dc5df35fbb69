"""Every error leaves the server as RFC 9457 problem details, with a French ``detail``.

One format means the desktop shows any refusal to the secrétaire with the same code path.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)

_TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Action non autorisée",
    404: "Introuvable",
    405: "Méthode non permise",
    409: "Conflit",
    413: "Fichier trop volumineux",
    415: "Type de fichier refusé",
    416: "Plage demandée invalide",
    422: "Données invalides",
    426: "Mise à jour du logiciel nécessaire",
    429: "Trop de demandes",
    500: "Erreur interne",
}


class InvalidParam(BaseModel):
    name: str
    reason: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    invalid_params: list[InvalidParam] = Field(default_factory=list, alias="invalid-params")

    model_config = {"populate_by_name": True}


class ProblemError(Exception):
    """Raised anywhere in the server to answer with a problem; carries a French message."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_
        self.headers = headers or {}


def not_found(what: str = "Cette ressource") -> ProblemError:
    return ProblemError(404, f"{what} est introuvable ou ne relève pas de vos collectivités.")


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, detail)


def problem_response(
    status: int,
    detail: str,
    *,
    request: Request | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    invalid: list[InvalidParam] | None = None,
) -> JSONResponse:
    body = Problem.model_validate(
        {
            "type": type_,
            "title": _TITLES.get(status, "Erreur"),
            "status": status,
            "detail": detail,
            "instance": request.url.path if request is not None else None,
            "invalid-params": invalid or [],
        }
    )
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


_STATUS_DETAILS = {
    401: "Identifiez-vous pour accéder à ce service.",
    404: "Adresse introuvable.",
    405: "Cette action n'est pas permise sur cette adresse.",
}


_REASONS = {
    "missing": "champ obligatoire manquant",
    "json_invalid": "le corps n'est pas du JSON valide",
    "json_type": "le corps n'est pas du JSON valide",
    "extra_forbidden": "champ inconnu",
    "uuid_parsing": "identifiant (UUID) invalide",
    "uuid_type": "identifiant (UUID) invalide",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_parsing_size": "nombre trop grand",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "finite_number": "nombre invalide (NaN ou infini)",
    "bool_parsing": "valeur vrai/faux attendue",
    "bool_type": "valeur vrai/faux attendue",
    "string_type": "texte attendu",
    "string_too_long": "texte trop long",
    "string_too_short": "texte trop court",
    "string_pattern_mismatch": "format incorrect",
    "string_unicode": "texte mal encodé",
    "enum": "valeur non reconnue",
    "literal_error": "valeur non reconnue",
    "greater_than": "valeur trop petite",
    "greater_than_equal": "valeur trop petite",
    "less_than": "valeur trop grande",
    "less_than_equal": "valeur trop grande",
    "too_short": "liste trop courte",
    "too_long": "liste trop longue",
    "list_type": "liste attendue",
    "dict_type": "objet JSON attendu",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "date_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ attendu)",
    "date_from_datetime_inexact": "date sans heure attendue",
    "date_type": "date attendue",
    "datetime_parsing": "date et heure invalides (ISO 8601 attendu)",
    "datetime_from_date_parsing": "date et heure invalides (ISO 8601 attendu)",
    "datetime_type": "date et heure attendues",
    "datetime_object_invalid": "date et heure invalides",
    "time_parsing": "heure invalide",
    "recursion_loop": "données trop imbriquées",
    "union_tag_invalid": "valeur non reconnue",
    "bytes_type": "fichier attendu",
    "url_parsing": "adresse invalide",
}


def field_reason(error: dict[str, Any]) -> InvalidParam:
    """A clean French reason: never pydantic's English (« Value error, … ») nor its codes."""
    loc = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
    kind = str(error.get("type", ""))
    reason = _REASONS.get(kind)
    if reason is None and kind in ("value_error", "assertion_error"):
        # Our validators raise ValueError with a French message; pydantic prefixes it.
        cause = (error.get("ctx") or {}).get("error")
        message = str(cause) if cause is not None else str(error.get("msg", ""))
        reason = message.removeprefix("Value error, ").removeprefix("Assertion failed, ") or None
    if reason is None:
        reason = "valeur invalide"
    return InvalidParam(name=loc or "corps", reason=reason)


def install(app: FastAPI) -> None:
    """Registers the handlers that turn every error into problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.detail, request=request, type_=exc.type, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return problem_response(
            exc.status_code,
            detail or _STATUS_DETAILS.get(exc.status_code, "La demande n'a pas pu aboutir."),
            request=request,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        invalid = [field_reason(dict(e)) for e in exc.errors()]
        return problem_response(
            422,
            "Les données envoyées sont incomplètes ou mal formées : "
            + "; ".join(f"{p.name} : {p.reason}" for p in invalid[:5]),
            request=request,
            invalid=invalid,
        )

    @app.exception_handler(ValidationError)
    async def _model(request: Request, exc: ValidationError) -> JSONResponse:
        # Arguments rebuilt by a router from path + body (e.g. a mutation's args model).
        invalid = [field_reason(dict(e)) for e in exc.errors()]
        return problem_response(
            422,
            "Les données envoyées sont invalides : "
            + "; ".join(f"{p.name} : {p.reason}" for p in invalid[:5]),
            request=request,
            invalid=invalid,
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(
            500,
            "Une erreur interne est survenue. Réessayez plus tard ou contactez l'assistance.",
            request=request,
        )


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the problem answers a route may give (for schemathesis)."""
    return {
        code: {
            "model": Problem,
            "description": _TITLES.get(code, "Erreur"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def document_common_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds to every operation the problems any route can give (undecodable body, too large a
    body, invalid data; 401 where a token is required), so clients and schemathesis know them."""
    common = problem_responses(400, 413, 422)
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            extra = dict(common)
            if operation.get("security"):
                extra.update(problem_responses(401))
            for code, spec in extra.items():
                if str(code) not in operation["responses"]:
                    operation["responses"][str(code)] = {
                        "description": spec["description"],
                        "content": spec["content"],
                    }
    return schema
