"""Reading JSON request bodies: the API's equivalent of a form's type checks."""
from flask import current_app, request
from werkzeug.exceptions import BadRequest

# JSON bodies are small; a bigger one is refused (413) before it is read.
DEFAULT_MAX_JSON_BYTES = 1024 * 1024


def json_object():
    """The body as a dict; 415 when it is not JSON, 400 when malformed, 413 when too big."""
    request.max_content_length = current_app.config.get(
        "API_MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES
    )
    body = request.get_json()  # raises 415 / 400 / 413 as a Werkzeug HTTPException
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def text_field(body, name, required=True):
    """body[name] as a string; None when absent and optional; 400 on a wrong type."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        need = "is required and must be" if required else "must be"
        raise BadRequest(f"{name} {need} a string.")
    return value
