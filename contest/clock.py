"""The one clock the domain reads; tests set it to drive contest phases."""
from datetime import UTC, datetime

_frozen = None


def now():
    """Current UTC time as a naive datetime (the database stores naive UTC)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


def set_now(value):
    """Freeze the clock at value (naive UTC or aware); None unfreezes it."""
    global _frozen
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    _frozen = value
