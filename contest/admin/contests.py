"""Console pages for contests: the list, the settings form, the dashboard, the preview."""
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from contest import clock, text
from contest.admin import bp
from contest.admin.charts import bar_chart, line_chart
from contest.admin.forms import ContestForm, TimeZoneForm
from contest.errors import DomainError
from contest.operations import admin as ops
from contest.operations import moderation
from contest.operations.contests import default_schedule, get_contest
from contest.operations.dashboard import dashboard as dashboard_figures

PREVIEW_MAX = 20000


def _user():
    return current_user._get_current_object()


@bp.context_processor
def console_helpers():
    """local_time(dt): a stored UTC time in the signed-in organizer's zone (console pages)."""
    if not getattr(current_user, "is_organizer", False):
        return {}
    zone = ops.zone_of(current_user)

    def local_time(value):
        return ops.to_local(value, zone).strftime("%-d %b %Y, %H:%M") if value else ""

    return {"local_time": local_time, "zone_name": zone.key,
            "tz_form": TimeZoneForm(formdata=None, time_zone=zone.key,
                                            next=request.full_path),
            "open_reports": moderation.open_reports_total()}


@bp.get("/")
def index():
    return render_template("admin/index.html", contests=ops.contests_overview())


@bp.route("/contests/new", methods=["GET", "POST"])
def new_contest():
    form = ContestForm()
    zone = ops.zone_of(current_user)
    if request.method == "GET":
        form.fill_new(default_schedule(), zone)
    return _save(form, None, zone)


@bp.route("/contests/<slug>/edit", methods=["GET", "POST"])
def edit_contest(slug):
    contest = get_contest(slug)
    form = ContestForm()
    zone = ops.zone_of(current_user)
    if request.method == "GET":
        form.fill(contest, zone)
    return _save(form, contest, zone)


def _save(form, contest, zone):
    error = None
    if form.validate_on_submit():
        try:
            data, extras = form.values(zone)
            banner = ops.check_banner(form.banner.data.stream) if form.banner.data else None
            contest = ops.save_contest(contest, form.slug.data, data, _user(), extras=extras,
                                       banner=banner, drop_banner=form.remove_banner.data)
        except DomainError as refused:
            error = form.show_error(refused)
        else:
            flash("The contest is saved.", "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    status = 422 if request.method == "POST" else 200
    if contest is not None:
        contest = get_contest(contest.slug)  # fresh after a refused change
    return render_template("admin/contest_form.html", form=form, contest=contest, error=error,
                           banner_url=ops.banner_url(contest) if contest else None), status


@bp.get("/contests/<slug>")
def dashboard(slug):
    contest = get_contest(slug)
    board = dashboard_figures(contest)
    return render_template(
        "admin/dashboard.html", contest=contest, board=board, tab="dashboard", now=clock.now(),
        votes_chart=bar_chart(board.votes_by_day, "Votes a day"),
        views_chart=line_chart(board.views_by_day, "Views a day"))


@bp.post("/preview")
def preview():
    """The site's own sanitized rendering of Markdown, so the preview is the result."""
    source = request.form.get("text", "")
    if len(source) > PREVIEW_MAX:
        abort(413, f"Previews take up to {PREVIEW_MAX} characters.")
    return jsonify({"html": str(text.markdown(source))})


@bp.post("/time-zone")
def time_zone():
    form = TimeZoneForm()
    if not form.validate_on_submit():
        abort(400, "Choose a time zone from the list.")
    ops.set_time_zone(_user(), form.time_zone.data)
    flash(f"Times are now shown in {form.time_zone.data}.", "success")
    return redirect(_local_next(form.next.data) or url_for(".index"))


def _local_next(target):
    """Only a path on this site (never another host) to go back to."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
