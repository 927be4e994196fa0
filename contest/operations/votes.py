"""Casting and taking back votes: the rules, the counters on the film, the audit trail.

Every change runs in one transaction that first touches the voter's row
(users.last_voted_at): that write lock takes one account's votes one at a time on
SQLite and PostgreSQL alike, so "N votes per account" cannot be overrun by racing
requests. The film's counters move by atomic SQL (vote_count = vote_count + 1) in the
same transaction as the vote row, so the count always equals the rows.
"""
import hashlib
import hmac
import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, User, Vote
from contest.ops.metrics import VOTES

# Trending: a vote's weight doubles every half-life after voting opens. Dividing every
# weight by 2 ** (now / half-life) gives the decayed "recent votes" score at any moment,
# and that common factor does not change the order: ordering by trend_score is the same.
HALF_LIFE_S = 24 * 3600
# 2 ** 900 still fits a float; a window longer than 900 half-lives stops growing.
MAX_DOUBLINGS = 900

AUDIT_COLUMNS = ("time", "film_id", "account_id", "ip_hash", "ua_family")

# First match wins: automated clients before the browsers whose names they borrow,
# Edge before Chrome and Chrome before Safari (their user agents name those too).
UA_FAMILIES = (
    ("bot", re.compile(r"bot\b|crawl|spider|slurp|headless|python|wget|go-http-client|"
                       r"scrapy|java/|httpclient|libwww|phantomjs", re.I)),
    ("curl", re.compile(r"^curl/", re.I)),
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/|AppleWebKit/.*Mobile/")),
)


@dataclass(frozen=True)
class VoteResult:
    """What a vote or a withdrawal left behind."""

    votes: int  # the film's vote count afterwards
    voted: bool  # the account now has a vote on the film
    changed: bool  # False when it was already so (voted twice, nothing to take back)
    votes_left: int | None = None  # unused votes, in contests with N votes per account


def cast_vote(film, user, *, ip=None, user_agent=None):
    """Vote for film as user; voting twice changes nothing. Returns a VoteResult."""
    contest = film.contest
    check_can_vote(film, user)
    now = clock.now()
    _lock_account(user, now)
    left = votes_left(contest, user)
    if left is not None and left <= 0 and not _has_vote(film, user):
        db.session.rollback()
        raise DomainError(
            f"You have used all {contest.votes_per_account} of your votes in this contest. "
            "Take one back to vote for this film.", status=409, code="votes_used_up")
    vote = Vote(user_id=user.id, film_id=film.id, contest_id=contest.id, created_at=now,
                weight=trend_weight(contest, now), ip_hash=hash_address(ip),
                ua_family=ua_family(user_agent))
    db.session.add(vote)
    try:
        db.session.flush()
    except IntegrityError:
        # The unique (user, film) constraint is the rule: this account already voted.
        db.session.rollback()
        return VoteResult(_count(film), True, False, votes_left(contest, user))
    votes = _move_counters(film, +1, vote.weight)
    db.session.commit()
    VOTES.labels("cast").inc()
    return VoteResult(votes, True, True, None if left is None else left - 1)


def withdraw_vote(film, user):
    """Take back user's vote for film while voting is open. Returns a VoteResult."""
    contest = film.contest
    if not is_published(film):
        raise DomainError("No published film has that address.", status=404)
    _check_window(contest)
    _lock_account(user, clock.now())
    weight = db.session.execute(
        delete(Vote).where(Vote.user_id == user.id, Vote.film_id == film.id)
        .returning(Vote.weight),
        execution_options={"synchronize_session": False},
    ).scalar()
    if weight is None:
        db.session.rollback()
        return VoteResult(_count(film), False, False, votes_left(contest, user))
    votes = _move_counters(film, -1, weight)
    left = votes_left(contest, user)
    db.session.commit()
    VOTES.labels("withdrawn").inc()
    return VoteResult(votes, False, True, left)


def check_can_vote(film, user):
    """Raise DomainError unless user may vote for film now (the account's quota aside)."""
    if not is_published(film):
        raise DomainError("No published film has that address.", status=404)
    _check_window(film.contest)
    if not user.is_active:
        raise DomainError("This account is suspended and cannot vote.", status=403,
                          code="suspended")
    if film.owner_id == user.id:
        raise DomainError("You cannot vote for your own film.", status=403, code="own_film")
    if film.contest.voting_requires_verified_email and user.email_verified_at is None:
        raise DomainError("Confirm your email address to vote in this contest: open the link "
                          "we emailed you.", status=403, code="email_not_verified")


