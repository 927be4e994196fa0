"""Standings, shortlist and awards (organizers); the published results (everyone, in time)."""
from flask import g, jsonify, request, url_for
from werkzeug.exceptions import BadRequest, Forbidden

from contest import clock
from contest.api import bp
from contest.api.auth import bearer_token, organizer_required, unauthorized
from contest.api.inputs import json_object
from contest.api.resources import iso
from contest.media.links import media_links
from contest.operations import results as ops
from contest.operations import standings as scores
from contest.operations.contests import get_contest
from contest.operations.users import user_for_token


def film_ref(film):
    return {
        "id": film.public_id,
        "title": film.title,
        "filmmaker": film.owner.display_name,
        "url": url_for("gallery.film", public_id=film.public_id, _external=True),
        "poster_url": media_links(film)["poster_url"],
    }


def standing_resource(row):
    return {
        "film": film_ref(row.film),
        "weighted_mean": row.mean,
        "judges": row.judges,
        "normalized": row.normalized,
        "nominations": row.nominations,
        "votes": row.votes,
        "device_verdict": row.verdict,
    }


def results_resource(shown):
    contest = shown.contest
    return {
        "contest": contest.slug,
        "published": contest.results_confirmed_at is not None,
        "public": shown.public,
        "public_at": iso(shown.public_at),
        "shortlist_confirmed_at": iso(contest.shortlist_confirmed_at),
        "awards": [{"name": line.name, "kind": line.kind,
                    "film": film_ref(line.film) if line.film else None}
                   for line in shown.awards],
        "shortlist": [film_ref(film) for film in shown.shortlist],
        "url": url_for("results.results", slug=contest.slug, _external=True),
    }


@bp.get("/contests/<slug>/standings")
@organizer_required
def get_standings(slug):
    contest = get_contest(slug)
    table = scores.standings(contest, request.args.get("sort", "normalized"),
                             request.args.get("dir") or None)
    return jsonify({
        "contest": contest.slug, "sort": table.sort, "dir": table.direction,
        "panel": table.panel,
        "criteria": [{"name": c.name, "weight": c.weight, "min": c.min_score,
                      "max": c.max_score} for c in table.criteria],
        "films": [standing_resource(row) for row in table.rows],
    })


@bp.put("/contests/<slug>/shortlist")
@organizer_required
def put_shortlist(slug):
    contest = get_contest(slug)
    body = json_object()
    if "films" not in body:
        raise BadRequest('Send {"films": ["FILM_ID", ...]}, in order.')
    ops.confirm_shortlist(contest, g.api_user, body["films"])
    return jsonify(results_resource(ops.results(contest)))


@bp.put("/contests/<slug>/awards")
@organizer_required
def put_awards(slug):
    contest = get_contest(slug)
    body = json_object()
    publish = body.get("publish")
    if publish is not None and not isinstance(publish, bool):
        raise BadRequest("publish must be true, false or left out.")
    if body.get("awards") is None and publish is None:
        raise BadRequest('Send "awards", "publish", or both.')
    ops.update_results(contest, g.api_user, body.get("awards"), publish)
    return jsonify(results_resource(ops.results(contest)))


@bp.get("/contests/<slug>/results")
def get_results(slug):
    token = bearer_token()
    user = user_for_token(token) if token else None
    if token and user is None:
        return unauthorized("That API token is not valid or was revoked.", True)
    contest = get_contest(slug)
    if not ops.can_see_results(contest, user):
        raise Forbidden(_not_yet(contest))
    return jsonify(results_resource(ops.results(contest)))


def _not_yet(contest):
    when = iso(contest.results_at)
    if ops.public_at(contest) is None and contest.results_at <= clock.now():
        return f"The results are not published yet (the results time was {when})."
    return f"The results are published at {when}."
