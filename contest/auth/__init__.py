"""Sign up, sign in, sign out, password reset and email verification."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from contest.auth import routes  # noqa: E402,F401
