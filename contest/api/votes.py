"""PUT and DELETE /films/ID/vote: the same rules as the film page's button."""
from flask import g, jsonify, request

from contest.api import bp
from contest.api.auth import token_required
from contest.gallery.votes import vote_rate_limits
from contest.operations.films import get_film
from contest.operations.votes import cast_vote, vote_summary, withdraw_vote


@bp.put("/films/<public_id>/vote")
@token_required
@vote_rate_limits
def put_vote(public_id):
    film = get_film(public_id)
    result = cast_vote(film, g.api_user, ip=request.remote_addr,
                       user_agent=request.user_agent.string)
    return jsonify(vote_summary(film.contest, result)), 201 if result.changed else 200


@bp.delete("/films/<public_id>/vote")
@token_required
@vote_rate_limits
def delete_vote(public_id):
    film = get_film(public_id)
    result = withdraw_vote(film, g.api_user)
    return jsonify(vote_summary(film.contest, result))
