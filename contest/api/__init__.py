"""JSON API v1: bearer tokens, JSON errors, no CSRF (no cookies are read)."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from contest.api import contests  # noqa: E402,F401
