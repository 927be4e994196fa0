"""Running the site: health checks, Prometheus metrics, request ids and JSON logs."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from contest.ops import routes  # noqa: E402,F401
