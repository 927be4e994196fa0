"""Public pages: contests by phase, the contest page (galleries follow)."""
from flask import Blueprint

bp = Blueprint("gallery", __name__)

from contest.gallery import films, listing, routes, votes  # noqa: E402,F401
