"""The standings of a contest: the judges' scores aggregated per film, sortable, as CSV.

The formula (also explained on the standings page):

1. A judge's score of a film is the weighted mean over the criteria that judge scored:
   m(j, f) = sum(w_c * s_c) / sum(w_c). Criteria with weight 0 count for nothing.
2. The film's weighted mean is the plain mean of m(j, f) over the judges who scored it.
3. The normalized score corrects harsh and lenient judges: each m(j, f) becomes a z-score
   against that judge's own scores, z(j, f) = (m(j, f) - mean_j) / sd_j, where mean_j and
   sd_j (population standard deviation) are taken over every eligible film judge j scored.
   A judge who scored a single film, or gave every film the same mean (sd_j = 0), has no
   spread to measure against: each of their films counts as exactly average for them
   (z = 0). The film's normalized score is the mean of its z(j, f): 0 is average, +1 is one
   of its judges' standard deviations above their average.

Which scores count: those of judges on the contest's panel now (removing a judge from the
panel takes their scores and nominations out of the standings; the rows stay, so adding the
judge back restores them), on eligible films, not on a film the judge declared a conflict
with, and not on the judge's own film.
"""
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import fmean, pstdev

from sqlalchemy.orm import joinedload

from contest.errors import DomainError
from contest.extensions import db
from contest.models import Film, JudgeAssignment, Review, Score
from contest.operations.judging import counted_scores_query, eligible_films_query, rubric

SORTS = ("title", "filmmaker", "mean", "judges", "normalized", "nominations", "votes",
         "verdict")
TEXT_SORTS = ("title", "filmmaker", "verdict")
CSV_COLUMNS = ("position", "film_id", "title", "filmmaker", "weighted_mean", "judges",
               "normalized", "nominations", "votes", "device_verdict")
SPREAD_EPSILON = 1e-9  # below this a judge's standard deviation is float noise: zero


# -- the math: plain values in, plain values out -------------------------------------------


@dataclass
class Aggregate:
    mean: float | None = None
    judges: int = 0
    normalized: float | None = None


def judge_film_means(scores, weights):
    """{(judge, film): weighted mean} from (judge, film, criterion, value) rows."""
    sums = defaultdict(lambda: [0.0, 0.0])
    for judge, film, criterion, value in scores:
        weight = weights.get(criterion, 0)
        if weight > 0:
            sums[judge, film][0] += weight * value
            sums[judge, film][1] += weight
    return {key: total / weight for key, (total, weight) in sums.items()}


def standardize(means):
    """{(judge, film): z-score of that mean among the judge's own means}."""
    by_judge = defaultdict(dict)
    for (judge, film), mean in means.items():
        by_judge[judge][film] = mean
    z = {}
    for judge, films in by_judge.items():
        centre = fmean(films.values())
        spread = pstdev(films.values(), centre)
        for film, mean in films.items():
            z[judge, film] = (mean - centre) / spread if spread > SPREAD_EPSILON else 0.0
    return z


def aggregate(scores, weights):
    """{film: Aggregate} from counted (judge, film, criterion, value) rows; see the module doc."""
    means = judge_film_means(scores, weights)
    z = standardize(means)
    per_film = defaultdict(list)
    for key, mean in means.items():
        per_film[key[1]].append((mean, z[key]))
    return {
        film: Aggregate(fmean(m for m, _ in pairs), len(pairs), fmean(n for _, n in pairs))
        for film, pairs in per_film.items()
    }


# -- standings ------------------------------------------------------------------------------


@dataclass
class Row:
    film: Film
    mean: float | None
    judges: int
    normalized: float | None
    nominations: int

    @property
    def votes(self):
        return self.film.vote_count

    @property
    def verdict(self):
        return self.film.device_verdict

    def value(self, column):
        if column == "title":
            return self.film.title.lower()
        if column == "filmmaker":
            return self.film.owner.display_name.lower()
        return getattr(self, column)


@dataclass
class Standings:
    criteria: list
    rows: list
    sort: str
    direction: str
    panel: int = 0
    notes: list = field(default_factory=list)


def standings(contest, sort="normalized", direction=None):
    """Every eligible film's row, sorted; seven queries whatever the number of films.

    Scores come from judging.counted_scores_query (panel, eligible films, current
    criteria); the predicate below checks panel, conflict and own film again on every
    score and nomination, so a stale row can never count.
    """
    direction = check_sort(sort, direction)
    criteria = rubric(contest)
    films = db.session.scalars(
        eligible_films_query(contest).options(joinedload(Film.owner))).unique().all()
    panel = set(db.session.scalars(
        db.select(JudgeAssignment.user_id).filter_by(contest_id=contest.id)))
    reviews = _reviews(contest)
    counts = _counter(panel, {film.id: film.owner_id for film in films}, reviews)
    scores = [row for row in _scores(contest) if counts(row[0], row[1])]
    results = aggregate(scores, {c.id: c.weight for c in criteria})
    nominations = defaultdict(int)
    for judge, film, nominated, _ in reviews:
        nominations[film] += bool(nominated and counts(judge, film))
    rows = [Row(film, *_figures(results.get(film.id)), nominations[film.id]) for film in films]
    return Standings(criteria, sort_rows(rows, sort, direction), sort, direction, len(panel))


def check_sort(sort, direction=None):
    """The direction to use; DomainError 400 for an unknown column or direction."""
    if sort not in SORTS:
        raise DomainError(f"Sort by one of: {', '.join(SORTS)}.", status=400, field="sort")
    direction = direction or ("asc" if sort in TEXT_SORTS else "desc")
    if direction not in ("asc", "desc"):
        raise DomainError("The direction is asc or desc.", status=400, field="dir")
    return direction


def sort_rows(rows, sort, direction):
    """Sorted by one column; ties by title; films without a value (no scores) always last."""
    rows = sorted(rows, key=lambda row: (row.film.title.lower(), row.film.id))
    present = [row for row in rows if row.value(sort) is not None]
    missing = [row for row in rows if row.value(sort) is None]
    present.sort(key=lambda row: row.value(sort), reverse=direction == "desc")
    return present + missing


def _figures(result):
    result = result or Aggregate()
    return result.mean, result.judges, result.normalized


def _scores(contest):
    return db.session.execute(counted_scores_query(contest).with_only_columns(
        Score.judge_id, Score.film_id, Score.criterion_id, Score.value)).all()


def _reviews(contest):
    return db.session.execute(
        db.select(Review.judge_id, Review.film_id, Review.nominated, Review.conflict)
        .join(Film, Film.id == Review.film_id).where(Film.contest_id == contest.id)).all()


def _counter(panel, owners, reviews):
    """A predicate: does judge's work on film count? (panel, eligible, no conflict, not own)"""
    conflicts = {(judge, film) for judge, film, _, conflict in reviews if conflict}

    def counts(judge, film):
        return (judge in panel and film in owners and owners[film] != judge
                and (judge, film) not in conflicts)

    return counts


def standings_csv(table):
    """The standings as CSV text, in the table's order; numbers with three decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for position, row in enumerate(table.rows, 1):
        writer.writerow([position, row.film.public_id, _cell(row.film.title),
                         _cell(row.film.owner.display_name), _number(row.mean), row.judges,
                         _number(row.normalized), row.nominations, row.votes, row.verdict or ""])
    return buffer.getvalue()


def _number(value):
    return "" if value is None else f"{value:.3f}"


def _cell(text):
    # A spreadsheet runs a cell that starts like a formula; a quote keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
