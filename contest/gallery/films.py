"""A film's public page and its embeddable player."""
from flask import abort, make_response, redirect, render_template, url_for
from flask_login import current_user

from contest.gallery import bp
from contest.media.links import media_links
from contest.operations.films import get_film


@bp.get("/films/<public_id>")
def film(public_id):
    film = _visible_film(public_id)
    if film.status != "ready":
        return redirect(url_for("submit.film_status", public_id=film.public_id))
    return render_template("gallery/film.html", film=film, media=media_links(film))


@bp.get("/films/<public_id>/embed")
def embed(public_id):
    film = get_film(public_id)
    if film.status != "ready":
        abort(404)
    response = make_response(render_template("gallery/embed.html", film=film,
                                             media=media_links(film)))
    response.headers["Content-Security-Policy"] = "frame-ancestors *"
    return response


def _visible_film(public_id):
    """Published films for everyone; unpublished ones only for their filmmaker and organizers."""
    film = get_film(public_id)
    if film.status == "ready":
        return film
    user = current_user
    if user.is_authenticated and (user.id == film.owner_id or user.is_organizer):
        return film
    abort(404)
