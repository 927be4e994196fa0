"""The shortlist, awards and published results of a contest.

Decisions (the README repeats them):
- Confirming the shortlist replaces it (eligible films, in order) and stamps
  shortlist_confirmed_at; awards can be picked only after that.
- Awards: a jury award goes to a shortlisted film, a custom award to any eligible film,
  and the audience award (at most one) to the eligible film with the most public votes,
  a tie going to the film published first (then the lower id). It is recomputed whenever
  awards are saved and fixed from the final votes when the results are published.
- Publishing needs voting closed, a confirmed shortlist, saved awards and a winner for
  every jury and custom award (the audience award may have none: no votes). It stamps
  results_confirmed_at; the results are public from max(that, results_at). While
  published, the shortlist and awards cannot change: take the results back first.
- Every change (shortlist, each award added, changed or removed, publish, take back) is
  written to the audit log with the values before and after, in the same commit.
"""
from dataclasses import dataclass

from sqlalchemy.orm import joinedload

from contest import clock, text
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Award, Film, ShortlistEntry
from contest.operations import audit
from contest.operations.judging import eligible_films_query, is_eligible

KINDS = ("jury", "audience", "custom")
DEFAULT_AWARDS = (("Jury Prize", "jury"), ("Audience Award", "audience"))
NAME_MAX = 80


# -- the shortlist --------------------------------------------------------------------------


def eligible_films(contest):
    """Eligible films by title: the choices for a winner."""
    return db.session.scalars(eligible_films_query(contest).order_by(Film.title, Film.id)).all()


def shortlist(contest):
    """The shortlisted films in order (eligible ones only)."""
    eligible = eligible_films_query(contest).with_only_columns(Film.id)
    return db.session.scalars(
        db.select(Film).join(ShortlistEntry, ShortlistEntry.film_id == Film.id)
        .where(ShortlistEntry.contest_id == contest.id, Film.id.in_(eligible))
        .options(joinedload(Film.owner))
        .order_by(ShortlistEntry.position, ShortlistEntry.id)).all()


def confirm_shortlist(contest, actor, film_ids):
    """Replace the shortlist with these eligible films (public ids, in order) and confirm it."""
    _check_unpublished(contest)
    films = _eligible_films(contest, film_ids, "films")
    if not films:
        raise DomainError("Choose at least one film for the shortlist.", field="films")
    before = _films_snapshot(shortlist(contest))
    db.session.execute(db.delete(ShortlistEntry).where(ShortlistEntry.contest_id == contest.id))
    db.session.add_all(ShortlistEntry(contest_id=contest.id, film_id=film.id, position=i)
                       for i, film in enumerate(films))
    previous = contest.shortlist_confirmed_at
    contest.shortlist_confirmed_at = clock.now()
    audit.record(actor, contest, "shortlist.confirm", "shortlist",
                 {"films": before, "confirmed_at": _iso(previous)},
                 {"films": _films_snapshot(films), "confirmed_at": _iso(clock.now())})
    db.session.commit()
    return films


def _eligible_films(contest, film_ids, field_name):
    """The eligible films with these public ids, in the order given; 422 names a stranger."""
    if not isinstance(film_ids, list) or not all(isinstance(i, str) for i in film_ids):
        raise DomainError("films is a list of film ids.", status=400, field=field_name)
    if len(set(film_ids)) != len(film_ids):
        raise DomainError("A film appears twice.", field=field_name)
    found = {f.public_id: f for f in db.session.scalars(
        eligible_films_query(contest).where(Film.public_id.in_(film_ids)))}
    strangers = [i for i in film_ids if i not in found]
    if strangers:
        raise DomainError("Not an eligible film of this contest: " + ", ".join(strangers) + ".",
                          field=field_name)
    return [found[i] for i in film_ids]


def _films_snapshot(films):
    return [{"id": film.public_id, "title": film.title} for film in films]


def _iso(value):
    return None if value is None else value.isoformat() + "Z"


def _check_unpublished(contest):
    if contest.results_confirmed_at is not None:
        raise DomainError("The results are published: take them back before changing them.",
                          status=409, field="publish")


# -- awards ---------------------------------------------------------------------------------


@dataclass
class AwardLine:
    """An award as shown and edited: stored, or one of the defaults not yet saved."""

    name: str
    kind: str
    film: Film | None = None
    saved: bool = True


