"""Contests: anyone reads them; organizers create and change them."""
from flask import g, jsonify, url_for

from contest import clock
from contest.api import bp
from contest.api.auth import organizer_required
from contest.api.inputs import json_object, text_field
from contest.api.resources import contest_resource
from contest.extensions import db
from contest.models import Contest
from contest.operations.contests import create_contest, get_contest, update_contest


@bp.get("/contests")
def list_contests():
    now = clock.now()
    contests = db.session.scalars(db.select(Contest).order_by(Contest.submissions_open_at))
    return jsonify({"contests": [contest_resource(c, now) for c in contests]})


@bp.get("/contests/<slug>")
def show_contest(slug):
    return jsonify(contest_resource(get_contest(slug)))


@bp.post("/contests")
@organizer_required
def create():
    body = json_object()
    slug = text_field(body, "slug")
    data = {name: value for name, value in body.items() if name != "slug"}
    # create_contest reads the title before its own type checks; keep a number out of it.
    text_field(data, "title", required=False)
    contest = create_contest(slug, data, actor=g.api_user)
    response = jsonify(contest_resource(contest))
    response.headers["Location"] = url_for("api.show_contest", slug=contest.slug, _external=True)
    return response, 201


@bp.patch("/contests/<slug>")
@organizer_required
def update(slug):
    contest = get_contest(slug)
    contest = update_contest(contest, json_object(), actor=g.api_user)
    return jsonify(contest_resource(contest))
