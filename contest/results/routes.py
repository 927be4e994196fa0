"""Standings, shortlist, awards and audit log (organizers); the results page (everyone)."""
from functools import wraps

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contest import clock
from contest.errors import DomainError
from contest.media.links import media_links
from contest.operations import audit
from contest.operations import results as ops
from contest.operations import standings as scores
from contest.operations.contests import get_contest
from contest.results import bp
from contest.results.forms import ActionForm, AwardsForm, ShortlistForm


def organizer_only(view):
    """Signed-in organizers only: others get 403, anonymous visitors the sign-in page."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_organizer:
            abort(403, "Only organizers may open this page.")
        return view(*args, **kwargs)

    return wrapped


@bp.app_template_global()
def awards_for_film(film):
    return ops.awards_for_film(film)


@bp.app_template_global()
def is_shortlisted(film):
    return ops.is_shortlisted(film)


@bp.app_template_global()
def results_public(contest):
    return ops.results_public(contest)


# -- standings ------------------------------------------------------------------------------


@bp.get("/contests/<slug>/standings")
@organizer_only
def standings(slug):
    contest = get_contest(slug)
    table = _table(contest)
    return render_template("results/standings.html", contest=contest, table=table,
                           columns=COLUMNS, next_dir=_next_dir, tab="standings")


@bp.get("/contests/<slug>/standings.csv")
@organizer_only
def standings_csv(slug):
    contest = get_contest(slug)
    headers = {"Content-Disposition": f'attachment; filename="{contest.slug}-standings.csv"',
               "Cache-Control": "no-store"}
    return Response(scores.standings_csv(_table(contest)), mimetype="text/csv", headers=headers)


# (sort key, heading, numeric?) in the order of the table's columns
COLUMNS = [("title", "Film", False), ("filmmaker", "Filmmaker", False),
           ("mean", "Weighted mean", True), ("judges", "Judges", True),
           ("normalized", "Normalized", True), ("nominations", "Nominations", True),
           ("votes", "Public votes", True), ("verdict", "Device", False)]


def _table(contest):
    return scores.standings(contest, request.args.get("sort", "normalized"),
                         request.args.get("dir") or None)


def _next_dir(table, column):
    """The direction a click on a column heading asks for."""
    if column == table.sort:
        return "asc" if table.direction == "desc" else "desc"
    return scores.check_sort(column)


# -- shortlist ------------------------------------------------------------------------------


@bp.route("/contests/<slug>/shortlist", methods=["GET", "POST"])
@organizer_only
def shortlist(slug):
    contest = get_contest(slug)
    table = scores.standings(contest)
    current = {film.id: n for n, film in enumerate(ops.shortlist(contest), 1)}
    rows = [{"film": row.film.public_id, "include": row.film.id in current,
             "position": current.get(row.film.id)} for row in table.rows]
    form = ShortlistForm(data={"rows": rows})
    if form.validate_on_submit():
        try:
            ops.confirm_shortlist(contest, current_user, form.chosen())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("The shortlist is confirmed.", "success")
            return redirect(url_for(".shortlist", slug=slug))
    by_id = {row.film.public_id: row for row in table.rows}
    return render_template("results/shortlist.html", contest=contest, form=form, by_id=by_id,
                           tab="shortlist")


# -- awards and publishing ------------------------------------------------------------------


@bp.route("/contests/<slug>/awards", methods=["GET", "POST"])
@organizer_only
def awards(slug):
    contest = get_contest(slug)
    lines = ops.awards(contest)
    rows = [{"award": a.name, "kind": a.kind, "film": a.film.public_id if a.film else ""}
            for a in lines] + [{"award": "", "kind": "custom", "film": ""}]
    form = AwardsForm(data={"awards": rows})
    form.set_films(ops.eligible_films(contest))
    if form.validate_on_submit():
        try:
            ops.save_awards(contest, current_user, form.items())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash("The awards are saved.", "success")
            return redirect(url_for(".awards", slug=slug))
    return render_template("results/awards.html", contest=contest, form=form, lines=lines,
                           leader=ops.audience_winner(contest), action=ActionForm(),
                           public_at=ops.public_at(contest), now=clock.now(), tab="awards")


@bp.post("/contests/<slug>/results/publish")
@organizer_only
def publish(slug):
    return _act(slug, ops.publish_results, "The results are published.")


@bp.post("/contests/<slug>/results/retract")
@organizer_only
def retract(slug):
    return _act(slug, ops.retract_results, "The results are taken back and hidden again.")


def _act(slug, operation, message):
    contest = get_contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        operation(contest, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(message, "success")
    return redirect(url_for(".awards", slug=slug))


# -- audit log ------------------------------------------------------------------------------


@bp.get("/contests/<slug>/audit")
@organizer_only
def audit_log(slug):
    contest = get_contest(slug)
    return render_template("results/audit.html", contest=contest,
                           entries=audit.entries(contest), tab="audit")


# -- the public results ---------------------------------------------------------------------


@bp.get("/contests/<slug>/results")
def results(slug):
    contest = get_contest(slug)
    if not ops.can_see_results(contest, current_user):
        now = clock.now()
        return render_template("results/pending.html", contest=contest,
                               announce_at=contest.results_at if now < contest.results_at
                               else None)
    shown = ops.results(contest)
    posters = {film.id: media_links(film)["poster_url"] for film in shown.shortlist}
    for line in shown.awards:
        if line.film is not None and line.film.id not in posters:
            posters[line.film.id] = media_links(line.film)["poster_url"]
    return render_template("results/results.html", contest=contest, shown=shown,
                           posters=posters)
