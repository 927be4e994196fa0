"""The judges' pages: their contests, queue and score form; panel and rubric pages."""
from flask import Blueprint

bp = Blueprint("judging", __name__, url_prefix="/judging")

from contest.judging import routes  # noqa: E402,F401
