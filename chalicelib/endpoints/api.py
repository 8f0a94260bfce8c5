"""The HTTP edge: declared routes, body and query validation, auth, problem responses.

Every route is declared through `Api.route` with its body model, query model,
response type, status and who may call it. The declaration registers the
Chalice route, feeds the OpenAPI document (chalicelib/openapi.py), and wraps the
handler so that it receives a validated `Call`. Handlers stay a few lines:
call one service function, return a pydantic model.

Chalice swallows view exceptions into its own 500, so errors are rendered here,
in `error_response`, the one place where domain and validation errors become
application/problem+json; `problem_middleware` does the same for the errors
Chalice produces itself (405, 415...).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chalicelib.auth import Identity, authenticate
from chalicelib.shared import jsontext
from chalicelib.shared.config import portal_origin
from chalicelib.shared.dynamo import TransactionFailed, error_code
from chalicelib.shared.errors import (
    PROBLEM_JSON,
    BadRequestError,
    ConflictError,
    FieldError,
    GuichetError,
    InternalError,
    InvalidFieldsError,
    PayloadTooLargeError,
    ServiceUnavailableError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    problem_body,
)
from chalicelib.shared.logs import get_logger
from chalicelib.shared.models import Model
from chalicelib.shared.pagination import DEFAULT_LIMIT, MAX_LIMIT

if TYPE_CHECKING:
    from chalice import CORSConfig
    from chalice.app import Request

Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH"]
MAX_JSON_BODY_BYTES = 64 * 1024
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PATH_PARAMETER = re.compile(r"{(\w+)}")


class RequestModel(Model):
    """Base of every request body and query: unknown fields are errors, text is trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(RequestModel):
    """The query parameters of every paginated listing."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


@dataclass(frozen=True)
class RouteSpec:
    """What a route takes and gives: the source of the OpenAPI document."""

    path: str
    method: Method
    operation_id: str
    summary: str
    tag: str
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None
    anonymous: bool = False
    roles: tuple[str, ...] = ()
    idempotent: bool = False
    # Statuses besides the success one that the route documents.
    errors: tuple[int, ...] = ()
    # Request headers the route reads (documented, optional), e.g. "X-Follow-Token".
    headers: tuple[str, ...] = ()

    # The edge module that declares the route (and serves it: chalicelib/endpoints/table.py).
    module: str = ""

    @property
    def path_parameters(self) -> list[str]:
        return PATH_PARAMETER.findall(self.path)


ROUTES: list[RouteSpec] = []
# What serves each declared route, by (module, handler name): a function of the request.
View = Callable[..., "Response"]
VIEWS: dict[tuple[str, str], View] = {}


@dataclass
class Call:
    """One validated request, as a handler sees it."""

    identity: Identity | None
    body: Any = None
    query: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    client_ip: str = "unknown"
    idempotency_key: str | None = None

    @property
    def user(self) -> Identity:
        """The authenticated caller (routes that are not anonymous always have one)."""
        if self.identity is None:
            raise UnauthorizedError("Connectez-vous pour utiliser ce service.")
        return self.identity


@dataclass(frozen=True)
class Reply:
    """A handler's answer when it needs another status or extra headers."""

    body: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Any]


class Api:
    """Declares the routes of one area (`tag` groups them in the OpenAPI document).

    A declaration records the route's spec and its view; the app registers every
    route from the route table and imports the declaring module on the route's
    first request (chalicelib/endpoints/table.py).
    """

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def route(
        self,
        path: str,
        method: Method = "GET",
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        anonymous: bool = False,
        roles: tuple[str, ...] = (),
        idempotent: bool = False,
        errors: tuple[int, ...] = (),
        headers: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            spec = RouteSpec(
                path=path,
                method=method,
                operation_id=handler.__name__,
                summary=summary,
                tag=self.tag,
                status=status,
                body=body,
                query=query,
                response=response,
                anonymous=anonymous,
                roles=roles,
                idempotent=idempotent,
                errors=errors,
                headers=headers,
                module=handler.__module__,
            )
            ROUTES.append(spec)

            @functools.wraps(handler)
            def view(request: Request, **path_parameters: str) -> Response:
                try:
                    call = build_call(request, spec)
                    return render(handler(call, **path_parameters), spec)
                except Exception as error:  # noqa: BLE001 - the one place errors become problems
                    return error_response(error, request)

            VIEWS[(spec.module, spec.operation_id)] = view
            return handler

        return decorator


# Request headers the portal sends across origins (besides the CORS-safelisted ones).
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Session-Token",
    "X-Upload-Token",
    "X-Follow-Token",
)


