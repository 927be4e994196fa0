"""Judging: the panel, the rubric, a judge's queue, scores, reviews and the blind view.

Decisions (the README repeats them):
- Assigning someone to a panel makes them a judge: is_judge is granted when missing.
  Leaving a panel keeps the role and the rows, but counted_scores_query() and
  counted_reviews_query() only count judges who are on the panel now.
- Judges score, nominate and change their notes from the time voting opens until the
  organizer confirms the results; before and after, the pages are read-only.
  Conflicts can be declared (and taken back) until the results are confirmed.
- Declaring a conflict deletes the judge's scores of that film and drops their
  nomination, in the same commit, with the old values in the audit log: standings can
  never count them by mistake. Taking the conflict back does not bring them back.
- Partial scoring is allowed: a film is "scored" once every criterion has a score.
  Scores are whole numbers within the criterion's scale; null clears one.
- A criterion that has scores cannot be deleted or change its scale (renaming is a
  delete): judges' numbers would lose their meaning. Weights and descriptions may change.
"""
import hashlib
import math
from dataclasses import dataclass, field

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Contest, Criterion, Film, JudgeAssignment, Review, Score, User
from contest.models.judging import DEFAULT_CRITERIA
from contest.operations import audit, notifications
from contest.operations.users import find_by_email

DEFAULT_DESCRIPTIONS = {
    "Story": "Does it hold the viewer from the first shot to the last?",
    "Craft": "Framing, light, sound and editing.",
    "Use of the phone": "Does it make the most of what this phone can and cannot do?",
    "Originality": "Something we have not seen before.",
}
NAME_MAX, DESCRIPTION_MAX, CRITERIA_MAX, NOTE_MAX = 60, 1000, 20, 10000


def eligible_films_query(contest):
    """Films that take part in judging: published, not withdrawn or disqualified."""
    return select(Film).where(Film.contest_id == contest.id, Film.in_competition)


def is_eligible(film):
    return film.in_competition


# -- the panel -------------------------------------------------------------------------------


def panel(contest):
    """The contest's judges, by name."""
    return db.session.scalars(
        select(User).join(JudgeAssignment, JudgeAssignment.user_id == User.id)
        .where(JudgeAssignment.contest_id == contest.id)
        .order_by(User.display_name, User.id)).all()


def is_judge_of(user, contest):
    """A judge of this contest: the judge role and a seat on its panel."""
    if not (user and user.is_authenticated and user.is_judge):
        return False
    return db.session.scalar(select(exists().where(
        JudgeAssignment.contest_id == contest.id, JudgeAssignment.user_id == user.id)))


def can_view_judging(user, contest):
    """Judges of the contest and organizers reach its judging pages and API."""
    return bool(user and user.is_authenticated and user.is_organizer) or is_judge_of(user, contest)


def judged_contests(user):
    """Contests whose panel the user sits on (organizers: every contest)."""
    stmt = select(Contest).order_by(Contest.voting_open_at.desc())
    if user.is_organizer:
        return db.session.scalars(stmt).all()
    if not user.is_judge:
        return []
    return db.session.scalars(stmt.join(JudgeAssignment).where(
        JudgeAssignment.user_id == user.id)).all()


def assign_judges(contest, emails, actor):
    """Replace the contest's panel with these accounts; grants is_judge where missing.

    Every email must belong to an account: otherwise DomainError 422 lists the unknown
    ones and nothing changes.
    """
    users, unknown = _users_by_email(emails)
    if unknown:
        raise DomainError("No account has these emails: " + ", ".join(unknown) + ".",
                          field="judges")
    before = [u.email for u in panel(contest)]
    granted = [u.email for u in users if not u.is_judge]
    for user in users:
        user.is_judge = True
    seats = {s.user_id: s for s in db.session.scalars(
        select(JudgeAssignment).filter_by(contest_id=contest.id))}
    wanted = {u.id for u in users}
    for user_id in seats.keys() - wanted:
        db.session.delete(seats[user_id])
    db.session.add_all(JudgeAssignment(contest_id=contest.id, user_id=user_id)
                       for user_id in wanted - seats.keys())
    for user in users:
        if user.id not in seats:
            notifications.notify_judge_assigned(user, contest, commit=False)
    after = sorted(u.email for u in users)
    audit.record(actor, contest, "panel.set", contest.slug, {"judges": sorted(before)},
                 {"judges": after, "granted_judge_role": sorted(granted)})
    db.session.commit()
    return panel(contest)


