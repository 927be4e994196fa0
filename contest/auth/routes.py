from flask import redirect, url_for
from flask_login import logout_user

from contest.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return "sign in: to be built", 200


@bp.route("/register", methods=["GET", "POST"])
def register():
    return "sign up: to be built", 200


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("gallery.index"))
