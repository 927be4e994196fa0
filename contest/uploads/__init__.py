"""The browser's side of resumable uploads: JSON endpoints behind the session cookie.

The API offers the same protocol with bearer tokens (contest/api/uploads.py).
"""
from flask import Blueprint

from contest.extensions import csrf

bp = Blueprint("uploads", __name__, url_prefix="/uploads")
# Checked in routes.py from the X-CSRFToken header only: the automatic check would
# read a part's body as a form.
csrf.exempt(bp)

from contest.uploads import routes  # noqa: E402,F401