def _users_by_email(emails):
    users, unknown = {}, []
    for raw in emails:
        user = find_by_email(str(raw))
        if user is None:
            unknown.append(str(raw))
        else:
            users[user.id] = user
    return list(users.values()), unknown


# -- the rubric ------------------------------------------------------------------------------


def ensure_rubric(contest):
    """Give a contest without criteria the default four (1-10, equal weights)."""
    if db.session.scalar(select(exists().where(Criterion.contest_id == contest.id))):
        return
    db.session.add_all(
        Criterion(contest_id=contest.id, name=name, description=DEFAULT_DESCRIPTIONS[name],
                  weight=1.0, min_score=1, max_score=10, position=i)
        for i, name in enumerate(DEFAULT_CRITERIA))
    try:
        db.session.commit()
    except IntegrityError:  # another request made them first
        db.session.rollback()


def rubric(contest):
    """The contest's criteria in order, made on first read."""
    ensure_rubric(contest)
    return db.session.scalars(select(Criterion).filter_by(contest_id=contest.id)
                              .order_by(Criterion.position, Criterion.id)).all()


def criterion_dict(criterion):
    return {"name": criterion.name, "description": criterion.description,
            "weight": criterion.weight, "min": criterion.min_score, "max": criterion.max_score}


def set_rubric(contest, criteria, actor):
    """Replace the rubric with a list of {name, description, weight, min, max}.

    Criteria are matched by name. One that already has scores keeps its scale and
    cannot be removed (409).
    """
    wanted = clean_rubric(criteria)
    current = {c.name: c for c in rubric(contest)}
    scored = _scored_criterion_ids(contest)
    _check_scored_kept(current, wanted, scored)
    before = [criterion_dict(c) for c in current.values()]
    for name, old in current.items():
        if name not in wanted:
            db.session.delete(old)
    db.session.flush()
    for position, (name, values) in enumerate(wanted.items()):
        row = current.get(name) or Criterion(contest_id=contest.id, name=name)
        row.description, row.weight = values["description"], values["weight"]
        row.min_score, row.max_score, row.position = values["min"], values["max"], position
        db.session.add(row)
    audit.record(actor, contest, "rubric.set", contest.slug, {"criteria": before},
                 {"criteria": list(wanted.values())})
    db.session.commit()
    return rubric(contest)


def clean_rubric(criteria):
    """Checked criteria by name, in order; DomainError 422 naming the first fault."""
    if not isinstance(criteria, list) or not 1 <= len(criteria) <= CRITERIA_MAX:
        raise DomainError(f"A rubric has 1 to {CRITERIA_MAX} criteria.", field="criteria")
    cleaned = {}
    for i, item in enumerate(criteria, 1):
        values = _clean_criterion(item, i)
        if values["name"].lower() in {n.lower() for n in cleaned}:
            raise DomainError(f"Two criteria are called {values['name']}.", field="criteria")
        cleaned[values["name"]] = values
    return cleaned


def _clean_criterion(item, i):
    where = f"Criterion {i}"
    if not isinstance(item, dict):
        raise DomainError(f"{where} must be an object.", field="criteria")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        raise DomainError(f"{where} needs a name of 1 to {NAME_MAX} characters.", field="name")
    description = item.get("description") or ""
    if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
        raise DomainError(f"{where}: a description is text of up to {DESCRIPTION_MAX} "
                          "characters.", field="description")
    weight, low, high = item.get("weight", 1), item.get("min", 1), item.get("max", 10)
    if not _number(weight) or weight <= 0:
        raise DomainError(f"{where}: the weight must be a number above 0.", field="weight")
    if not (_whole(low) and _whole(high)) or low >= high:
        raise DomainError(f"{where}: min and max are whole numbers, min below max.",
                          field="min")
    return {"name": name.strip(), "description": description.strip(), "weight": float(weight),
            "min": int(low), "max": int(high)}


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value):
    return _number(value) and float(value).is_integer() and abs(value) <= 1_000_000