def is_published(film):
    return film.is_public


def voting_state(contest, at=None):
    """'upcoming', 'open' or 'closed': where the voting window stands."""
    at = at or clock.now()
    if at < contest.voting_open_at:
        return "upcoming"
    return "open" if contest.voting_open(at) else "closed"


def votes_visible(contest, at=None):
    """Counts are public, unless the contest hides them until voting closes."""
    return not contest.hide_votes_until_close or voting_state(contest, at) == "closed"


def vote_summary(contest, result):
    """The JSON answer of a vote or withdrawal; the count is null while it is hidden."""
    body = {"votes": result.votes if votes_visible(contest) else None, "voted": result.voted}
    if contest.votes_per_account:
        body["votes_left"] = result.votes_left
    return body


def votes_left(contest, user):
    """Unused votes of user in contest, or None when it is one vote per film."""
    if not contest.votes_per_account:
        return None
    used = db.session.scalar(select(func.count(Vote.id)).where(
        Vote.contest_id == contest.id, Vote.user_id == user.id))
    return max(0, contest.votes_per_account - used)


def has_voted(film, user):
    """Whether user (possibly anonymous) has a vote on film."""
    return bool(getattr(user, "is_authenticated", False)) and _has_vote(film, user)


def voted_film_ids(user, film_ids):
    """The ids among film_ids that user voted for, in one query (for gallery pages)."""
    if not getattr(user, "is_authenticated", False) or not film_ids:
        return set()
    return set(db.session.scalars(select(Vote.film_id).where(
        Vote.user_id == user.id, Vote.film_id.in_(list(film_ids)))))


def trend_weight(contest, at):
    doublings = (at - contest.voting_open_at).total_seconds() / HALF_LIFE_S
    return 2.0 ** max(0.0, min(doublings, MAX_DOUBLINGS))


def hash_address(address):
    """HMAC-SHA256 of the address under SECRET_KEY: comparable, never reversible to it."""
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def ua_family(user_agent):
    """A coarse family for the audit trail: Chrome, Firefox, Safari, Edge, curl, bot, other."""
    for family, pattern in UA_FAMILIES:
        if user_agent and pattern.search(user_agent):
            return family
    return "other"


def audit_rows(contest):
    """Every vote of the contest, oldest first, as tuples in AUDIT_COLUMNS order."""
    query = (
        select(Vote.created_at, Film.public_id, User.public_id, Vote.ip_hash, Vote.ua_family)
        .join(Film, Film.id == Vote.film_id)
        .join(User, User.id == Vote.user_id)
        .where(Vote.contest_id == contest.id)
        .order_by(Vote.created_at, Vote.id)
        .execution_options(yield_per=500)
    )
    for at, film_id, account_id, ip_hash, family in db.session.execute(query):
        yield (at.isoformat(timespec="seconds") + "Z", film_id, account_id, ip_hash or "",
               family or "")


def _check_window(contest):
    state = voting_state(contest)
    if state != "open":
        message = ("Voting has not opened yet." if state == "upcoming"
                   else "Voting in this contest has closed.")
        raise DomainError(message, status=403, code="voting_closed")


def _lock_account(user, now):
    """Start the transaction with a write to the voter's row: one vote at a time per account."""
    db.session.execute(update(User).where(User.id == user.id).values(last_voted_at=now),
                       execution_options={"synchronize_session": False})


def _has_vote(film, user):
    return db.session.scalar(select(Vote.id).where(
        Vote.user_id == user.id, Vote.film_id == film.id)) is not None


def _move_counters(film, step, weight):
    """Add step votes and step * weight to the film's counters; return the new count."""
    emptied = Film.vote_count + step <= 0
    return db.session.execute(
        update(Film).where(Film.id == film.id)
        .values(vote_count=Film.vote_count + step,
                # Back to exactly 0 with the last vote, so float rounding never piles up.
                trend_score=case((emptied, 0.0), else_=Film.trend_score + step * weight))
        .returning(Film.vote_count),
        execution_options={"synchronize_session": False},
    ).scalar_one()


def _count(film):
    return db.session.scalar(select(Film.vote_count).where(Film.id == film.id))
