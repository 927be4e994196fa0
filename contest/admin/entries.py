"""Console pages for entries: the list, one film with its evidence, decisions, originals."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.admin import bp
from contest.admin.forms import ActionForm, ReasonForm
from contest.errors import DomainError
from contest.jobs import film_progress
from contest.operations import admin as ops
from contest.operations.contests import get_contest
from contest.operations.films import get_film


def _user():
    return current_user._get_current_object()


@bp.get("/contests/<slug>/films")
def films(slug):
    contest = get_contest(slug)
    return render_template("admin/films.html", contest=contest, films=ops.contest_films(contest),
                           tab="films")


@bp.get("/films/<public_id>")
def film(public_id):
    return _film_page(get_film(public_id))


def _film_page(film, form=None, status=200):
    evidence = dict(film.device_evidence or {})
    device = {"verdict": film.device_verdict, "make": film.device_make,
              "model": film.device_model, **evidence}
    return render_template(
        "admin/film.html", film=film, contest=film.contest, view={"device": device},
        reason_form=form or ReasonForm(formdata=None), action=ActionForm(formdata=None),
        progress=film_progress(film), tab="films"), status


@bp.post("/films/<public_id>/disqualify")
def disqualify(public_id):
    return _decide(public_id, ops.disqualify, "The film is disqualified.")


@bp.post("/films/<public_id>/hide")
def hide(public_id):
    return _decide(public_id, ops.hide, "The film is hidden from the public.")


def _decide(public_id, operation, message):
    film = get_film(public_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _film_page(film, form, 422)
    try:
        operation(film, _user(), form.reason.data)
    except DomainError as error:
        form.reason.errors = [error.message]
        return _film_page(film, form, error.status)
    flash(message + " The filmmaker sees your reason.", "success")
    return redirect(url_for(".film", public_id=film.public_id))


@bp.post("/films/<public_id>/restore")
def restore(public_id):
    film = get_film(public_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    ops.restore(film, _user())
    flash("The film is back in the contest and in public view.", "success")
    return redirect(url_for(".film", public_id=film.public_id))


@bp.get("/films/<public_id>/original")
def original(public_id):
    """A redirect to a five-minute link to the private original."""
    return redirect(ops.original_link(get_film(public_id), _user()))


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id):
    job = ops.get_job(job_id)
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired; reload the page and try again.")
    try:
        ops.retry(job, _user())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("The job is queued again.", "success")
    back = request.form.get("back")
    if back == "film" and job.film is not None:
        return redirect(url_for(".film", public_id=job.film.public_id))
    slug = job.film.contest.slug if job.film is not None else None
    return redirect(url_for(".dashboard", slug=slug) if slug else url_for(".index"))
