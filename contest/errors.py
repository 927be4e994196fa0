"""Error pages: HTML for people, {"error": {...}} JSON under /api/."""
from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "server_error",
}


class DomainError(Exception):
    """A rule said no; the message is written for the person who asked."""

    status = 422
    code = "unprocessable"

    def __init__(self, message, *, status=None, code=None, field=None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.code = code or CODES.get(self.status, self.code)
        self.field = field


def wants_json():
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def json_error(status, message, code=None):
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message}}
    response = jsonify(body)
    response.status_code = status
    return response


def init_app(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        # Keep headers such as Allow (405) and Retry-After (429); the body is ours.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            response = json_error(error.code, error.description or error.name)
            response.headers.extend(headers)
            return response
        return render_template("errors/error.html", error=error), error.code, headers

    @app.errorhandler(DomainError)
    def domain_error(error):
        if wants_json():
            return json_error(error.status, error.message, error.code)
        return render_template("errors/error.html", error=error), error.status

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("unhandled error on %s", request.path)
        if wants_json():
            return json_error(500, "Something went wrong on our side.")
        return render_template("errors/error.html", error=None), 500
