"""A contest's dashboard for organizers: every figure in a fixed number of queries."""
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, lazyload

from contest import clock
from contest.extensions import db
from contest.models import (
    Contest,
    Criterion,
    Film,
    FilmView,
    Job,
    JudgeAssignment,
    Review,
    Score,
    ShareCount,
    User,
    Vote,
)
from contest.operations.judging import eligible_films_query

CHART_DAYS = 92
TOP_FILMS = 10


@dataclass
class JudgeProgress:
    judge: User
    scored: int
    queue: int


@dataclass
class Dashboard:
    contest: Contest
    statuses: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)
    disqualified: int = 0
    hidden: int = 0
    failed_jobs: list = field(default_factory=list)
    waiting_jobs: int = 0
    votes_by_day: list = field(default_factory=list)
    views_by_day: list = field(default_factory=list)
    top_films: list = field(default_factory=list)
    refs: list = field(default_factory=list)
    judges: list = field(default_factory=list)

    @property
    def entries(self):
        return sum(self.statuses.values())


def dashboard(contest):
    """Every figure of a contest's dashboard in a fixed number of queries."""
    board = Dashboard(contest)
    _count_entries(board)
    _count_jobs(board)
    today = clock.now().date()
    votes = dict(db.session.execute(
        select(func.date(Vote.created_at), func.count(Vote.id))
        .where(Vote.contest_id == contest.id).group_by(func.date(Vote.created_at))).all())
    board.votes_by_day = daily(votes, contest.voting_open_at.date(),
                               min(today, contest.voting_close_at.date()))
    views = dict(db.session.execute(
        select(FilmView.day, func.count(FilmView.id)).join(Film, Film.id == FilmView.film_id)
        .where(Film.contest_id == contest.id).group_by(FilmView.day)).all())
    board.views_by_day = daily(views, contest.submissions_open_at.date(), today)
    board.top_films = db.session.scalars(
        select(Film).where(Film.contest_id == contest.id, Film.in_competition)
        .options(joinedload(Film.owner), lazyload(Film.renditions))
        .order_by(Film.vote_count.desc(), Film.view_count.desc(), Film.id)
        .limit(TOP_FILMS)).all()
    board.refs = db.session.execute(
        select(ShareCount.ref, func.sum(ShareCount.visits).label("visits"))
        .where(ShareCount.contest_id == contest.id).group_by(ShareCount.ref)
        .order_by(func.sum(ShareCount.visits).desc(), ShareCount.ref)).all()
    board.judges = judging_progress(contest)
    return board


def _count_entries(board):
    flag = lambda column: func.sum(case((column.is_not(None), 1), else_=0))  # noqa: E731
    rows = db.session.execute(
        select(Film.status, Film.device_verdict, func.count(Film.id),
               flag(Film.disqualified_at), flag(Film.hidden_at))
        .where(Film.contest_id == board.contest.id)
        .group_by(Film.status, Film.device_verdict)).all()
    for status, verdict, n, disqualified, hidden in rows:
        board.statuses[status] = board.statuses.get(status, 0) + n
        key = verdict or "unchecked"
        board.verdicts[key] = board.verdicts.get(key, 0) + n
        board.disqualified += disqualified or 0
        board.hidden += hidden or 0


def _count_jobs(board):
    rows = db.session.scalars(
        select(Job).join(Film, Film.id == Job.film_id)
        .where(Film.contest_id == board.contest.id, Job.state.in_(("queued", "running",
                                                                      "failed")))
        .options(joinedload(Job.film).joinedload(Film.owner),
                 joinedload(Job.film).lazyload(Film.renditions))
        .order_by(Job.id.desc())).unique().all()
    board.failed_jobs = [job for job in rows if job.state == "failed"]
    board.waiting_jobs = len(rows) - len(board.failed_jobs)


def daily(counts, start, end):
    """[(day, count)] for every day from start to end (widened to the data, at most
    CHART_DAYS days, the latest kept); counts maps a day (date or 'YYYY-MM-DD') to a number."""
    by_day = {d if isinstance(d, date) else date.fromisoformat(str(d)[:10]): n
              for d, n in counts.items()}
    if by_day:
        start, end = min(start, *by_day), max(end, *by_day)
    end = max(end, start)
    start = max(start, end - timedelta(days=CHART_DAYS - 1))
    days = (end - start).days + 1
    return [(start + timedelta(days=i), by_day.get(start + timedelta(days=i), 0))
            for i in range(days)]


def judging_progress(contest):
    """Per judge on the panel: films fully scored and the size of their queue."""
    judges = db.session.scalars(
        select(User).join(JudgeAssignment, JudgeAssignment.user_id == User.id)
        .where(JudgeAssignment.contest_id == contest.id).order_by(User.display_name)).all()
    if not judges:
        return []
    criteria = db.session.scalar(select(func.count(Criterion.id))
                                 .where(Criterion.contest_id == contest.id))
    # The films judging counts, as the judges' own queues do (one definition).
    films = db.session.execute(
        eligible_films_query(contest).with_only_columns(Film.id, Film.owner_id)).all()
    conflicts = set(db.session.execute(
        select(Review.judge_id, Review.film_id).join(Film, Film.id == Review.film_id)
        .where(Film.contest_id == contest.id, Review.conflict.is_(True))).all())
    complete = {(judge, film) for judge, film, n in db.session.execute(
        select(Score.judge_id, Score.film_id, func.count(Score.id))
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(Criterion.contest_id == contest.id)
        .group_by(Score.judge_id, Score.film_id)) if criteria and n >= criteria}
    progress = []
    for judge in judges:
        queue = [f for f, owner in films if owner != judge.id and (judge.id, f) not in conflicts]
        progress.append(JudgeProgress(judge, sum((judge.id, f) in complete for f in queue),
                                      len(queue)))
    return progress
