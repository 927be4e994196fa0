"""A contest's gallery of films and, once voting has closed, its leaderboard."""
import hashlib

from flask import abort, render_template, request
from flask_login import current_user

from contest import clock
from contest.gallery import bp
from contest.gallery.page_cache import cached_page, shareable
from contest.operations.contests import get_contest
from contest.operations.gallery import (
    PER_PAGE,
    available_sorts,
    default_sort,
    gallery_page,
    leaderboard_page,
    page_number,
    voting_closed,
)
from contest.storage import get_storage

SORT_LABELS = {"top": "Top", "new": "New", "trending": "Trending", "shuffle": "Shuffle"}
LEADERBOARD_PER_PAGE = 50
# Anonymous visitors share this many shuffled orders a day (each a fair random order).
SHUFFLE_VARIANTS = 16
THUMBNAIL_WIDTH = 320
POSTER_SHORT_SIDE = 720
CARD_SIZES = "(min-width: 64rem) 16rem, (min-width: 48rem) 33vw, (min-width: 30rem) 50vw, 100vw"


@bp.get("/contests/<slug>/films")
def contest_films(slug):
    asked_sort = request.args.get("sort") or ""
    page = page_number(request.args.get("page"))
    q = request.args.get("q", "")
    if not shareable():
        return _render_gallery(slug, asked_sort, q, page)
    # Anonymous visitors of the same page see the same HTML: reuse it for a few seconds,
    # without touching the database.
    seed = visitor_seed() if asked_sort in ("", "shuffle") else ""
    key = f"gallery:{slug}:{asked_sort}:{page}:{seed}:{clock.now().date()}:{q}"
    return cached_page(key, "GALLERY_CACHE_S",
                       lambda: _render_gallery(slug, asked_sort, q, page, seed))


def _render_gallery(slug, asked_sort, q, page, seed=None):
    contest = get_contest(slug)
    now = clock.now()
    sort = asked_sort or default_sort(contest, now)
    if sort == "shuffle" and seed is None:
        seed = visitor_seed()
    result = gallery_page(
        contest, sort=sort, q=q, page=page, per_page=PER_PAGE,
        viewer=_viewer(), seed=seed or "", renditions=False,
    )
    if page > max(result.pages, 1):
        abort(404)
    sorts = [(key, SORT_LABELS[key]) for key in available_sorts(contest, now)]
    return render_template("gallery/gallery.html", contest=contest, result=result, sorts=sorts,
                           images=card_images(result.films), pages=page_window(result),
                           card_sizes=CARD_SIZES)


@bp.get("/contests/<slug>/leaderboard")
def leaderboard(slug):
    contest = get_contest(slug)
    if not voting_closed(contest):
        return render_template("gallery/leaderboard.html", contest=contest, result=None)
    page = page_number(request.args.get("page"))
    result, ranked = leaderboard_page(contest, page=page, per_page=LEADERBOARD_PER_PAGE)
    if page > max(result.pages, 1):
        abort(404)
    return render_template("gallery/leaderboard.html", contest=contest, result=result,
                           ranked=ranked, pages=page_window(result))


def _viewer():
    return current_user if current_user.is_authenticated else None


def visitor_seed():
    """Who the shuffle is for: the account, or one of SHUFFLE_VARIANTS daily orders.

    An anonymous visitor is known by address and browser (no cookie is set for it), so
    the same visitor gets the same variant all day, and variants can be cached.
    """
    if current_user.is_authenticated:
        return current_user.public_id
    visitor = f"{request.remote_addr}|{request.headers.get('User-Agent', '')}"
    digest = hashlib.sha256(visitor.encode()).digest()
    return f"variant-{int.from_bytes(digest[:4], 'big') % SHUFFLE_VARIANTS}"


def page_window(result, around=2):
    """Page numbers to link, with None for a gap: 1 … 4 5 [6] 7 8 … 40."""
    last = result.pages
    shown = {1, last, *range(result.page - around, result.page + around + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= last)
    window, previous = [], 0
    for n in numbers:
        if n - previous > 1:
            window.append(None)
        window.append(n)
        previous = n
    return window


def card_images(films):
    """{film id: {src, srcset, width, height}} for the cards (None without a poster)."""
    storage = get_storage()
    return {film.id: _card_image(storage, film) for film in films}


def _card_image(storage, film):
    if not (film.thumbnail_key or film.poster_key):
        return None
    width, height = film.width or 16, film.height or 9
    thumb_height = 2 * round(THUMBNAIL_WIDTH * height / width / 2)
    sources = []
    if film.thumbnail_key:
        sources.append(f"{storage.url(film.thumbnail_key)} {THUMBNAIL_WIDTH}w")
    if film.poster_key:
        short = min(POSTER_SHORT_SIDE, width, height)
        poster_width = round(width * short / min(width, height))
        sources.append(f"{storage.url(film.poster_key)} {poster_width}w")
    return {
        "src": sources[0].rsplit(" ", 1)[0],
        "srcset": ", ".join(sources) if len(sources) > 1 else None,
        "width": THUMBNAIL_WIDTH,
        "height": thumb_height,
    }