def awards(contest):
    """The contest's awards in order; the two defaults when none are saved yet."""
    rows = db.session.scalars(
        db.select(Award).filter_by(contest_id=contest.id)
        .options(joinedload(Award.film).joinedload(Film.owner))
        .order_by(Award.position, Award.id)).all()
    if not rows:
        return [AwardLine(name, kind, saved=False) for name, kind in DEFAULT_AWARDS]
    return [AwardLine(a.name, a.kind, a.film) for a in rows]


def audience_winner(contest):
    """The eligible film with the most votes; ties go to the earliest published. None: no votes."""
    return db.session.scalar(
        eligible_films_query(contest).where(Film.vote_count > 0)
        .order_by(Film.vote_count.desc(), Film.published_at.is_(None), Film.published_at,
                  Film.id).limit(1))


def save_awards(contest, actor, items):
    """Replace the awards with [{name, kind, film}] (film: a public id or None)."""
    update_results(contest, actor, items=items)
    return awards(contest)


def _clean_awards(contest, items):
    """[(name, kind, film)] checked; DomainError naming the first fault."""
    if not isinstance(items, list):
        raise DomainError("awards is a list of {name, kind, film}.", status=400, field="awards")
    named = [_clean_award(item, n) for n, item in enumerate(items, 1)]
    names = [name.lower() for name, _, _ in named]
    if len(set(names)) != len(names):
        raise DomainError("Two awards have the same name.", field="awards")
    if [kind for _, kind, _ in named].count("audience") > 1:
        raise DomainError("There is one audience award: the votes pick one film.",
                          field="awards")
    return _with_films(contest, named)


def _clean_award(item, n):
    if not isinstance(item, dict):
        raise DomainError(f"Award {n} must be an object.", status=400, field="awards")
    name, kind, film = item.get("name"), item.get("kind", "custom"), item.get("film")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= NAME_MAX:
        raise DomainError(f"Award {n} needs a name of 1 to {NAME_MAX} characters.",
                          field="name")
    if kind not in KINDS:
        raise DomainError(f"Award {n}: the kind is one of {', '.join(KINDS)}.", field="kind")
    if film is not None and not isinstance(film, str):
        raise DomainError(f"Award {n}: film is a film id or null.", status=400, field="film")
    return name.strip(), kind, None if kind == "audience" else (film or None)


def _with_films(contest, named):
    """Film ids -> films; jury winners must be shortlisted; audience from the votes."""
    ids = [film for _, _, film in named if film]
    films = {f.public_id: f for f in _eligible_films(contest, list(dict.fromkeys(ids)), "film")}
    listed = {film.id for film in shortlist(contest)}
    result = []
    for name, kind, film_id in named:
        film = audience_winner(contest) if kind == "audience" else films.get(film_id)
        if kind == "jury" and film is not None and film.id not in listed:
            raise DomainError(f"{name} goes to a shortlisted film; {film.title} is not on it.",
                              field="film")
        result.append((name, kind, film))
    return result


def _store_awards(contest, actor, wanted):
    stored = {a.name: a for a in db.session.scalars(db.select(Award).filter_by(
        contest_id=contest.id))}
    for name in sorted(set(stored) - {name for name, _, _ in wanted}):
        audit.record(actor, contest, "award.remove", name, _award_snapshot(stored[name]), None)
        db.session.delete(stored[name])
    db.session.flush()
    for position, (name, kind, film) in enumerate(wanted):
        award = stored.get(name)
        before = _award_snapshot(award) if award else None
        award = award or Award(contest_id=contest.id, name=name)
        award.kind, award.film, award.position = kind, film, position
        db.session.add(award)
        if _award_snapshot(award) != before:
            action = "award.set" if before else "award.add"
            audit.record(actor, contest, action, name, before, _award_snapshot(award))


def _award_snapshot(award):
    film = award.film
    return {"kind": award.kind, "film": film.public_id if film else None,
            "film_title": film.title if film else None, "position": award.position}


# -- publishing -----------------------------------------------------------------------------


def results_public(contest, at=None):
    """Public once the organizer published them and the results time has come."""
    return contest.results_confirmed_at is not None and (at or clock.now()) >= contest.results_at


def can_see_results(contest, user):
    """Organizers always (a preview); everyone else once the results are public."""
    return bool(user and user.is_authenticated and user.is_organizer) or results_public(contest)