def scored_criteria(contest):
    """Names of the criteria that already have scores (their scale is fixed)."""
    ids = _scored_criterion_ids(contest)
    return {c.name for c in rubric(contest) if c.id in ids}


def _scored_criterion_ids(contest):
    return set(db.session.scalars(
        select(Score.criterion_id).join(Criterion, Criterion.id == Score.criterion_id)
        .where(Criterion.contest_id == contest.id).distinct()))


def _check_scored_kept(current, wanted, scored):
    for name, row in current.items():
        if row.id not in scored:
            continue
        if name not in wanted:
            raise DomainError(f"{name} already has scores, so it cannot be removed.",
                              status=409, field="criteria")
        if (wanted[name]["min"], wanted[name]["max"]) != (row.min_score, row.max_score):
            raise DomainError(f"{name} already has scores, so its scale stays "
                              f"{row.min_score}-{row.max_score}.", status=409, field="criteria")


# -- when judges may act ---------------------------------------------------------------------


def scoring_open(contest, at=None):
    """From the time voting opens until the organizer confirms the results."""
    at = at or clock.now()
    return contest.voting_open_at <= at and contest.results_confirmed_at is None


def check_scoring_open(contest):
    if contest.results_confirmed_at is not None:
        raise DomainError("The results are confirmed: judging is closed.", status=403,
                          code="judging_closed")
    if not scoring_open(contest):
        raise DomainError("Judging opens when voting opens.", status=403,
                          code="judging_closed")


def check_can_review(film, judge):
    """Raise unless judge may score, nominate or declare a conflict on film."""
    if not is_eligible(film):
        raise DomainError("No film has that address.", status=404)
    if not is_judge_of(judge, film.contest):
        raise DomainError("Only judges on this contest's panel judge its films.", status=403)
    if film.owner_id == judge.id:
        raise DomainError("You cannot judge your own film.", status=403)


# -- the queue -------------------------------------------------------------------------------


@dataclass
class QueueItem:
    film: Film
    review: Review | None
    scores: dict = field(default_factory=dict)  # criterion name -> value
    complete: bool = False


def queue(contest, judge):
    """Eligible films for this judge: not their own, no conflict; a stable per-judge order.

    Each judge gets the films in a different order, so no film is always seen first
    (or last, by a tired judge).
    """
    criteria = rubric(contest)
    reviews = _reviews_of(contest, judge)
    films = [f for f in db.session.scalars(
                 eligible_films_query(contest).options(joinedload(Film.owner)))
             if f.owner_id != judge.id and not getattr(reviews.get(f.id), "conflict", False)]
    films.sort(key=lambda f: hashlib.sha256(f"{judge.id}:{f.public_id}".encode()).digest())
    scores = _scores_of(judge, [f.id for f in films], criteria)
    return [QueueItem(f, reviews.get(f.id), scores.get(f.id, {}),
                      len(scores.get(f.id, {})) == len(criteria)) for f in films]


def progress(items):
    """(films fully scored, films in the queue)."""
    return sum(item.complete for item in items), len(items)


def neighbours(items, film):
    """(previous, next) films around film in the queue; None at the ends or when absent."""
    ids = [item.film.id for item in items]
    if film.id not in ids:
        return None, None
    i = ids.index(film.id)
    return (items[i - 1].film if i > 0 else None,
            items[i + 1].film if i + 1 < len(items) else None)


def _reviews_of(contest, judge):
    rows = db.session.scalars(select(Review).join(Film, Film.id == Review.film_id).where(
        Review.judge_id == judge.id, Film.contest_id == contest.id))
    return {r.film_id: r for r in rows}


def _scores_of(judge, film_ids, criteria):
    names = {c.id: c.name for c in criteria}
    found = {}
    for score in db.session.scalars(select(Score).where(
            Score.judge_id == judge.id, Score.film_id.in_(film_ids),
            Score.criterion_id.in_(list(names)))):
        found.setdefault(score.film_id, {})[names[score.criterion_id]] = _plain(score.value)
    return found


def _plain(value):
    return int(value) if float(value).is_integer() else value


def item_review(item):
    """my_review() of a queue item, from what the queue already loaded."""
    review = item.review
    return {"scores": item.scores, "complete": item.complete,
            "note": review.note if review else "", "nominated": bool(review and review.nominated),
            "conflict": False}


