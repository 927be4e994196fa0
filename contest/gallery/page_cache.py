"""Pages that anonymous visitors share, kept for a few seconds (Flask-Caching)."""
from flask import current_app, session
from flask_login import current_user

from contest.extensions import cache


def shareable():
    """True when this request's page is the same for every anonymous visitor."""
    return not current_user.is_authenticated and not session.get("_flashes")


def cached_page(key, setting, render):
    """The rendered page from the cache, or rendered now and kept `setting` seconds."""
    timeout = current_app.config[setting]
    if not timeout:
        return render()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=timeout)
    return html
