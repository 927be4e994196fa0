"""Vote review for organizers: the signals that point at fraud, and discarding votes.

Signals, computed from the vote rows (nothing new is stored):
- burst: BURST_VOTES or more votes from one hashed address within BURST_WINDOW.
  Votes keep only a keyed hash of the full address, so bursts from a network (many
  addresses of one /24) cannot be seen; address bursts stand in for them.
- shared address: SHARED_ACCOUNTS or more accounts voted from one address.
- new voter only: the account was less than NEW_ACCOUNT old at its first vote in the
  contest, and has entered no film and written no comment.

Discarding deletes the chosen accounts' votes in the contest and recounts every film
they touched from the remaining rows, in one transaction with the audit entries.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Comment, Film, User, Vote
from contest.operations import audit
from contest.operations.admin import REASON_MAX, require_organizer

BURST_VOTES = 5
BURST_WINDOW = timedelta(minutes=10)
SHARED_ACCOUNTS = 3
NEW_ACCOUNT = timedelta(days=1)
SIGNALS = ("burst", "shared_address", "new_voter_only")
CSV_COLUMNS = ("time", "film_id", "account_id", "ip_hash", "ua_family", *SIGNALS)


@dataclass
class VoteRow:
    id: int
    at: object
    film_id: str
    film_title: str
    user_id: int
    ip_hash: str | None
    ua_family: str | None
    burst: bool = False
    shared_address: bool = False
    new_voter_only: bool = False

    @property
    def signals(self):
        return [name for name, on in (("burst", self.burst), ("shared address",
                                      self.shared_address),
                                      ("new account", self.new_voter_only)) if on]


@dataclass
class AccountReview:
    user: User
    votes: int = 0
    first_vote: object = None
    addresses: set = field(default_factory=set)
    burst_votes: int = 0
    shared_address: bool = False
    new_voter_only: bool = False

    @property
    def signals(self):
        return [name for name, on in (("burst", self.burst_votes), ("shared address",
                                      self.shared_address),
                                      ("new account, only votes", self.new_voter_only)) if on]


@dataclass
class AddressReview:
    ip_hash: str
    accounts: set = field(default_factory=set)
    votes: int = 0
    burst_votes: int = 0


@dataclass
class Review:
    rows: list
    accounts: list  # AccountReview, the most suspicious first
    addresses: list  # AddressReview with a signal, the most accounts first

    @property
    def flagged(self):
        return [a for a in self.accounts if a.signals]


def review(contest):
    """The contest's votes with their signals, per vote, per account and per address."""
    rows = [VoteRow(*r) for r in db.session.execute(
        select(Vote.id, Vote.created_at, Film.public_id, Film.title, Vote.user_id, Vote.ip_hash,
               Vote.ua_family).join(Film, Film.id == Vote.film_id)
        .where(Vote.contest_id == contest.id).order_by(Vote.created_at, Vote.id))]
    _mark_bursts(rows)
    addresses = _addresses(rows)
    accounts = _accounts(contest, rows, addresses)
    for row in rows:
        row.shared_address = len(addresses.get(row.ip_hash, AddressReview("")).accounts) >= \
            SHARED_ACCOUNTS
        row.new_voter_only = accounts[row.user_id].new_voter_only
    ordered = sorted(accounts.values(), key=lambda a: (-len(a.signals), -a.votes,
                                                       a.user.display_name))
    flagged = sorted((a for a in addresses.values()
                      if a.burst_votes or len(a.accounts) >= SHARED_ACCOUNTS),
                     key=lambda a: (-len(a.accounts), -a.votes))
    return Review(rows, ordered, flagged)


def _mark_bursts(rows):
    """Mark every vote inside a window of BURST_WINDOW holding BURST_VOTES from one address."""
    by_address = defaultdict(list)
    for row in rows:
        if row.ip_hash:
            by_address[row.ip_hash].append(row)
    for group in by_address.values():
        start = 0
        for end, row in enumerate(group):
            while row.at - group[start].at > BURST_WINDOW:
                start += 1
            if end - start + 1 >= BURST_VOTES:
                for inside in group[start:end + 1]:
                    inside.burst = True