def my_review(film, judge):
    """What this judge has on film: scores by criterion name, note, nomination, conflict."""
    criteria = rubric(film.contest)
    review = _review(film, judge)
    scores = _scores_of(judge, [film.id], criteria).get(film.id, {})
    return {"scores": scores, "complete": len(scores) == len(criteria),
            "note": review.note if review else "",
            "nominated": bool(review and review.nominated),
            "conflict": bool(review and review.conflict)}


def panel_reviews(film):
    """Each panel judge's review of a film, for organizers: [(judge, my_review dict)]."""
    return [(judge, my_review(film, judge)) for judge in panel(film.contest)]


def _review(film, judge):
    return db.session.scalar(select(Review).filter_by(film_id=film.id, judge_id=judge.id))


def _review_for_change(film, judge):
    review = _review(film, judge)
    if review is None:
        review = Review(film_id=film.id, judge_id=judge.id, note="", nominated=False,
                        conflict=False)
        db.session.add(review)
    return review


# -- scores, nominations, conflicts ----------------------------------------------------------


def score_film(film, judge, scores, note=None):
    """Set some or all of a judge's scores of a film (None clears one) and the note."""
    check_can_review(film, judge)
    _check_no_conflict(film, judge)
    check_scoring_open(film.contest)
    by_name = {c.name: c for c in rubric(film.contest)}
    values = clean_scores(scores, by_name)
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX):
        raise DomainError(f"The note is text of up to {NOTE_MAX} characters.", field="note")
    before = my_review(film, judge)
    rows = {s.criterion_id: s for s in db.session.scalars(
        select(Score).filter_by(judge_id=judge.id, film_id=film.id))}
    for name, value in values.items():
        _set_score(rows.get(by_name[name].id), film, judge, by_name[name], value)
    if note is not None and note != before["note"]:
        _review_for_change(film, judge).note = note
    _commit_change(film, judge, "score.set", before)
    return my_review(film, judge)


def clean_scores(scores, by_name):
    """{name: whole number or None}, every name in the rubric and every value on its scale."""
    if not isinstance(scores, dict):
        raise DomainError("scores must be an object of criterion names to numbers.",
                          field="scores")
    unknown = [name for name in scores if name not in by_name]
    if unknown:
        raise DomainError("Not in the rubric: " + ", ".join(map(str, unknown)) + ".",
                          field="scores")
    cleaned = {}
    for name, value in scores.items():
        c = by_name[name]
        if value is not None and not (_whole(value) and c.min_score <= value <= c.max_score):
            raise DomainError(f"{name} takes a whole number from {c.min_score} to "
                              f"{c.max_score}.", field=name)
        cleaned[name] = None if value is None else int(value)
    return cleaned


def _set_score(row, film, judge, criterion, value):
    if value is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Score(judge_id=judge.id, film_id=film.id, criterion_id=criterion.id,
                             value=value))
    else:
        row.value = value


def set_nomination(film, judge, nominated):
    """Nominate a film for the shortlist, or take the nomination back."""
    check_can_review(film, judge)
    _check_no_conflict(film, judge)
    check_scoring_open(film.contest)
    before = my_review(film, judge)
    if before["nominated"] != bool(nominated):
        _review_for_change(film, judge).nominated = bool(nominated)
        _commit_change(film, judge, "nomination.set", before)
    return my_review(film, judge)


def set_conflict(film, judge, conflict=True):
    """Declare (or take back) a conflict of interest: the film leaves the judge's queue.

    Declaring deletes the judge's scores of the film and drops the nomination.
    """
    check_can_review(film, judge)
    if film.contest.results_confirmed_at is not None:
        raise DomainError("The results are confirmed: judging is closed.", status=403,
                          code="judging_closed")
    before = my_review(film, judge)
    if before["conflict"] == bool(conflict):
        return before
    review = _review_for_change(film, judge)
    review.conflict = bool(conflict)
    if conflict:
        review.nominated = False
        for score in db.session.scalars(select(Score).filter_by(judge_id=judge.id,
                                                               film_id=film.id)):
            db.session.delete(score)
    _commit_change(film, judge, "conflict.set", before)
    return my_review(film, judge)


