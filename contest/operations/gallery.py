"""A contest's public gallery and leaderboard: which films, in which order, a page at a time.

Only published films appear (status "ready", not withdrawn). A page costs the same
number of SQL queries whatever its size: one count, one page of films with their
owners joined, one selectin for the renditions of the page (when asked for), and,
for a signed-in viewer, one query for which of those films they voted for.
"""
import hashlib
import math
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, cast, func, literal, or_, select
from sqlalchemy.orm import contains_eager, raiseload, selectinload

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, User
from contest.operations.votes import voted_film_ids, votes_visible, voting_state

SORTS = ("top", "new", "trending", "shuffle")
# Orders that reveal the ranking: hidden as long as the counts are.
RANKED = ("top", "trending")
PER_PAGE = 24
MAX_PER_PAGE = 100
MAX_QUERY = 100
# Primes just below 2**31: every step stays under 2**62, inside a 64-bit integer.
SHUFFLE_PRIMES = (2147483647, 2147483629, 2147483587)


@dataclass
class GalleryPage:
    films: list
    sort: str
    q: str
    page: int
    per_page: int
    total: int
    show_votes: bool
    # ids of the films on this page the viewer voted for
    voted: set = field(default_factory=set)

    @property
    def pages(self):
        return math.ceil(self.total / self.per_page)

    @property
    def offset(self):
        return (self.page - 1) * self.per_page


def voting_closed(contest, now=None):
    return voting_state(contest, now) == "closed"


def default_sort(contest, now=None):
    """Shuffled (fair to every entry) until voting closes, then by votes."""
    return "top" if voting_closed(contest, now) else "shuffle"


def available_sorts(contest, now=None):
    """The orders a visitor may pick now: no ranking while the counts are hidden."""
    if votes_visible(contest, now):
        return SORTS
    return tuple(sort for sort in SORTS if sort not in RANKED)


def page_number(value, name="page", default=1):
    """A page or page-size parameter as a whole number of at least 1 (DomainError 400)."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise DomainError(f"{name} is a whole number of at least 1.", status=400, field=name)
    return int(text)


def gallery_page(contest, *, sort="top", q="", page=1, per_page=PER_PAGE, viewer=None,
                 seed="", renditions=True):
    """One page of the contest's published films in the given order.

    q searches titles and filmmakers' names (case-insensitive); per_page is capped at
    MAX_PER_PAGE; a page past the end comes back empty. viewer is a User or None.
    seed names the visitor for `shuffle`. renditions=False skips loading them (pages
    that show posters only); touching them then raises instead of querying per film.
    """
    check_sort(contest, sort)
    q = (q or "").strip()[:MAX_QUERY]
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    if page < 1:
        raise DomainError("page is a whole number of at least 1.", status=400, field="page")
    filters, search = _filters(contest, q)
    total = db.session.scalar(_counted(select(func.count(Film.id)), filters, search))
    stmt = (
        select(Film).join(Film.owner)
        .options(contains_eager(Film.owner),
                 selectinload(Film.renditions) if renditions else raiseload(Film.renditions))
        .where(*filters)
        .order_by(*_order(sort, seed))
        .limit(per_page).offset((page - 1) * per_page)
    )
    films = db.session.scalars(stmt).all()
    return GalleryPage(films=films, sort=sort, q=q, page=page, per_page=per_page, total=total,
                       show_votes=votes_visible(contest),
                       voted=voted_film_ids(viewer, [film.id for film in films]))


def check_sort(contest, sort):
    if sort not in SORTS:
        raise DomainError(f"sort is one of {', '.join(SORTS)}.", status=400, field="sort")
    if sort not in available_sorts(contest):
        raise DomainError("Vote counts are hidden until voting closes, so films cannot be "
                          "ranked by votes yet.", status=400, field="sort")


def leaderboard_page(contest, *, page=1, per_page=50):
    """After voting closes: films by votes, as [(rank, film)]; equal counts share a rank."""
    if not voting_closed(contest):
        raise DomainError("The leaderboard appears when voting closes.", status=404)
    result = gallery_page(contest, sort="top", page=page, per_page=per_page, renditions=False)
    ranked, previous = [], None
    for position, film in enumerate(result.films, start=result.offset + 1):
        if previous is None:
            rank = _rank_of(contest, film.vote_count)
        elif film.vote_count != previous[1].vote_count:
            rank = position
        else:
            rank = previous[0]
        previous = (rank, film)
        ranked.append(previous)
    return result, ranked


def _rank_of(contest, votes):
    """1 + the number of published films with more votes."""
    filters, _ = _filters(contest, "")
    ahead = db.session.scalar(select(func.count(Film.id)).where(*filters,
                                                                Film.vote_count > votes))
    return ahead + 1


def _filters(contest, q):
    """(where clauses, whether they need the owner joined)."""
    filters = [Film.contest_id == contest.id, Film.is_public]
    if not q:
        return filters, False
    filters.append(or_(Film.title.icontains(q, autoescape=True),
                       User.display_name.icontains(q, autoescape=True)))
    return filters, True


def _counted(stmt, filters, search):
    # The count skips the join unless the search needs the filmmaker's name.
    return (stmt.join(Film.owner) if search else stmt).where(*filters)


def _order(sort, seed):
    """A total order (the id breaks every tie), so pages never overlap or skip a film."""
    if sort == "top":
        return [Film.vote_count.desc(), Film.published_at, Film.id]
    if sort == "new":
        return [Film.published_at.desc(), Film.id.desc()]
    if sort == "trending":
        return [Film.trend_score.desc(), Film.vote_count.desc(), Film.published_at.desc(),
                Film.id]
    return [shuffle_key(seed), Film.id]


def shuffle_key(seed, day=None):
    """A per-visitor, per-day random order, computed by the database.

    The key is three rounds of x -> (a*x + b) mod p over the film's id, each round with
    its own prime and with a and b drawn from a hash of (visitor seed, UTC date). Why
    this: plain integer arithmetic is the same in SQLite and PostgreSQL (neither shares
    a hash function with the other), the order is stable for a visitor all day and
    changes at midnight and between visitors, and the database sorts and pages it like
    any other column, so a page still costs one query. One round alone would keep
    films entered one after the other near each other; mixing moduli breaks that, so
    every film is about equally likely to be near the top (tests/test_gallery.py
    measures it). Ties, if any, fall to the film id.
    """
    day = day or clock.now().date()
    digest = hashlib.sha256(f"{seed}|{day.isoformat()}".encode()).digest()
    key = cast(Film.id, BigInteger)
    for i, prime in enumerate(SHUFFLE_PRIMES):
        a = 1 + int.from_bytes(digest[i * 8:i * 8 + 4], "big") % (prime - 1)
        b = int.from_bytes(digest[i * 8 + 4:i * 8 + 8], "big") % prime
        key = (key * literal(a, BigInteger) + literal(b, BigInteger)) % literal(prime, BigInteger)
    return key