def _addresses(rows):
    found = {}
    for row in rows:
        if row.ip_hash:
            address = found.setdefault(row.ip_hash, AddressReview(row.ip_hash))
            address.accounts.add(row.user_id)
            address.votes += 1
            address.burst_votes += row.burst
    return found


def _accounts(contest, rows, addresses):
    voters = select(Vote.user_id).where(Vote.contest_id == contest.id)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(voters)))}
    makers = set(db.session.scalars(select(Film.owner_id).where(Film.owner_id.in_(voters))))
    talkers = set(db.session.scalars(select(Comment.author_id)
                                      .where(Comment.author_id.in_(voters))))
    accounts = {}
    for row in rows:
        account = accounts.setdefault(row.user_id, AccountReview(users[row.user_id]))
        account.votes += 1
        account.first_vote = account.first_vote or row.at
        account.burst_votes += row.burst
        if row.ip_hash:
            account.addresses.add(row.ip_hash)
            account.shared_address |= len(addresses[row.ip_hash].accounts) >= SHARED_ACCOUNTS
    for account in accounts.values():
        user = account.user
        account.new_voter_only = (account.first_vote - user.created_at < NEW_ACCOUNT
                                  and user.id not in makers and user.id not in talkers)
    return accounts


def csv_rows(contest, found=None):
    """The vote audit with its signals, in CSV_COLUMNS order."""
    found = found or review(contest)
    accounts = {a.user.id: a.user.public_id for a in found.accounts}
    for row in found.rows:
        yield (row.at.isoformat(timespec="seconds") + "Z", row.film_id, accounts[row.user_id],
               row.ip_hash or "", row.ua_family or "",
               *("yes" if getattr(row, name) else "" for name in SIGNALS))


def discard_votes(contest, account_ids, reason, actor):
    """Delete the chosen accounts' votes in contest and recount the films they touched.

    account_ids are public ids. Returns (votes discarded, films recounted).
    """
    require_organizer(actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError(f"Give a reason of up to {REASON_MAX} characters.", field="reason")
    users = db.session.scalars(select(User).where(User.public_id.in_(list(account_ids or []))))
    users = {u.id: u for u in users}
    rows = db.session.execute(
        select(Vote.user_id, Vote.film_id, Film.public_id, Vote.created_at)
        .join(Film, Film.id == Vote.film_id)
        .where(Vote.contest_id == contest.id, Vote.user_id.in_(list(users)))
        .order_by(Vote.created_at, Vote.id)).all()
    if not rows:
        raise DomainError("Choose accounts that have votes in this contest.", field="accounts")
    for user_id, user in users.items():
        theirs = [[film, at.isoformat(timespec="seconds")]
                  for uid, _, film, at in rows if uid == user_id]
        if theirs:
            audit.record(actor, contest, "votes.discard", user.public_id,
                         {"votes": theirs}, {"votes": [], "reason": reason})
    films = {film_id for _, film_id, _, _ in rows}
    db.session.execute(delete(Vote).where(Vote.contest_id == contest.id,
                                          Vote.user_id.in_(list(users))),
                       execution_options={"synchronize_session": False})
    recount(films)
    db.session.commit()
    return len(rows), len(films)


def recount(film_ids):
    """Set each film's vote_count and trend_score from its vote rows (one statement)."""
    count = select(func.count(Vote.id)).where(Vote.film_id == Film.id).scalar_subquery()
    score = (select(func.coalesce(func.sum(Vote.weight), 0.0))
             .where(Vote.film_id == Film.id).scalar_subquery())
    db.session.execute(update(Film).where(Film.id.in_(list(film_ids)))
                       .values(vote_count=count, trend_score=score),
                       execution_options={"synchronize_session": False})
