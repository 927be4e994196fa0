"""The conversation around the films: comments, reports, notifications and profiles.

Its CLI group is `flask --app contest notify ...` (see cli.py).
"""
from flask import Blueprint

bp = Blueprint("community", __name__, cli_group="notify")

from contest.community import cli, comments, notifications, profiles  # noqa: E402,F401