@functools.cache
def portal_cors() -> CORSConfig:
    """CORS for the portal's origin alone (PORTAL_ORIGIN, read when routes are declared).

    Chalice bakes the allowed origin into API Gateway's OPTIONS answers when it
    packages the app, and into every response at run time: both read it here.
    """
    from chalice import CORSConfig

    return CORSConfig(
        allow_origin=portal_origin(),
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=["Retry-After"],
        max_age=600,
    )


def build_call(request: Request, spec: RouteSpec) -> Call:
    """Authenticate and validate a request against its route's declaration."""
    headers = {key.lower(): value for key, value in (request.headers or {}).items()}
    identity = authenticate(headers.get("authorization"))
    if identity is None and not spec.anonymous:
        raise UnauthorizedError("Connectez-vous pour utiliser ce service.")
    if spec.roles and identity is not None:
        identity.require_role(*spec.roles)
    call = Call(identity=identity, headers=headers, client_ip=_client_ip(request))
    if spec.query is not None:
        call.query = validate(spec.query, dict(request.query_params or {}), location="query")
    if spec.body is not None:
        call.body = validate(spec.body, parse_json_body(request, headers), location="body")
    if spec.idempotent:
        call.idempotency_key = _idempotency_key(headers)
    return call


def parse_json_body(request: Request, headers: dict[str, str]) -> dict[str, Any]:
    """The request body as a JSON object, or a 400/413/415 problem."""
    if "content-type" not in headers:
        raise UnsupportedMediaTypeError("Indiquez Content-Type: application/json.")
    content_type = headers["content-type"].split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise BadRequestError("Le corps doit être envoyé en application/json.")
    raw = request.raw_body or b""
    if len(raw) > MAX_JSON_BODY_BYTES:
        raise PayloadTooLargeError(f"Le corps dépasse {MAX_JSON_BODY_BYTES} octets.")
    try:
        data = jsontext.parse(raw)
    except jsontext.TooDeepError as error:
        raise BadRequestError(
            f"Le corps de la requête imbrique plus de {jsontext.MAX_DEPTH} niveaux."
        ) from error
    except ValueError as error:
        raise BadRequestError("Le corps de la requête n'est pas un JSON valide.") from error
    if not isinstance(data, dict):
        raise BadRequestError("Le corps de la requête doit être un objet JSON.")
    return data


# French messages for the pydantic errors users meet most; others keep pydantic's text.
_MESSAGES: dict[str, str] = {
    "missing": "Champ obligatoire.",
    "extra_forbidden": "Champ inconnu.",
    "string_type": "Texte attendu.",
    "int_type": "Nombre entier attendu.",
    "int_parsing": "Nombre entier attendu.",
    "bool_type": "Booléen attendu.",
    "list_type": "Liste attendue.",
    "string_too_short": "Au moins {min_length} caractère(s).",
    "string_too_long": "Au plus {max_length} caractères.",
    "too_short": "Au moins {min_length} élément(s).",
    "too_long": "Au plus {max_length} éléments.",
    "greater_than_equal": "Doit être supérieur ou égal à {ge}.",
    "less_than_equal": "Doit être inférieur ou égal à {le}.",
    "literal_error": "Valeur attendue : {expected}.",
    "enum": "Valeur attendue : {expected}.",
    "string_pattern_mismatch": "Format invalide.",
    "datetime_parsing": "Date ISO 8601 attendue.",
    "datetime_from_date_parsing": "Date ISO 8601 attendue.",
    "timezone_aware": "Date ISO 8601 avec décalage horaire attendue.",
    "float_type": "Nombre attendu.",
    "float_parsing": "Nombre attendu.",
    "bool_parsing": "Booléen attendu.",
    "date_type": "Date ISO 8601 attendue.",
    "date_parsing": "Date ISO 8601 attendue.",
    "date_from_datetime_parsing": "Date ISO 8601 attendue.",
    "date_from_datetime_inexact": "Date sans heure attendue.",
    "datetime_type": "Date ISO 8601 attendue.",
    "dict_type": "Objet attendu.",
    "model_type": "Objet attendu.",
    "model_attributes_type": "Objet attendu.",
    "string_unicode": "Texte attendu.",
    "uuid_type": "Identifiant attendu.",
    "uuid_parsing": "Identifiant attendu.",
    "url_parsing": "Adresse web attendue.",
    "url_scheme": "Adresse web attendue.",
}
# Any other pydantic error but our own validators' (French) messages.
_FALLBACK = "Valeur invalide."
_QUOTED = re.compile(r"'([^']*)'")


def _expected(context: dict[str, Any]) -> dict[str, Any]:
    """pydantic's "'up' or 'down'" as French readers expect it: « up » ou « down »."""
    expected = context.get("expected")
    if not isinstance(expected, str):
        return context
    values = _QUOTED.findall(expected) or [expected]
    quoted = [f"« {value} »" for value in values]
    listed = ", ".join(quoted[:-1]) + " ou " + quoted[-1] if len(quoted) > 1 else quoted[0]
    return {**context, "expected": listed}


