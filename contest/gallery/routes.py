from flask import render_template

from contest import clock
from contest.extensions import db
from contest.gallery import bp
from contest.models import Contest
from contest.operations.contests import get_contest

# The home page's sections, in the order a visitor cares about them.
SECTIONS = [
    ("submissions", "Open for entries"),
    ("voting", "Voting now"),
    ("screening", "Entries closed, voting soon"),
    ("judging", "Judging"),
    ("upcoming", "Coming soon"),
    ("results", "Results"),
]


@bp.get("/")
def index():
    now = clock.now()
    contests = db.session.scalars(db.select(Contest).order_by(Contest.submissions_open_at)).all()
    by_phase = {phase: [] for phase, _ in SECTIONS}
    for contest in contests:
        by_phase[contest.phase(now)].append(contest)
    by_phase["results"].sort(key=lambda c: c.results_at, reverse=True)
    return render_template("gallery/index.html", sections=SECTIONS, by_phase=by_phase, now=now)


@bp.get("/contests/<slug>")
def contest(slug):
    contest = get_contest(slug)
    now = clock.now()
    return render_template(
        "gallery/contest.html",
        contest=contest,
        phase=contest.phase(now),
        next_deadline=contest.next_deadline(now),
        now=now,
    )

