"""A film's public page, its embeddable player, oEmbed, and the filmmaker's edits."""
import re
import secrets
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from jinja2 import TemplateNotFound
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from contest.errors import DomainError, json_error
from contest.extensions import db
from contest.gallery import bp
from contest.gallery.forms import CaptionsForm, FilmEditForm, RemoveCaptionsForm, WithdrawForm
from contest.gallery.page_cache import cached_page, shareable
from contest.gallery.sharing import captions_for, external_url, oembed_for, player_for, sharing_for
from contest.media.links import media_links
from contest.models import Film
from contest.operations import film_page as ops
from contest.operations.films import get_film

VISITOR_COOKIE = "visitor"
VISITOR_VALUE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
YEAR_S = 365 * 24 * 3600


# -- the public pages ------------------------------------------------------------------------


@bp.get("/films/<public_id>")
def film(public_id):
    film = get_film(public_id)
    if not ops.can_see(film, current_user):
        abort(404)
    if film.status != "ready":
        return redirect(url_for("submit.film_status", public_id=film.public_id))
    new_cookie = _count_visit(film, ref=request.args.get("ref"))
    if shareable() and ops.is_published(film):
        # Counted above; the page itself is the same for every anonymous visitor.
        html = cached_page(f"film:{film.public_id}", "FILM_CACHE_S", lambda: _film_page(film))
    else:
        html = _film_page(film)
    response = make_response(html)
    _set_visitor_cookie(response, new_cookie)
    return response


def _film_page(film):
    media = media_links(film)
    return render_template(
        "gallery/film.html", film=film, contest=film.contest, media=media,
        player=player_for(film, media), share=sharing_for(film, media),
        more=[(f, media_links(f)["thumbnail_url"]) for f in ops.other_films_by(film)],
        can_manage=ops.can_manage(film, current_user),
        show_votes=ops.votes_visible(film), vote_panel=_vote_panel(film),
    )


@bp.get("/films/<public_id>/embed")
def embed(public_id):
    film = get_film(public_id)
    if not ops.is_published(film):
        abort(404)
    new_cookie = _count_visit(film)
    media = media_links(film)
    canonical = external_url("gallery.film", public_id=film.public_id)
    response = make_response(render_template(
        "gallery/embed.html", film=film, media=media, player=player_for(film, media),
        canonical=canonical, watch_url=canonical + "?ref=embed"))
    # Any site may frame this page (create_app sends no X-Frame-Options for *.embed).
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    _set_visitor_cookie(response, new_cookie)
    return response


@bp.get("/oembed")
def oembed():
    """oEmbed 1.0 for film pages (JSON only): https://oembed.com/"""
    if request.args.get("format", "json") != "json":
        return json_error(501, "Only format=json is available.", "not_implemented")
    public_id = _film_id_from_url(request.args.get("url", ""))
    if public_id is None:
        return json_error(400, "url must be the address of a film page of this site.")
    film = db.session.scalar(db.select(Film).filter_by(public_id=public_id))
    if film is None or not ops.is_published(film):
        return json_error(404, "No published film has that address.")
    try:
        box = (_limit("maxwidth"), _limit("maxheight"))
    except ValueError:
        return json_error(400, "maxwidth and maxheight are whole numbers of pixels.")
    response = jsonify(oembed_for(film, media_links(film), *box))
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# -- the filmmaker's pages -------------------------------------------------------------------