def public_at(contest):
    """When the results become (or became) public; None until they are published."""
    if contest.results_confirmed_at is None:
        return None
    return max(contest.results_confirmed_at, contest.results_at)


def update_results(contest, actor, items=None, publish=None):
    """All or nothing: take back (publish False), replace the awards, publish (True).

    publish None leaves the state as it is; True when already published changes nothing.
    """
    try:
        if publish is False and contest.results_confirmed_at is not None:
            _retract(contest, actor)
        if items is not None:
            _save(contest, actor, items)
        if publish and contest.results_confirmed_at is None:
            _publish(contest, actor)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return contest


def publish_results(contest, actor):
    _check_unpublished(contest)
    return update_results(contest, actor, publish=True)


def retract_results(contest, actor):
    """Take published results back (hidden again) so the shortlist and awards can change."""
    if contest.results_confirmed_at is None:
        raise DomainError("The results are not published.", status=409, field="publish")
    return update_results(contest, actor, publish=False)


def _save(contest, actor, items):
    _check_unpublished(contest)
    if contest.shortlist_confirmed_at is None:
        raise DomainError("Confirm the shortlist before picking winners.", status=409)
    _store_awards(contest, actor, _clean_awards(contest, items))
    db.session.flush()


def _publish(contest, actor):
    """Fix the audience award from the final votes and stamp the results as confirmed."""
    if contest.shortlist_confirmed_at is None:
        raise DomainError("Confirm the shortlist before publishing the results.", status=409)
    if clock.now() < contest.voting_close_at:
        raise DomainError("Voting is still open: publish the results after it closes on "
                          f"{text.when(contest.voting_close_at)}.", status=409)
    rows = _stored_awards(contest)
    if not rows:
        raise DomainError("Save the awards before publishing the results.", status=409)
    for award in rows:
        if award.kind == "audience":
            _set_film(actor, contest, award, audience_winner(contest))
    _check_winners(contest, rows)
    contest.results_confirmed_at = clock.now()
    audit.record(actor, contest, "results.publish", "results", {"published": False},
                 {"published": True, "public_at": _iso(public_at(contest))})


def _retract(contest, actor):
    before = {"published": True, "public_at": _iso(public_at(contest))}
    contest.results_confirmed_at = None
    audit.record(actor, contest, "results.retract", "results", before, {"published": False})


def _stored_awards(contest):
    return db.session.scalars(db.select(Award).filter_by(contest_id=contest.id)
                              .order_by(Award.position, Award.id)).all()


def _set_film(actor, contest, award, film):
    before = _award_snapshot(award)
    award.film = film
    if _award_snapshot(award) != before:
        audit.record(actor, contest, "award.set", award.name, before, _award_snapshot(award))


def _check_winners(contest, rows):
    listed = {film.id for film in shortlist(contest)}
    for award in rows:
        if award.film is None and award.kind != "audience":
            raise DomainError(f"Pick a winner for {award.name}, or remove the award.",
                              status=409, field="awards")
        if award.kind == "jury" and award.film is not None and award.film.id not in listed:
            raise DomainError(f"{award.name} went to {award.film.title}, which is no longer "
                              "on the shortlist.", status=409, field="awards")


# -- what the public sees -------------------------------------------------------------------


@dataclass
class Results:
    contest: object
    public: bool
    public_at: object
    awards: list  # [(Award, Film or None)]
    shortlist: list


def results(contest):
    """Winners by award and the shortlist; the caller checks can_see_results first.

    A winner withdrawn (or, later, disqualified) since is shown as no winner.
    """
    lines = [line for line in awards(contest) if line.saved]
    for line in lines:
        if line.film is not None and not is_eligible(line.film):
            line.film = None
    return Results(contest, results_public(contest), public_at(contest), lines,
                   shortlist(contest))


def awards_for_film(film):
    """The published awards a film won, for the badges on its page."""
    if not results_public(film.contest) or not is_eligible(film):
        return []
    return db.session.scalars(db.select(Award).filter_by(
        contest_id=film.contest_id, film_id=film.id).order_by(Award.position, Award.id)).all()


def is_shortlisted(film):
    """True when the film is on the published shortlist."""
    if not results_public(film.contest) or not is_eligible(film):
        return False
    return db.session.scalar(db.select(ShortlistEntry.id).filter_by(
        contest_id=film.contest_id, film_id=film.id)) is not None
