"""Helpers shared by the models."""
import secrets

from contest import clock


def public_id():
    """A random, URL-safe id for public URLs (never sequential)."""
    return secrets.token_urlsafe(9)


def utcnow():
    return clock.now()
