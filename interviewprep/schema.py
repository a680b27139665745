"""The OpenAPI schema's error responses: every operation documents the errors it can answer.

drf-spectacular documents only the success response. Clients (and schemathesis in CI) need the error shapes too:
DRF's errors are `{"detail": ..., "code"?: ...}` (ServiceRefused adds a stable code) and validation errors are an
object of field -> messages. Which codes apply is decided here once, not per view.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    code = serializers.CharField(required=False, help_text="A stable code for programs, when there is one.")


_ERROR = ErrorSerializer
_ALWAYS = {
    "400": OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: `detail` (and `code`), or each field's "
                                                            "messages under its name."),
    "401": OpenApiResponse(_ERROR, description="Not signed in, or the token is unknown or expired."),
    "403": OpenApiResponse(_ERROR, description="Signed in, but this role may not do this (or CSRF failed)."),
    "404": OpenApiResponse(_ERROR, description="No such object among yours (someone else's is a 404 too)."),
    "429": OpenApiResponse(_ERROR, description="Rate limited: retry after the `Retry-After` header's seconds."),
}
_WITH_BODY = {
    "409": OpenApiResponse(_ERROR, description="The object's state forbids this now."),
    "413": OpenApiResponse(_ERROR, description="The request body is larger than this address accepts."),
    "415": OpenApiResponse(_ERROR, description="Unsupported request content type."),
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        errors = {**_ALWAYS, **(_WITH_BODY if self.method in ("POST", "PUT", "PATCH", "DELETE") else {})}
        for code, response in errors.items():
            if code not in bodies:
                bodies[code] = self._get_response_for_code(response, code, direction=direction)
        return bodies
