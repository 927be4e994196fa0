"""Console pages for the vote review: signals of fraud, the CSV, discarding votes."""
import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.admin import bp
from contest.admin.forms import DiscardForm
from contest.errors import DomainError
from contest.operations import vote_review as ops
from contest.operations.contests import get_contest

ROWS_SHOWN = 300


@bp.route("/contests/<slug>/votes", methods=["GET", "POST"])
def votes(slug):
    contest = get_contest(slug)
    form = DiscardForm()
    error = None
    if form.validate_on_submit():
        try:
            discarded, films = ops.discard_votes(contest, form.accounts.data, form.reason.data,
                                                 current_user._get_current_object())
        except DomainError as refused:
            error = refused.message
        else:
            flash(f"Discarded {discarded} vote{'s' * (discarded != 1)}; "
                  f"{films} film{'s' * (films != 1)} recounted.", "success")
            return redirect(url_for(".votes", slug=slug))
    elif request.method == "POST":
        error = "Choose accounts and give a reason."
    found = ops.review(contest)
    return render_template(
        "admin/votes.html", contest=contest, found=found, form=form, error=error,
        rows=found.rows[-ROWS_SHOWN:][::-1], rows_shown=ROWS_SHOWN, tab="votes",
        names={a.user.id: a.user for a in found.accounts},
        rules={"burst_votes": ops.BURST_VOTES, "burst_minutes": ops.BURST_WINDOW.seconds // 60,
               "shared": ops.SHARED_ACCOUNTS, "new_hours": ops.NEW_ACCOUNT.days * 24},
    ), 422 if error else 200


@bp.get("/contests/<slug>/votes.csv")
def votes_csv(slug):
    contest = get_contest(slug)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ops.CSV_COLUMNS)
    writer.writerows(ops.csv_rows(contest))
    headers = {"Content-Disposition": f'attachment; filename="{contest.slug}-vote-review.csv"',
               "Cache-Control": "no-store"}
    return Response(buffer.getvalue(), mimetype="text/csv", headers=headers)
