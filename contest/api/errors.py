"""Blueprint error handlers: always {"error": {...}} JSON, keeping the headers HTTP asks for.

contest/errors.py answers JSON for every /api/ path, including routing errors (404, 405)
that never reach a blueprint. For errors raised inside the API's own routes these add
what it leaves out: Retry-After on 429, WWW-Authenticate, and the DomainError's field.
"""
import math
import time

from flask import jsonify
from werkzeug.exceptions import HTTPException

from contest.errors import DomainError, json_error
from contest.extensions import limiter

# Headers of a Werkzeug HTTPException worth passing on; its Content-Type is for HTML.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def init_blueprint(bp):
    @bp.errorhandler(HTTPException)
    def http_error(error):
        response = json_error(error.code, error.description or error.name)
        for name, value in error.get_headers():
            if name in KEPT_HEADERS:
                response.headers[name] = value
        if error.code == 429:
            _add_retry_after(response)
        return response

    @bp.errorhandler(DomainError)
    def domain_error(error):
        body = {"code": error.code, "message": error.message}
        if error.field:
            body["field"] = error.field
        return jsonify({"error": body}), error.status


def _add_retry_after(response):
    limit = limiter.current_limit
    if limit is not None and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(max(1, math.ceil(limit.reset_at - time.time())))
