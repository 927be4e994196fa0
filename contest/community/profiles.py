"""Public profiles (/u/<public_id>) and the form that edits your own."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from contest.community import bp
from contest.community.forms import ProfileForm
from contest.errors import DomainError
from contest.media.links import media_links
from contest.operations import profiles as ops


@bp.app_template_global()
def profile_url(user):
    return url_for("community.profile", public_id=user.public_id)


@bp.get("/u/<public_id>")
def profile(public_id):
    user = ops.get_profile_user(public_id)
    films = [(film, media_links(film)["thumbnail_url"], ops.awards_of(film))
             for film in ops.published_films(user)]
    return render_template("community/profile.html", person=user, films=films)


@bp.route("/settings/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            ops.update_profile(current_user, display_name=form.display_name.data,
                               bio=form.bio.data, website=form.website.data)
        except DomainError as error:
            form[error.field].errors = [*form[error.field].errors, error.message]
            return render_template("community/edit_profile.html", form=form), 422
        flash("Your profile is saved.", "success")
        return redirect(url_for("community.profile", public_id=current_user.public_id))
    status = 422 if request.method == "POST" else 200
    return render_template("community/edit_profile.html", form=form), status
