"""The judging pages: thin views over contest.operations.judging.

Who reaches what: every page needs a signed-in account. A contest's pages are for the
judges on its panel and for organizers (others: 403). A film page answers 404 when the
film is not an eligible entry of that contest, 403 when it is the judge's own film.
The panel and rubric pages are for organizers only.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.errors import DomainError
from contest.gallery.films import player_for
from contest.judging import bp
from contest.judging.forms import (
    ConflictForm,
    PanelForm,
    ToggleForm,
    criteria_from,
    rubric_form,
    score_form,
    scores_from,
)
from contest.media.links import media_links
from contest.operations import judging as ops
from contest.operations.contests import get_contest
from contest.operations.films import get_film

NOT_ON_PANEL = "Only this contest's judges and the organizers can open its judging pages."


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))


def _user():
    return current_user._get_current_object()


def judging_contest(slug):
    contest = get_contest(slug)
    if not ops.can_view_judging(_user(), contest):
        abort(403, NOT_ON_PANEL)
    return contest


def organizer_contest(slug):
    contest = get_contest(slug)
    if not current_user.is_organizer:
        abort(403, "Only organizers can change the panel and the rubric.")
    return contest


def contest_film(slug, public_id):
    contest = judging_contest(slug)
    film = get_film(public_id)
    if film.contest_id != contest.id or not ops.is_eligible(film):
        abort(404, "This film is not an entry being judged in this contest.")
    if film.owner_id == current_user.id:
        abort(403, "You cannot judge your own film.")
    return contest, film


def panel_film(slug, public_id):
    """contest_film for the forms: only judges on the panel score, nominate or declare."""
    contest, film = contest_film(slug, public_id)
    if not ops.is_judge_of(_user(), contest):
        abort(403, "Only judges on this contest's panel judge its films.")
    return contest, film


def film_url(contest, film):
    return url_for("judging.film", slug=contest.slug, public_id=film.public_id)


# -- a judge's pages -------------------------------------------------------------------------


@bp.get("/")
def index():
    user = _user()
    if not (user.is_judge or user.is_organizer):
        abort(403, "This page is for judges.")
    return render_template("judging/index.html", contests=ops.judged_contests(user))


@bp.get("/<slug>")
def queue(slug):
    contest = judging_contest(slug)
    items = ops.queue(contest, _user())
    scored, total = ops.progress(items)
    return render_template(
        "judging/queue.html", contest=contest, scored=scored, total=total,
        rows=[(item, ops.judging_view(item.film)) for item in items],
        on_panel=ops.is_judge_of(_user(), contest), scoring_open=ops.scoring_open(contest))


@bp.get("/<slug>/films/<public_id>")
def film(slug, public_id):
    return film_page(*contest_film(slug, public_id))


def film_page(contest, film, form=None, status=200):
    user = _user()
    on_panel = ops.is_judge_of(user, contest)
    criteria = ops.rubric(contest)
    review = ops.my_review(film, user) if on_panel else None
    items = ops.queue(contest, user)
    previous, following = ops.neighbours(items, film)
    scored, total = ops.progress(items)
    media = media_links(film)
    html = render_template(
        "judging/film.html", contest=contest, view=ops.judging_view(film), criteria=criteria,
        player=player_for(film, media), review=review, on_panel=on_panel,
        form=form or score_form(criteria, review), conflict_form=ConflictForm(),
        previous=previous, following=following,
        scored=scored, total=total, scoring_open=ops.scoring_open(contest),
        panel_reviews=ops.panel_reviews(film) if user.is_organizer else None)
    return html, status


@bp.post("/<slug>/films/<public_id>/score")
def score(slug, public_id):
    contest, film = panel_film(slug, public_id)
    criteria = ops.rubric(contest)
    form = score_form(criteria)
    if not form.validate_on_submit():
        return film_page(contest, film, form, 422)
    try:
        ops.score_film(film, _user(), scores_from(form, criteria), form.note.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(film_url(contest, film))
    flash("Saved.", "success")
    if form.save_next.data:
        _, following = ops.neighbours(ops.queue(contest, _user()), film)
        if following is not None:
            return redirect(film_url(contest, following))
    return redirect(film_url(contest, film))


@bp.post("/<slug>/films/<public_id>/nomination")
def nominate(slug, public_id):
    contest, film = panel_film(slug, public_id)
    if not ToggleForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        review = ops.set_nomination(film, _user(), request.form["value"] == "1")
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("Nominated for the shortlist." if review["nominated"]
              else "Nomination taken back.", "success")
    return redirect(film_url(contest, film))


@bp.post("/<slug>/films/<public_id>/conflict")
def conflict(slug, public_id):
    contest, film = panel_film(slug, public_id)
    declare = request.form.get("value") == "1"
    form = ConflictForm() if declare else ToggleForm()
    if not form.validate_on_submit():
        flash("Tick the box to confirm the conflict.", "error")
        return redirect(film_url(contest, film))
    following = ops.neighbours(ops.queue(contest, _user()), film)[1]
    try:
        ops.set_conflict(film, _user(), declare)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(film_url(contest, film))
    if not declare:
        flash("Conflict taken back: the film is in your queue again.", "success")
        return redirect(film_url(contest, film))
    flash("Conflict recorded: the film has left your queue and any scores you gave it "
          "are deleted.", "success")
    if following is not None:
        return redirect(film_url(contest, following))
    return redirect(url_for("judging.queue", slug=contest.slug))


# -- the organizer's pages -------------------------------------------------------------------


@bp.route("/<slug>/panel", methods=["GET", "POST"])
def panel(slug):
    contest = organizer_contest(slug)
    form = PanelForm()
    if form.validate_on_submit():
        emails = [line.strip() for line in form.emails.data.splitlines() if line.strip()]
        try:
            ops.assign_judges(contest, emails, _user())
        except DomainError as error:
            form.emails.errors.append(error.message)
        else:
            flash("The panel is saved.", "success")
            return redirect(url_for("judging.panel", slug=contest.slug))
    elif request.method == "GET":
        form.emails.data = "\n".join(judge.email for judge in ops.panel(contest))
    status = 422 if request.method == "POST" else 200
    return render_template("judging/panel.html", contest=contest, form=form,
                           judges=ops.panel(contest)), status


@bp.route("/<slug>/rubric", methods=["GET", "POST"])
def rubric(slug):
    contest = organizer_contest(slug)
    current = [ops.criterion_dict(c) for c in ops.rubric(contest)]
    form = rubric_form(current)  # on POST the submitted rows replace these
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            ops.set_rubric(contest, criteria_from(form), _user())
        except DomainError as refused:
            error = refused.message
        else:
            flash("The rubric is saved.", "success")
            return redirect(url_for("judging.rubric", slug=contest.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("judging/rubric.html", contest=contest, form=form, error=error,
                           scored=ops.scored_criteria(contest)), status
