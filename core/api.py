"""What every API view shares (this module is named in REST_FRAMEWORK
settings, so it must not import rest_framework.views at import time): pagination, query-string filters, the bounded
JSON parser, the error handler (a clear 4xx with field messages, never a 500
for bad input), versioned updates and the error responses in the schema.

The rules themselves live in the services; this module only turns their
exceptions into HTTP answers."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .concurrency import VersionConflict


def _whole_number_param(request, name: str, *, maximum: int | None = None) -> int | None:
    """The query parameter `name` as one whole number from 1 (to `maximum`), or
    None when absent; anything else is a 400 with the parameter's message."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    raw = values[0]
    if len(values) > 1 or not (raw.isascii() and raw.isdigit()) or int(raw) < 1 or (maximum and int(raw) > maximum):
        limit = f" to {maximum}" if maximum else ""
        raise exceptions.ValidationError({name: [f"One whole number from 1{limit}."]})
    return int(raw)


class Pagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """A page size that is not a whole number from 1 to 100 is a 400, not
        silently replaced by the default."""
        size = _whole_number_param(request, self.page_size_query_param, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def get_page_number(self, request, paginator):
        """The page is one whole number from 1: an empty, repeated or other value
        is a 400 (DRF would read an empty one as page 1 and a repeated one as its
        last value)."""
        number = _whole_number_param(request, self.page_query_param)
        return 1 if number is None else number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class BoundedJSONParser(JSONParser):
    """JSON, refused with 413 past settings.API_MAX_BODY_BYTES before it is
    parsed (the declared length first, then what is actually read)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        too_large = RequestTooLarge(f"The request body is larger than {limit // 1024} KB.")
        try:
            if declared and int(declared) > limit:
                raise too_large
        except ValueError:
            pass
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise too_large
        return super().parse(io.BytesIO(body), media_type, parser_context)


def _django_validation_detail(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """Service exceptions as HTTP answers: ValidationError 400 with field
    messages, VersionConflict 409, a database refusal 400; DRF's own otherwise."""
    if isinstance(exc, DjangoValidationError):
        return Response(_django_validation_detail(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, VersionConflict):
        return Response({"detail": exc.message, "current_version": exc.current}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, IntegrityError | DataError):
        return Response(
            {"non_field_errors": ["The values break a rule of the record; nothing was saved."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        # Django refuses a body past DATA_UPLOAD_MAX_MEMORY_SIZE while DRF reads it.
        exc = RequestTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


# Query-string filters ------------------------------------------------------


class QueryFilterBackend(BaseFilterBackend):
    """Filters a list with the view's `filter_serializer_class` (each field an
    optional query parameter, validated: a bad value is a 400, not ignored) and
    `filter_lookups` (field name -> ORM lookup)."""

    def filter_queryset(self, request, queryset, view):
        serializer_class = getattr(view, "filter_serializer_class", None)
        if serializer_class is None or getattr(view, "action", None) != "list":
            return queryset
        params = serializer_class(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        lookups = getattr(view, "filter_lookups", {})
        for name, value in params.validated_data.items():
            if value in (None, ""):
                continue
            queryset = queryset.filter(**{lookups.get(name, name): value})
        return queryset

    def get_schema_operation_parameters(self, view):
        serializer_class = getattr(view, "filter_serializer_class", None)
        if serializer_class is None:
            return []
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": str(field.help_text or field.label or name.replace("_", " ")),
                "schema": _field_schema(field),
            }
            for name, field in serializer_class().fields.items()
        ]


def _field_schema(field) -> dict:
    if isinstance(field, serializers.ChoiceField):
        return {"type": "string", "enum": [str(k) for k in field.choices]}
    if isinstance(field, serializers.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    if isinstance(field, serializers.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, serializers.UUIDField):
        return {"type": "string", "format": "uuid"}
    return {"type": "string"}


class UniqueOrderingFilter(OrderingFilter):
    """The project's one ordering filter (settings DEFAULT_FILTER_BACKENDS):
    whatever ordering the client asks for (`?ordering=-status`) or the view
    gives, the primary key ends it, so rows that tie keep one order from page
    to page and none is skipped or shown twice (issue 14 item 8)."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("pk")
        return ordering


# Versioned updates ---------------------------------------------------------


def expected_version(request) -> int:
    """The version the client read: the If-Match header (the ETag we sent,
    `"3"` or `W/"3"`) or a `version` field in the body. Neither is a 400."""
    header = request.headers.get("If-Match", "").strip()
    if header:
        value = header.removeprefix("W/").strip('"')
        if value.isdigit():
            return int(value)
        raise exceptions.ValidationError({"version": ['If-Match must be the ETag you read, such as "3".']})
    data = request.data if isinstance(request.data, dict) else {}
    value = data.get("version")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise exceptions.ValidationError(
        {
            "version": [
                "Send the version you read, as the field version or an If-Match header; stale writes are refused."
            ]
        }
    )


def etag(version: int) -> str:
    return f'"{version}"'


# Schema: the error answers every operation may give -----------------------

ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name -> list of messages, or `detail` with one message.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Bad input: field-level messages; nothing was written.",
    "401": "Not authenticated.",
    "403": "Authenticated, but this role may not do this.",
    "404": "Not found, or outside your relationship to the record.",
    "405": "Method not allowed on this resource.",
    "409": "Conflict: the record changed since you read it (stale version); nothing was written.",
    "413": "The request body is too large.",
    "415": "Unsupported media type: send application/json.",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: documents the error answers on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
