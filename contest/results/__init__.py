"""Organizers' standings, shortlist, awards and audit log; the public results page."""
from flask import Blueprint

bp = Blueprint("results", __name__)

from contest.results import routes  # noqa: E402,F401
