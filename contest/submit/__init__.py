"""Filmmakers: entering a film and following its processing."""
from flask import Blueprint

bp = Blueprint("submit", __name__)

from contest.submit import routes  # noqa: E402,F401
