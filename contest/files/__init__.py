"""Local media: public objects at /media/<key>, anything through a signed link.

Only used when STORAGE=local; with S3 the bucket (or its CDN) serves the media.
"""
from flask import Blueprint

bp = Blueprint("files", __name__)

from contest.files import routes  # noqa: E402,F401
