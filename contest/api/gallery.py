"""A contest's gallery in the API: anyone may read it; a token adds voted_by_me."""
from flask import jsonify, request

from contest import clock
from contest.api import bp
from contest.api.auth import bearer_token, unauthorized
from contest.api.films import film_resource
from contest.errors import DomainError
from contest.operations.contests import get_contest
from contest.operations.gallery import PER_PAGE, default_sort, gallery_page, page_number
from contest.operations.users import user_for_token

MAX_SEED = 64


@bp.get("/contests/<slug>/films", endpoint="list_contest_films")
def list_contest_films(slug):
    token = bearer_token()
    user = user_for_token(token) if token else None
    if token and user is None:
        return unauthorized("That API token is not valid or was revoked.", True)
    contest = get_contest(slug)
    args = request.args
    result = gallery_page(
        contest,
        sort=args.get("sort") or default_sort(contest, clock.now()),
        q=args.get("q", ""),
        page=page_number(args.get("page")),
        per_page=page_number(args.get("per_page"), "per_page", default=PER_PAGE),
        viewer=user,
        seed=_seed(user),
    )
    return jsonify({
        "films": [gallery_film(film, result) for film in result.films],
        "page": result.page,
        "pages": result.pages,
        "per_page": result.per_page,
        "sort": result.sort,
        "total": result.total,
    })


def gallery_film(film, result):
    """The film resource plus its count (null while hidden) and the caller's vote."""
    return {
        **film_resource(film),
        "votes": film.vote_count if result.show_votes else None,
        "voted_by_me": film.id in result.voted,
    }


def _seed(user):
    """Whose shuffle: the seed parameter, else the account, else the client's address."""
    seed = request.args.get("seed", "")
    if len(seed) > MAX_SEED:
        raise DomainError(f"seed is at most {MAX_SEED} characters.", status=400, field="seed")
    return seed or (user.public_id if user else request.remote_addr or "")
