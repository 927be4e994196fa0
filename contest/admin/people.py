"""Console pages for people: accounts and roles, suspension, and the moderation queue."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.admin import bp
from contest.admin.forms import ActionForm, ReasonForm, RoleForm
from contest.errors import DomainError
from contest.operations import admin as ops
from contest.operations import moderation
from contest.operations.contests import get_contest

DECISIONS = {
    "hide": (moderation.hide, "Hidden; the author sees your reason."),
    "restore": (moderation.restore, "Shown again."),
    "dismiss": (moderation.dismiss, "The reports are dismissed."),
    "suspend": (moderation.suspend_author, "The author's account is suspended."),
}


def _user():
    return current_user._get_current_object()


def _check(form):
    if not form.validate_on_submit():
        abort(400, "The form expired or is incomplete; reload the page and try again.")


# -- accounts and roles ----------------------------------------------------------------------


@bp.get("/users")
def users():
    q = request.args.get("q", "")
    return render_template("admin/users.html", users=ops.find_users(q), q=q, tab="users")


@bp.get("/users/<public_id>")
def user(public_id):
    return render_template("admin/user.html", person=moderation.get_user(public_id),
                           role_form=RoleForm(formdata=None), action=ActionForm(formdata=None),
                           reason_form=ReasonForm(formdata=None), tab="users")


@bp.post("/users/<public_id>/role")
def role(public_id):
    person = moderation.get_user(public_id)
    form = RoleForm()
    _check(form)
    _act(ops.set_role, person, form.role.data, form.grant.data == "1", _user(),
         done="The roles are saved.")
    return redirect(url_for(".user", public_id=public_id))


@bp.post("/users/<public_id>/suspend")
def suspend(public_id):
    person = moderation.get_user(public_id)
    form = ReasonForm()
    _check(form)
    _act(moderation.suspend_user, person, _user(), form.reason.data,
         done="The account is suspended: it can no longer sign in, vote or comment.")
    return redirect(url_for(".user", public_id=public_id))


@bp.post("/users/<public_id>/unsuspend")
def unsuspend(public_id):
    person = moderation.get_user(public_id)
    _check(ActionForm())
    _act(moderation.unsuspend_user, person, _user(), done="The account is active again.")
    return redirect(url_for(".user", public_id=public_id))


def _act(operation, *args, done):
    try:
        operation(*args)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(done, "success")


# -- the moderation queue --------------------------------------------------------------------


@bp.get("/moderation")
def reports():
    slug = request.args.get("contest")
    contest = get_contest(slug) if slug else None
    return render_template("admin/moderation.html", cases=moderation.queue(contest),
                           filtered=contest, action=ActionForm(formdata=None),
                           reason_form=ReasonForm(formdata=None), tab="moderation")


@bp.post("/moderation/<kind>/<public_id>/<decision>")
def decide(kind, public_id, decision):
    if decision not in DECISIONS:
        abort(404)
    target = moderation.find_target(kind, public_id)
    operation, done = DECISIONS[decision]
    if decision in ("hide", "suspend"):
        form = ReasonForm()
        _check(form)
        _act(operation, target, _user(), form.reason.data, done=done)
    else:
        _check(ActionForm())
        _act(operation, target, _user(), done=done)
    return redirect(url_for(".reports", contest=request.form.get("contest") or None))