def _check_no_conflict(film, judge):
    review = _review(film, judge)
    if review is not None and review.conflict:
        raise DomainError("You declared a conflict with this film.", status=403,
                          code="conflict_declared")


def _commit_change(film, judge, action, before):
    """Audit the change with the state before and after, and commit both at once."""
    db.session.flush()
    after = my_review(film, judge)
    keep = ("scores", "note") if action == "score.set" else (
        ("nominated",) if action == "nomination.set" else ("conflict", "nominated", "scores"))
    old, new = {k: before[k] for k in keep}, {k: after[k] for k in keep}
    if old == new:
        db.session.rollback()
        return
    audit.record(judge, film.contest, action, film.public_id, old, new)
    try:
        db.session.commit()
    except IntegrityError:  # the same judge saving twice at the same moment
        db.session.rollback()
        raise DomainError("This was saved twice at once; reload and try again.",
                          status=409) from None


# -- what standings count --------------------------------------------------------------------


def counted_scores_query(contest):
    """Scores that count: judges now on the panel, eligible films, current criteria.

    Declaring a conflict deletes the judge's scores of the film and a judge cannot score
    their own film; both are excluded here again so that no stray row can count.
    """
    eligible = eligible_films_query(contest).with_only_columns(Film.id)
    return (select(Score).join(Criterion, Criterion.id == Score.criterion_id)
            .join(JudgeAssignment, (JudgeAssignment.user_id == Score.judge_id)
                  & (JudgeAssignment.contest_id == contest.id))
            .join(Film, Film.id == Score.film_id)
            .where(Criterion.contest_id == contest.id, Score.film_id.in_(eligible),
                   Film.owner_id != Score.judge_id, ~_conflict_with(Score)))


def counted_reviews_query(contest):
    """Reviews (nominations) that count: panel judges, eligible films, no conflict."""
    eligible = eligible_films_query(contest).with_only_columns(Film.id)
    return (select(Review)
            .join(JudgeAssignment, (JudgeAssignment.user_id == Review.judge_id)
                  & (JudgeAssignment.contest_id == contest.id))
            .where(Review.film_id.in_(eligible), Review.conflict.is_(False)))


def _conflict_with(row):
    return exists().where(Review.judge_id == row.judge_id, Review.film_id == row.film_id,
                          Review.conflict.is_(True))


# -- the judging view of a film: the one place blind mode redacts ----------------------------


def judging_view(film):
    """A plain dict of what judges see of a film; in blind mode nothing names the filmmaker.

    The filmmaker, the original file name and (unless the organizer allows it) the
    description are left out, and any evidence text that contains the filmmaker's
    name or email is replaced.
    """
    contest, blind = film.contest, film.contest.blind_judging
    show_description = not blind or contest.blind_show_descriptions
    evidence = dict(film.device_evidence or {})
    if blind:
        evidence = _scrub(evidence, _names_of(film.owner))
    return {
        "id": film.public_id, "title": film.title,
        "description": film.description if show_description else None,
        "filmmaker": None if blind else {"id": film.owner.public_id,
                                         "display_name": film.owner.display_name},
        "original_name": None if blind else film.original_name,
        "duration_s": film.duration_s, "width": film.width, "height": film.height,
        "published_at": film.published_at,
        "device": {"verdict": film.device_verdict, "make": film.device_make,
                   "model": film.device_model, **{k: evidence.get(k) for k in EVIDENCE_KEYS}},
    }


EVIDENCE_KEYS = ("device_tags", "creation_time", "created_in_window", "window", "editor_signs",
                 "edited", "matched_phone", "rotation", "fps")
HIDDEN = "[hidden: names the filmmaker]"


def _names_of(user):
    """The filmmaker's name, its longer words, the email and its local part, lower-cased."""
    words = {user.display_name, user.email, user.email.split("@")[0],
             *(w for w in user.display_name.split() if len(w) >= 4)}
    return [w.lower() for w in words if w and len(w) >= 3]


def _scrub(value, names):
    if isinstance(value, dict):
        return {k: _scrub(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, names) for v in value]
    if isinstance(value, str) and any(n in value.lower() for n in names):
        return HIDDEN
    return value
