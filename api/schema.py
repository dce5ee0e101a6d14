from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal token from your profile page"}


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "Field name (or non_field_errors) to its messages; nested by index or key for lists and objects",
    "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}]},
}
ERRORS = {
    "400": ("Invalid input", {"anyOf": [ERROR, FIELD_ERRORS]}),
    "401": ("Not signed in, or a bad token", ERROR),
    "403": ("Not allowed for this user", ERROR),
    "404": ("No such object (or not yours)", ERROR),
    "405": ("Method not allowed", ERROR),
    "429": ("Too many requests: see Retry-After", ERROR),
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation documents the errors any of them can answer."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": schema}}}
                )
    return result