@bp.route("/films/<public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id):
    film = _managed_film(public_id)
    form = FilmEditForm(obj=film)
    if not form.validate_on_submit():
        return _edit_page(film, 422 if request.method == "POST" else 200, edit_form=form)
    try:
        ops.update_film(film, current_user, title=form.title.data,
                        description=form.description.data)
    except DomainError as error:
        return _refused(film, error, edit_form=form)
    flash("Your changes are saved.", "success")
    return redirect(url_for("gallery.film", public_id=film.public_id))


@bp.post("/films/<public_id>/captions")
@login_required
def captions(public_id):
    film = _managed_film(public_id)
    # Refuse a huge body before reading it: captions are small.
    request.max_content_length = ops.CAPTIONS_MAX_BYTES + 64 * 1024
    try:
        form = CaptionsForm()
    except RequestEntityTooLarge:
        too_large = DomainError(f"A captions file can be at most {ops.CAPTIONS_MAX_BYTES // 1024}"
                                " KB.", status=413, field="file")
        return _refused(film, too_large, captions_form=CaptionsForm(formdata=None))
    if not form.validate_on_submit():
        return _edit_page(film, 422, captions_form=form)
    try:
        ops.set_captions(film, current_user, form.file.data.stream,
                         language=form.language.data.strip())
    except DomainError as error:
        return _refused(film, error, captions_form=form)
    flash("Captions added: viewers can turn them on in the player.", "success")
    return redirect(url_for("gallery.edit", public_id=film.public_id))


@bp.post("/films/<public_id>/captions/delete")
@login_required
def remove_captions(public_id):
    film = _managed_film(public_id)
    if not RemoveCaptionsForm().validate_on_submit():
        abort(400)
    ops.remove_captions(film, current_user)
    flash("Captions removed.", "success")
    return redirect(url_for("gallery.edit", public_id=film.public_id))


@bp.post("/films/<public_id>/withdraw")
@login_required
def withdraw(public_id):
    film = _managed_film(public_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _edit_page(film, 422, withdraw_form=form)
    try:
        ops.withdraw_film(film, current_user)
    except DomainError as error:
        return _refused(film, error, withdraw_form=form)
    flash("Your film is withdrawn: it no longer appears in the contest.", "success")
    return redirect(url_for("gallery.edit", public_id=film.public_id))


def _managed_film(public_id):
    """The film for its filmmaker and organizers; 403 for others who can see it, else 404."""
    film = get_film(public_id)
    if not ops.can_manage(film, current_user):
        abort(403 if ops.can_see(film, current_user) else 404)
    return film


def _edit_page(film, status=200, **forms):
    forms.setdefault("edit_form", FilmEditForm(formdata=None, obj=film))
    forms.setdefault("captions_form", CaptionsForm(formdata=None))
    forms.setdefault("remove_captions_form", RemoveCaptionsForm(formdata=None))
    forms.setdefault("withdraw_form", WithdrawForm(formdata=None))
    captions = captions_for(film)
    return render_template("gallery/edit.html", film=film, contest=film.contest,
                           captions=captions, published=ops.is_published(film),
                           can_withdraw=ops.can_withdraw(film, current_user), **forms), status


def _refused(film, error, **forms):
    """Show a rule's refusal on the field it concerns (or the form's first field)."""
    form = next(iter(forms.values()))
    field = form[error.field] if error.field and error.field in form else next(iter(form))
    field.errors = [*field.errors, error.message]
    return _edit_page(film, error.status, **forms)


# -- views and shares ------------------------------------------------------------------------


def _count_visit(film, ref=None):
    """Count the view (and the share channel); return a new visitor cookie to set, if any."""
    agent = request.headers.get("User-Agent", "")
    if (not ops.is_published(film) or request.method != "GET" or ops.is_robot(agent)
            or _is_prefetch() or current_user.get_id() == film.owner.get_id()):
        return None  # the filmmaker's own visits are not an audience
    if ref:
        ops.count_share_visit(film, ref)
    cookie = request.cookies.get(VISITOR_COOKIE, "")
    if VISITOR_VALUE.match(cookie):
        ops.record_view(film, f"cookie:{cookie}")
        return None
    # No cookie yet: known by address and browser today, and by the new cookie from now on.
    cookie = secrets.token_urlsafe(18)
    ops.record_view(film, f"addr:{request.remote_addr}|{agent}", aliases=[f"cookie:{cookie}"])
    return cookie


def _is_prefetch():
    purpose = " ".join(request.headers.get(h, "") for h in ("Sec-Purpose", "Purpose", "X-Moz"))
    return "prefetch" in purpose.lower()


def _set_visitor_cookie(response, value):
    if value:
        response.set_cookie(VISITOR_COOKIE, value, max_age=YEAR_S, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])


def _film_id_from_url(url):
    """The public id in a film or embed URL of this site, else None."""
    parts = urlsplit(url.strip())
    host = current_app.config.get("SERVER_NAME") or request.host
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        return None
    root = request.script_root or ""
    if not parts.path.startswith(root + "/"):
        return None
    try:
        endpoint, args = current_app.url_map.bind(host).match(parts.path[len(root):],
                                                               method="GET")
    except HTTPException:
        return None
    return args["public_id"] if endpoint in ("gallery.film", "gallery.embed") else None


def _limit(name):
    value = request.args.get(name)
    if value in (None, ""):
        return None
    number = int(value)
    if number < 1:
        raise ValueError(name)
    return number


def _vote_panel(film):
    """The voting box (gallery/_vote.html) when the site has one, else None."""
    try:
        html = render_template("gallery/_vote.html", film=film, contest=film.contest,
                               voted=ops.has_voted(film, current_user))
    except TemplateNotFound:
        return None
    return Markup(html)
