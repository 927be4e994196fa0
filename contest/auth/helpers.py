"""Where to send someone after signing in: only back to a page of this site."""
from urllib.parse import urlsplit

from flask import request, url_for


def safe_next(target):
    """target when it is a relative path on this site, else None.

    Rejects absolute and scheme-relative URLs (//evil), backslashes (browsers
    read /\\evil as //evil) and control characters (browsers drop tabs and
    newlines, so /\\t/evil becomes //evil).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def next_url(default="gallery.index"):
    """The checked ?next= of this request, or the default page."""
    return safe_next(request.args.get("next")) or url_for(default)