def field_errors(error: ValidationError) -> list[FieldError]:
    """Pydantic's errors as (field, French message) pairs; the field is the dotted path."""
    result = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        template = _MESSAGES.get(item["type"])
        context = _expected(item.get("ctx") or {})
        if template is not None:
            message = template.format(**context)
        elif item["type"] == "value_error":
            message = str(item["msg"]).removeprefix("Value error, ")
        else:
            message = _FALLBACK
        result.append(FieldError(location, message))
    return result


def validate(model: type[BaseModel], data: dict[str, Any], *, location: str) -> BaseModel:
    """`data` validated into `model`, or a 422 problem naming each wrong field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = field_errors(error)
        names = ", ".join(error.field for error in errors)
        raise InvalidFieldsError(
            f"Paramètres invalides ({location}) : {names}.", errors=errors
        ) from error


def _idempotency_key(headers: dict[str, str]) -> str | None:
    key = headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise InvalidFieldsError.single(
            "Idempotency-Key", "1 à 128 caractères parmi lettres, chiffres et . _ : -"
        )
    return key


def _client_ip(request: Request) -> str:
    context = request.context or {}
    return str(context.get("identity", {}).get("sourceIp") or "unknown")


@functools.cache
def _adapter(response_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(response_type)


def to_json_ready(value: Any, response_type: Any = None) -> Any:
    """A handler's result as plain JSON data."""
    if response_type is not None:
        return _adapter(response_type).dump_python(value, mode="json")
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_json_ready(item) for item in value]
    return value


def render(result: Any, spec: RouteSpec) -> Response:
    """A handler's result as a JSON response."""
    if isinstance(result, Response):
        return result
    status, headers = spec.status, dict[str, Any]()
    if isinstance(result, Reply):
        status = result.status or spec.status
        headers = dict(result.headers)
        result = result.body
    headers["Content-Type"] = "application/json"
    body = json.dumps(to_json_ready(result, spec.response), ensure_ascii=False)
    return Response(body=body, status_code=status, headers=headers)


def problem_response(error: GuichetError) -> Response:
    headers: dict[str, Any] = {"Content-Type": PROBLEM_JSON, **error.headers}
    return Response(body=problem_body(error), status_code=error.status, headers=headers)


def error_response(error: Exception, request: Request | None) -> Response:
    """Any exception raised while handling a request, as problem+json.

    Domain and validation errors keep their status; anything else is a 500 that
    shows only a correlation id, the stack trace going to the JSON log.
    """
    if isinstance(error, GuichetError):
        return problem_response(error)
    transient = transient_problem(error)
    if transient is not None:
        get_logger().warning(
            "transient failure", extra={"error": type(error).__name__, "code": error_code(error)}
        )
        return problem_response(transient)
    context = (request.context if request is not None else None) or {}
    correlation_id = str(context.get("requestId") or uuid.uuid4())
    get_logger().exception(
        "unhandled error",
        extra={
            "correlation_id": correlation_id,
            "path": getattr(request, "path", None),
            "method": getattr(request, "method", None),
        },
    )
    return problem_response(InternalError(correlation_id))


# botocore's exceptions, by name: importing botocore here would cost every cold start.
UNREACHABLE = frozenset(
    {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"}
)
BUSY_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)


def transient_problem(error: Exception) -> GuichetError | None:
    """The 409 or 503 (with Retry-After) of a failure that the same request may not meet
    again: a race lost on real DynamoDB, a service busy or unreachable. None otherwise."""
    if isinstance(error, TransactionFailed) and error.conflict:
        return ConflictError(
            "Une autre requête modifiait la même donnée : réessayez.", headers={"Retry-After": "1"}
        )
    code = error_code(error)
    if code in ("TransactionConflictException", "TransactionInProgressException"):
        return ConflictError(
            "Une autre requête modifiait la même donnée : réessayez.", headers={"Retry-After": "1"}
        )
    if code in BUSY_CODES or UNREACHABLE.intersection(c.__name__ for c in type(error).__mro__):
        return ServiceUnavailableError(2)
    return None


def problem_middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Turn the errors Chalice answers by itself (405, 415, its 500) into problem+json."""
    response = get_response(event)
    content_type = str({k.lower(): v for k, v in response.headers.items()}.get("content-type", ""))
    if response.status_code < 400 or content_type.startswith(PROBLEM_JSON):
        return response
    error = GuichetError(_chalice_message(response.body))
    error.status = response.status_code
    error.title = "Erreur"
    error.type_slug = f"http-{response.status_code}"
    problem = problem_response(error)
    for name, value in response.headers.items():
        if name.lower() != "content-type":
            problem.headers[name] = value
    return problem


def _chalice_message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("Message") or body.get("message") or "")
    return ""
