"""Creating and changing contests, with the rules their settings must obey."""
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import AcceptedPhone, Contest
from contest.models.contests import DEVICE_POLICIES

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
TEXTS = {"title": 120, "tagline": 200, "rules": 20000, "prizes": 5000}
# Integer settings and their smallest allowed value.
NUMBERS = {
    "max_duration_s": 1,
    "max_size_mb": 1,
    "min_height": 0,
    "max_entries_per_filmmaker": 1,
}
FLAGS = ("voting_requires_verified_email", "hide_votes_until_close", "blind_judging",
         "blind_show_descriptions")
TIMES = (
    "submissions_open_at",
    "submissions_close_at",
    "voting_open_at",
    "voting_close_at",
    "results_at",
)
FIELDS = (*TEXTS, "device_policy", *NUMBERS, "votes_per_account", *FLAGS, *TIMES,
          "accepted_phones")


def get_contest(slug):
    """The contest with this slug, or DomainError 404."""
    contest = db.session.scalar(db.select(Contest).filter_by(slug=slug))
    if contest is None:
        raise DomainError("No contest has that address.", status=404)
    return contest


def create_contest(slug, data, actor=None):
    """Create a contest from plain values; missing times get a sensible default schedule."""
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise DomainError(
            "A slug is 2-63 lower-case letters, digits and dashes.", status=400, field="slug"
        )
    if db.session.scalar(db.select(Contest.id).filter_by(slug=slug)) is not None:
        raise DomainError("A contest with that slug already exists.", status=409, field="slug")
    values = {**default_schedule(), **_clean(data)}
    if not values.get("title"):
        raise DomainError("A contest needs a title.", status=400, field="title")
    phones = values.pop("accepted_phones", [])
    if not phones:
        raise DomainError(
            "Name at least one accepted phone, e.g. 'Nokia N8-00'.",
            status=400, field="accepted_phones",
        )
    contest = Contest(slug=slug, created_by_id=actor.id if actor else None, **values)
    contest.phones = [AcceptedPhone(**phone) for phone in phones]
    _check_schedule(contest)
    db.session.add(contest)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("A contest with that slug already exists.", status=409,
                          field="slug") from None
    return contest


def update_contest(contest, data, actor=None):
    """Change the given settings only; the schedule must stay in order."""
    values = _clean(data)
    phones = values.pop("accepted_phones", None)
    if "title" in values and not values["title"]:
        raise DomainError("A contest needs a title.", status=400, field="title")
    if phones is not None and not phones:
        raise DomainError("Keep at least one accepted phone.", status=400,
                          field="accepted_phones")
    for name, value in values.items():
        setattr(contest, name, value)
    if phones is not None:
        contest.phones = [AcceptedPhone(**phone) for phone in phones]
    try:
        _check_schedule(contest)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return contest


def default_schedule(start=None):
    """Entries for four weeks, voting for two, results a week after."""
    start = (start or clock.now()).replace(second=0, microsecond=0)
    return {
        "submissions_open_at": start,
        "submissions_close_at": start + timedelta(days=28),
        "voting_open_at": start + timedelta(days=28),
        "voting_close_at": start + timedelta(days=42),
        "results_at": start + timedelta(days=49),
    }


def parse_phone(value):
    """'Nokia N8-00' or {"make", "model", "aliases"} -> dict for AcceptedPhone."""
    if isinstance(value, str):
        make, _, model = value.strip().partition(" ")
        value = {"make": make, "model": model}
    if not isinstance(value, dict):
        raise DomainError("A phone is 'Make Model' or {make, model}.", status=400,
                          field="accepted_phones")
    make = str(value.get("make") or "").strip()
    model = str(value.get("model") or "").strip()
    if not make or not model:
        raise DomainError(
            f"A phone needs a make and a model, e.g. 'Nokia N8-00' (got {value!r}).",
            status=400, field="accepted_phones",
        )
    aliases = value.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise DomainError("Phone aliases are a list of names.", status=400,
                          field="accepted_phones")
    return {"make": make[:60], "model": model[:80], "aliases": [a.strip() for a in aliases]}


def parse_time(value, field):
    """ISO 8601 (with Z or an offset; naive means UTC) -> naive UTC datetime."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise DomainError(
                f"{field} is not an ISO 8601 time, e.g. 2027-03-01T18:00:00Z.",
                status=400, field=field,
            ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _clean(data):
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise DomainError(f"Unknown field: {', '.join(sorted(unknown))}", status=400,
                          field=sorted(unknown)[0])
    values = {}
    for name, value in data.items():
        values[name] = _clean_one(name, value)
    return values


def _clean_one(name, value):
    if name in TEXTS:
        if not isinstance(value, str) or len(value) > TEXTS[name]:
            raise DomainError(f"{name} is text of at most {TEXTS[name]} characters.",
                              status=400, field=name)
        return value.strip()
    if name == "device_policy":
        if value not in DEVICE_POLICIES:
            raise DomainError("device_policy is 'reject' or 'flag'.", status=400, field=name)
        return value
    if name in NUMBERS or name == "votes_per_account":
        if value is None and name == "votes_per_account":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < NUMBERS.get(name, 1):
            raise DomainError(f"{name} is a whole number of at least {NUMBERS.get(name, 1)}.",
                              status=400, field=name)
        return value
    if name in FLAGS:
        if not isinstance(value, bool):
            raise DomainError(f"{name} is true or false.", status=400, field=name)
        return value
    if name in TIMES:
        return parse_time(value, name)
    if not isinstance(value, list):
        raise DomainError("accepted_phones is a list.", status=400, field=name)
    return [parse_phone(phone) for phone in value]


def _check_schedule(contest):
    c = contest
    rules = [
        (c.submissions_open_at < c.submissions_close_at, "Entries must open before they close."),
        (c.voting_open_at < c.voting_close_at, "Voting must open before it closes."),
        (c.submissions_open_at <= c.voting_open_at, "Voting cannot open before entries open."),
        (c.submissions_close_at <= c.voting_close_at,
         "Voting cannot close before entries close."),
        (c.voting_close_at <= c.results_at, "Results come after voting closes."),
    ]
    for ok, message in rules:
        if not ok:
            raise DomainError(message, status=422, field="schedule")
