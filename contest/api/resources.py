"""The JSON shapes the API returns; one function per resource."""
from flask import url_for

from contest import clock

CONTEST_TIMES = (
    "submissions_open_at",
    "submissions_close_at",
    "voting_open_at",
    "voting_close_at",
    "results_at",
)
CONTEST_SETTINGS = (
    "slug", "title", "tagline", "rules", "prizes", "device_policy", "max_duration_s",
    "max_size_mb", "min_height", "max_entries_per_filmmaker", "votes_per_account",
    "voting_requires_verified_email", "hide_votes_until_close", "blind_judging",
    "blind_show_descriptions",
)


def iso(value):
    """Naive UTC datetime -> ISO 8601 with a trailing Z (clients need the zone)."""
    return None if value is None else value.isoformat() + "Z"


def user_resource(user):
    return {
        "id": user.public_id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": user.roles,
        "email_verified": user.email_verified_at is not None,
    }


def phone_resource(phone):
    return {"make": phone.make, "model": phone.model, "aliases": list(phone.aliases or [])}


def contest_resource(contest, now=None):
    now = now or clock.now()
    body = {name: getattr(contest, name) for name in CONTEST_SETTINGS}
    body.update({name: iso(getattr(contest, name)) for name in CONTEST_TIMES})
    body.update(
        phase=contest.phase(now),
        accepting_entries=contest.accepting_entries(now),
        voting_open=contest.voting_open(now),
        accepted_phones=[phone_resource(phone) for phone in contest.phones],
        url=url_for("gallery.contest", slug=contest.slug, _external=True),
    )
    return body
