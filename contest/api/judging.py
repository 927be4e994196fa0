"""Judging over the API: the panel, the rubric, a judge's queue, scores, nominations, conflicts.

Same rules and the same blind-mode view as the judging pages (contest.operations.judging).
Contest routes answer 403 to anyone not on the panel (organizers pass); film routes answer
404 for a film that is not an eligible entry, then 403 to anyone not on its contest's panel.
"""
from flask import g, jsonify, request
from werkzeug.exceptions import BadRequest, Forbidden

from contest.api import bp
from contest.api.auth import organizer_required, token_required
from contest.api.inputs import json_object
from contest.api.resources import iso
from contest.errors import DomainError
from contest.operations import judging as ops
from contest.operations.contests import get_contest
from contest.operations.films import get_film


def judge_resource(user):
    return {"id": user.public_id, "email": user.email, "display_name": user.display_name}


def rubric_resource(contest):
    return {"criteria": [ops.criterion_dict(c) for c in ops.rubric(contest)]}


def judging_film_resource(film, review):
    """The redacted judging view of a film, with the caller's own review."""
    view = ops.judging_view(film)
    return {**view, "published_at": iso(view["published_at"]), "my_review": review}


def panel_contest(slug):
    contest = get_contest(slug)
    if not ops.can_view_judging(g.api_user, contest):
        raise Forbidden("Only this contest's judges and the organizers may do this.")
    return contest


def judged_film(public_id):
    film = get_film(public_id)
    if not ops.is_eligible(film):
        raise DomainError("No film has that address.", status=404)
    return film


# -- panel and rubric ------------------------------------------------------------------------


@bp.get("/contests/<slug>/judges")
@organizer_required
def get_judges(slug):
    return jsonify({"judges": [judge_resource(u) for u in ops.panel(get_contest(slug))]})


@bp.put("/contests/<slug>/judges")
@organizer_required
def put_judges(slug):
    contest = get_contest(slug)
    emails = json_object().get("judges")
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        raise BadRequest("judges must be a list of email addresses.")
    judges = ops.assign_judges(contest, emails, g.api_user)
    return jsonify({"judges": [judge_resource(u) for u in judges]})


@bp.get("/contests/<slug>/rubric")
@token_required
def get_rubric(slug):
    return jsonify(rubric_resource(panel_contest(slug)))


@bp.put("/contests/<slug>/rubric")
@organizer_required
def put_rubric(slug):
    contest = get_contest(slug)
    criteria = json_object().get("criteria")
    if not isinstance(criteria, list):
        raise BadRequest("criteria must be a list of {name, description, weight, min, max}.")
    ops.set_rubric(contest, criteria, g.api_user)
    return jsonify(rubric_resource(contest))


# -- a judge's queue and reviews -------------------------------------------------------------


@bp.get("/judging/<slug>/films")
@token_required
def judging_queue(slug):
    contest = panel_contest(slug)
    items = ops.queue(contest, g.api_user)
    scored, total = ops.progress(items)
    on_panel = ops.is_judge_of(g.api_user, contest)
    films = [judging_film_resource(item.film, ops.item_review(item) if on_panel else None)
             for item in items]
    return jsonify({
        "contest": contest.slug, "blind": contest.blind_judging, "on_panel": on_panel,
        "scoring_open": ops.scoring_open(contest), "progress": {"scored": scored, "total": total},
        "criteria": rubric_resource(contest)["criteria"], "films": films,
    })


@bp.put("/films/<public_id>/score")
@token_required
def put_score(public_id):
    film = judged_film(public_id)
    body = json_object()
    if "scores" not in body:
        raise BadRequest("scores is required: {\"CRITERION\": value, ...}.")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise BadRequest("note must be a string.")
    return jsonify(ops.score_film(film, g.api_user, body["scores"], note))


@bp.put("/films/<public_id>/nomination")
@token_required
def put_nomination(public_id):
    return jsonify(ops.set_nomination(judged_film(public_id), g.api_user, True))


@bp.delete("/films/<public_id>/nomination")
@token_required
def delete_nomination(public_id):
    return jsonify(ops.set_nomination(judged_film(public_id), g.api_user, False))


@bp.put("/films/<public_id>/conflict")
@token_required
def put_conflict(public_id):
    film = judged_film(public_id)
    conflict = True
    if request.content_length:
        conflict = json_object().get("conflict", True)
        if not isinstance(conflict, bool):
            raise BadRequest("conflict must be true or false.")
    return jsonify(ops.set_conflict(film, g.api_user, conflict))
