"""Judging: panel, rubric, queue, scores, conflicts, blind view, the pages and their access.

Films are made as rows (status "ready"); the player and media are covered by the gallery
tests. The API has its own module, test_judging_api.py, which reuses these fixtures.
"""
import itertools
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from contest.errors import DomainError
from contest.judging.cli import judges_cli
from contest.models import AuditEntry, Criterion, Film, JudgeAssignment, Review, Score, User
from contest.operations import judging as ops
from contest.operations.judging import DEFAULT_CRITERIA

CHEAP_HASH = generate_password_hash("not used", method="pbkdf2:sha256:1")
START = datetime(2027, 3, 1, 12, 0)
VOTING = START + timedelta(days=30)  # the default schedule: voting from day 28 to day 42
NAME, EMAIL, FILE = "Zebediah Quuxworth", "zquux@example.com", "quuxworth_final_cut.mov"
LEAKS = ("Zebediah", "Quuxworth", "zquux", "quuxworth_final")


@pytest.fixture
def make_user(app, db):
    """Like conftest's make_user with a cheap password hash (scrypt costs 0.5 s a user);
    these tests sign in through the session or a token, never with the password."""
    seq = itertools.count(1)

    def make(email=None, name=None, roles=()):
        email = email or f"person{next(seq)}@example.com"
        user = User(email=email, display_name=name or email.split("@")[0],
                    password_hash=CHEAP_HASH, email_verified_at=START,
                    **{f"is_{role}": True for role in roles})
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def contest(clock, make_contest):
    clock.set(START)
    contest = make_contest("n8")
    clock.set(VOTING)
    return contest


@pytest.fixture
def other_contest(make_contest):
    return make_contest("other")


@pytest.fixture
def filmmaker(make_user):
    return make_user(EMAIL, name=NAME)


@pytest.fixture
def add_film(db, contest, filmmaker, clock):
    """add_film(title, owner=None, of=None, **columns): a published film, made as a row."""

    def add(title, owner=None, of=None, **columns):
        values = dict(description=f"A film by {NAME}.", status="ready",
                      published_at=clock.now(), duration_s=75.0, width=640, height=360,
                      original_name=FILE, device_make="Nokia", device_model="N8-00",
                      device_verdict="verified", device_evidence=EVIDENCE)
        film = Film(contest=of or contest, owner=owner or filmmaker, title=title,
                    **{**values, **columns})
        db.session.add(film)
        db.session.commit()
        return film

    return add


EVIDENCE = {
    "device_tags": {"make": "Nokia", "model": "N8-00", "software": "Quuxworth Cam 2"},
    "matched_phone": "Nokia N8-00", "creation_time": "2027-03-02T10:00:00Z",
    "created_in_window": True, "window": {"start": "2027-02-27T12:00:00",
                                          "end": "2027-03-31T12:00:00"},
    "editor_signs": [{"tag": "encoder", "value": "Lavf60", "editor": "FFmpeg"}],
    "edited": True, "rotation": 90, "fps": 24.0,
}


@pytest.fixture
def organizer(make_user):
    return make_user("org@example.com", name="Olga Organizer", roles=("organizer",))


@pytest.fixture
def judge(make_user, contest, organizer):
    user = make_user("judge@example.com", name="Jude Judge")
    ops.assign_judges(contest, [user.email], organizer)
    return user


@pytest.fixture
def outsider_judge(make_user, other_contest, organizer):
    """A judge, but of another contest."""
    user = make_user("other-judge@example.com", name="Otto Other")
    ops.assign_judges(other_contest, [user.email], organizer)
    return user


@pytest.fixture
def films(add_film):
    return [add_film(f"Film {i}") for i in range(3)]


def audit_actions(db, contest):
    return [e.action for e in db.session.scalars(
        db.select(AuditEntry).filter_by(contest_id=contest.id).order_by(AuditEntry.id))]


# --- the panel ------------------------------------------------------------------------------


def test_assigning_replaces_the_panel_grants_the_role_and_is_audited(
        db, contest, organizer, make_user):
    ana, ben = make_user("ana@example.com", name="Ana"), make_user("ben@example.com", name="Ben")
    assert not ana.is_judge
    assert [u.email for u in ops.assign_judges(contest, ["ANA@example.com"], organizer)] == [
        "ana@example.com"]
    assert ana.is_judge and ops.is_judge_of(ana, contest)

    ops.assign_judges(contest, ["ben@example.com"], organizer)
    assert [u.email for u in ops.panel(contest)] == ["ben@example.com"]
    assert not ops.is_judge_of(ana, contest)
    assert ana.is_judge  # leaving a panel keeps the role (other contests may need it)
    last = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.action, last.actor_id) == ("panel.set", organizer.id)
    assert last.before == {"judges": ["ana@example.com"]}
    assert last.after == {"judges": ["ben@example.com"], "granted_judge_role": ["ben@example.com"]}
    assert ben.is_judge


def test_unknown_emails_are_listed_and_change_nothing(db, contest, judge, organizer):
    with pytest.raises(DomainError) as refused:
        ops.assign_judges(contest, ["nobody@example.com", "not an email", judge.email],
                          organizer)
    assert refused.value.status == 422
    assert "nobody@example.com" in refused.value.message
    assert "not an email" in refused.value.message
    db.session.rollback()
    assert [u.email for u in ops.panel(contest)] == [judge.email]
    assert audit_actions(db, contest) == ["panel.set"]


def test_a_judge_role_without_a_seat_or_a_seat_without_the_role_is_not_enough(
        db, contest, judge, make_user):
    loner = make_user(roles=("judge",))
    assert not ops.is_judge_of(loner, contest)
    judge.is_judge = False
    db.session.commit()
    assert not ops.is_judge_of(judge, contest)
    assert ops.judged_contests(judge) == []


def test_cli_assigns_and_lists_the_panel(app, contest, make_user):
    make_user("cli@example.com", name="Cli Judge")
    runner = app.test_cli_runner()
    result = runner.invoke(judges_cli, ["assign", "n8", "cli@example.com"])
    assert result.exit_code == 0, result.output
    assert "1 judge" in result.output
    listed = runner.invoke(judges_cli, ["list", "n8"])
    assert listed.exit_code == 0 and "cli@example.com\tCli Judge" in listed.output
    failed = runner.invoke(judges_cli, ["assign", "n8", "ghost@example.com"])
    assert failed.exit_code == 1 and "ghost@example.com" in failed.output
    assert [u.email for u in ops.panel(contest)] == ["cli@example.com"]
    assert runner.invoke(judges_cli, ["list", "nope"]).exit_code == 1


# --- the rubric -----------------------------------------------------------------------------


def test_new_contests_get_the_default_rubric_once(db, contest):
    criteria = ops.rubric(contest)
    assert [c.name for c in criteria] == list(DEFAULT_CRITERIA)
    assert {(c.weight, c.min_score, c.max_score) for c in criteria} == {(1.0, 1, 10)}
    ops.rubric(contest)
    assert db.session.scalar(db.select(db.func.count(Criterion.id))) == 4


def test_set_rubric_validates_each_rule(db, contest, organizer):
    good = {"name": "Story", "description": "", "weight": 1, "min": 1, "max": 10}
    cases = [
        ([], "1 to 20"),
        ([{**good, "name": " "}], "needs a name"),
        ([good, {**good, "name": "story"}], "Two criteria"),
        ([{**good, "weight": 0}], "above 0"),
        ([{**good, "weight": "2"}], "above 0"),
        ([{**good, "weight": True}], "above 0"),
        ([{**good, "min": 5, "max": 5}], "min below max"),
        ([{**good, "min": 1.5}], "whole numbers"),
        ([{**good, "description": 3}], "description"),
        (["Story"], "must be an object"),
    ]
    for criteria, message in cases:
        with pytest.raises(DomainError) as refused:
            ops.set_rubric(contest, criteria, organizer)
        assert refused.value.status == 422 and message in refused.value.message, criteria
    assert [c.name for c in ops.rubric(contest)] == list(DEFAULT_CRITERIA)


def test_set_rubric_replaces_keeps_order_and_is_audited(db, contest, organizer):
    ops.set_rubric(contest, [
        {"name": "Sound", "description": "Ears", "weight": 0.5, "min": 0, "max": 5},
        {"name": "Story", "weight": 2, "min": 1, "max": 10},
    ], organizer)
    assert [(c.name, c.weight, c.min_score, c.max_score) for c in ops.rubric(contest)] == [
        ("Sound", 0.5, 0, 5), ("Story", 2.0, 1, 10)]
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="rubric.set")).one()
    assert [c["name"] for c in entry.before["criteria"]] == list(DEFAULT_CRITERIA)
    assert entry.after["criteria"][0] == {"name": "Sound", "description": "Ears",
                                          "weight": 0.5, "min": 0, "max": 5}


def test_scored_criteria_keep_their_scale_and_cannot_be_removed(
        db, contest, organizer, judge, films):
    ops.score_film(films[0], judge, {"Story": 7})
    rows = [ops.criterion_dict(c) for c in ops.rubric(contest)]
    without_story = [r for r in rows if r["name"] != "Story"]
    rescaled = [{**r, "max": 5} if r["name"] == "Story" else r for r in rows]
    for criteria in (without_story, rescaled):
        with pytest.raises(DomainError) as refused:
            ops.set_rubric(contest, criteria, organizer)
        assert refused.value.status == 409 and "Story" in refused.value.message
        db.session.rollback()
    reweighted = [{**r, "weight": 3} if r["name"] == "Story" else r for r in without_story]
    ops.set_rubric(contest, [*reweighted, {**rows[0], "weight": 3}], organizer)  # Story last
    assert ops.rubric(contest)[-1].weight == 3.0
    assert ops.scored_criteria(contest) == {"Story"}
    assert ops.my_review(films[0], judge)["scores"] == {"Story": 7}


# --- scores and the queue -------------------------------------------------------------------


def test_queue_leaves_out_own_ineligible_and_other_contests_films(
        db, contest, other_contest, judge, add_film, films, clock):
    add_film("Mine", owner=judge)
    add_film("Withdrawn", withdrawn_at=clock.now())
    add_film("Processing", status="processing")
    add_film("Elsewhere", of=other_contest)
    items = ops.queue(contest, judge)
    assert sorted(item.film.title for item in items) == ["Film 0", "Film 1", "Film 2"]
    assert ops.progress(items) == (0, 3)
    assert ops.queue(contest, judge) == items  # a stable order


def test_partial_scores_count_as_scored_only_when_complete(db, contest, judge, films):
    ops.score_film(films[0], judge, {"Story": 8, "Craft": 6}, note="Lovely light.")
    review = ops.my_review(films[0], judge)
    assert review["scores"] == {"Story": 8, "Craft": 6} and not review["complete"]
    assert review["note"] == "Lovely light."
    ops.score_film(films[0], judge, {"Use of the phone": 9, "Originality": 10})
    assert ops.my_review(films[0], judge)["complete"]
    assert ops.progress(ops.queue(contest, judge)) == (1, 3)
    ops.score_film(films[0], judge, {"Story": None})  # null clears one
    assert "Story" not in ops.my_review(films[0], judge)["scores"]
    assert ops.progress(ops.queue(contest, judge)) == (0, 3)
    assert ops.my_review(films[0], judge)["note"] == "Lovely light."  # kept when not sent


@pytest.mark.parametrize("scores, message", [
    ({"Plot": 5}, "Not in the rubric: Plot"),
    ({"Story": 11}, "from 1 to 10"),
    ({"Story": 0}, "from 1 to 10"),
    ({"Story": 7.5}, "whole number"),
    ({"Story": "7"}, "whole number"),
    ({"Story": True}, "whole number"),
    (["Story"], "must be an object"),
])
def test_score_validation(db, judge, films, scores, message):
    with pytest.raises(DomainError) as refused:
        ops.score_film(films[0], judge, scores)
    assert refused.value.status == 422 and message in refused.value.message
    assert db.session.scalar(db.select(db.func.count(Score.id))) == 0


def test_who_may_score_and_when(db, contest, judge, outsider_judge, organizer, add_film,
                                films, clock):
    own = add_film("Mine", owner=judge)
    for user, film, status in [(outsider_judge, films[0], 403), (organizer, films[0], 403),
                               (judge, own, 403)]:
        with pytest.raises(DomainError) as refused:
            ops.score_film(film, user, {"Story": 5})
        assert refused.value.status == status
    clock.set(START + timedelta(days=27))  # before voting opens
    with pytest.raises(DomainError) as early:
        ops.score_film(films[0], judge, {"Story": 5})
    assert early.value.code == "judging_closed"
    clock.set(START + timedelta(days=60))  # after the results time: still open...
    ops.score_film(films[0], judge, {"Story": 5})
    contest.results_confirmed_at = clock.now()  # ...until the results are confirmed
    db.session.commit()
    with pytest.raises(DomainError) as late:
        ops.set_nomination(films[0], judge, True)
    assert late.value.code == "judging_closed"


def test_scores_are_unique_in_the_database(db, judge, films, contest):
    ops.score_film(films[0], judge, {"Story": 5})
    story = ops.rubric(contest)[0]
    db.session.add(Score(judge_id=judge.id, film_id=films[0].id, criterion_id=story.id,
                         value=9))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Review(judge_id=judge.id, film_id=films[0].id))
    db.session.add(Review(judge_id=judge.id, film_id=films[0].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_score_nomination_and_conflict_changes_are_audited_with_before_and_after(
        db, contest, judge, films):
    ops.score_film(films[0], judge, {"Story": 5}, note="ok")
    ops.score_film(films[0], judge, {"Story": 6})
    ops.score_film(films[0], judge, {"Story": 6})  # no change, no entry
    ops.set_nomination(films[0], judge, True)
    ops.set_conflict(films[0], judge)
    entries = db.session.scalars(db.select(AuditEntry).where(
        AuditEntry.action != "panel.set").order_by(AuditEntry.id)).all()
    assert [(e.action, e.subject, e.actor_id) for e in entries] == [
        ("score.set", films[0].public_id, judge.id), ("score.set", films[0].public_id, judge.id),
        ("nomination.set", films[0].public_id, judge.id),
        ("conflict.set", films[0].public_id, judge.id)]
    assert (entries[0].before, entries[0].after) == (
        {"scores": {}, "note": ""}, {"scores": {"Story": 5}, "note": "ok"})
    assert entries[1].after == {"scores": {"Story": 6}, "note": "ok"}
    assert (entries[2].before, entries[2].after) == ({"nominated": False}, {"nominated": True})
    assert entries[3].before == {"conflict": False, "nominated": True, "scores": {"Story": 6}}
    assert entries[3].after == {"conflict": True, "nominated": False, "scores": {}}


def test_a_conflict_removes_the_film_and_its_scores(db, contest, judge, make_user, films,
                                                    organizer):
    second = make_user("second@example.com")
    ops.assign_judges(contest, [judge.email, second.email], organizer)
    ops.score_film(films[0], judge, {"Story": 9})
    ops.score_film(films[0], second, {"Story": 3})
    ops.set_nomination(films[0], judge, True)
    counted = db.session.scalars(ops.counted_scores_query(contest)).all()
    assert sorted(s.value for s in counted) == [3, 9]

    ops.set_conflict(films[0], judge)
    assert films[0] not in [item.film for item in ops.queue(contest, judge)]
    assert films[0] in [item.film for item in ops.queue(contest, second)]
    assert [s.value for s in db.session.scalars(ops.counted_scores_query(contest))] == [3]
    assert db.session.scalars(ops.counted_reviews_query(contest)).all() == []
    with pytest.raises(DomainError) as refused:
        ops.score_film(films[0], judge, {"Story": 9})
    assert refused.value.code == "conflict_declared"

    ops.set_conflict(films[0], judge, False)  # taken back: in the queue, scores stay gone
    assert films[0] in [item.film for item in ops.queue(contest, judge)]
    assert ops.my_review(films[0], judge)["scores"] == {}


def test_counted_scores_follow_the_panel_and_eligibility(db, contest, judge, films, organizer,
                                                         clock):
    ops.score_film(films[0], judge, {"Story": 9})
    ops.score_film(films[1], judge, {"Story": 4})
    films[1].withdrawn_at = clock.now()
    db.session.commit()
    assert [s.value for s in db.session.scalars(ops.counted_scores_query(contest))] == [9]
    ops.assign_judges(contest, [], organizer)
    assert db.session.scalars(ops.counted_scores_query(contest)).all() == []
    assert db.session.scalar(db.select(db.func.count(Score.id))) == 2  # the rows stay


# --- the blind view -------------------------------------------------------------------------


def test_judging_view_redacts_in_blind_mode(db, contest, films):
    open_view = ops.judging_view(films[0])
    assert open_view["filmmaker"]["display_name"] == NAME
    assert open_view["original_name"] == FILE
    assert open_view["device"]["device_tags"]["software"] == "Quuxworth Cam 2"

    contest.blind_judging = True
    db.session.commit()
    blind = ops.judging_view(films[0])
    assert blind["filmmaker"] is None and blind["original_name"] is None
    assert blind["description"] is None
    assert blind["device"]["device_tags"] == {"make": "Nokia", "model": "N8-00",
                                              "software": ops.HIDDEN}
    assert blind["device"]["editor_signs"] == EVIDENCE["editor_signs"]
    assert not any(leak.lower() in repr(blind).lower() for leak in LEAKS)
    contest.blind_show_descriptions = True
    db.session.commit()
    assert ops.judging_view(films[0])["description"] == f"A film by {NAME}."


# --- the pages ------------------------------------------------------------------------------


def page_routes(contest, film):
    base = f"/judging/{contest.slug}"
    return {
        "index": ("GET", "/judging/"),
        "queue": ("GET", base),
        "film": ("GET", f"{base}/films/{film.public_id}"),
        "score": ("POST", f"{base}/films/{film.public_id}/score"),
        "nominate": ("POST", f"{base}/films/{film.public_id}/nomination"),
        "conflict": ("POST", f"{base}/films/{film.public_id}/conflict"),
        "panel": ("GET", f"{base}/panel"),
        "panel_post": ("POST", f"{base}/panel"),
        "rubric": ("GET", f"{base}/rubric"),
        "rubric_post": ("POST", f"{base}/rubric"),
    }


FORMS = {
    "score": {"c{story}": "7", "note": "x"},
    "nominate": {"value": "1"},
    "conflict": {"value": "1", "confirm": "y"},
    "panel_post": {"emails": "judge@example.com"},
    "rubric_post": {"criteria-0-name": "Story", "criteria-0-weight": "1",
                    "criteria-0-min": "1", "criteria-0-max": "10"},
}
# Expected status per route for: judge of this contest, judge of another contest,
# the filmmaker, an organizer (not on the panel), the public (sent to sign in).
MATRIX = {
    "index": (200, 200, 403, 200, 302),
    "queue": (200, 403, 403, 200, 302),
    "film": (200, 403, 403, 200, 302),
    "score": (302, 403, 403, 403, 302),
    "nominate": (302, 403, 403, 403, 302),
    "conflict": (302, 403, 403, 403, 302),
    "panel": (403, 403, 403, 200, 302),
    "panel_post": (403, 403, 403, 302, 302),
    "rubric": (403, 403, 403, 200, 302),
    "rubric_post": (403, 403, 403, 302, 302),
}


@pytest.mark.parametrize("route", MATRIX)
def test_access_matrix_of_the_pages(client, login, contest, judge, outsider_judge,
                                    filmmaker, organizer, films, route):
    method, url = page_routes(contest, films[0])[route]
    story = ops.rubric(contest)[0]
    form = {k.format(story=story.id): v for k, v in FORMS.get(route, {}).items()}
    for who, expected in zip((judge, outsider_judge, filmmaker, organizer, None),
                             MATRIX[route], strict=True):
        client.delete_cookie("session")
        if who is not None:
            login(client, who)
        response = client.open(url, method=method, data=form if method == "POST" else None)
        assert response.status_code == expected, (route, who and who.email)
        if who is None:
            assert "/auth/login" in response.headers["Location"]


def test_film_pages_answer_404_for_films_not_judged_here_and_403_for_ones_own(
        client, login, contest, other_contest, judge, add_film, clock):
    login(client, judge)
    for film in (add_film("Elsewhere", of=other_contest),
                 add_film("Gone", withdrawn_at=clock.now())):
        assert client.get(f"/judging/n8/films/{film.public_id}").status_code == 404
    own = add_film("Mine", owner=judge)
    assert client.get(f"/judging/n8/films/{own.public_id}").status_code == 403
    assert client.get("/judging/n8/films/nope").status_code == 404
    assert client.get("/judging/nope").status_code == 404


def test_queue_page_shows_progress(client, login, contest, judge, films):
    ops.score_film(films[1], judge, {c.name: 5 for c in ops.rubric(contest)})
    login(client, judge)
    html = client.get("/judging/n8").get_data(as_text=True)
    assert "1 of 3 scored" in html
    assert all(f.title in html for f in films)


def test_film_page_has_player_evidence_form_and_keyboard_hints(client, login, contest, judge,
                                                               films):
    login(client, judge)
    items = ops.queue(contest, judge)
    middle = items[1].film
    html = client.get(f"/judging/n8/films/{middle.public_id}").get_data(as_text=True)
    assert 'class="player"' in html and "js/judging.js" in html and "js/player.js" in html
    for kbd in ("j", "k", "n", "s"):
        assert f"<kbd>{kbd}</kbd>" in html
    assert f'id="next-film" href="/judging/n8/films/{items[2].film.public_id}"' in html
    assert f'id="previous-film" href="/judging/n8/films/{items[0].film.public_id}"' in html
    assert 'id="score-form"' in html and 'id="nominate-form"' in html
    assert html.count('type="number"') == 4 and 'min="1"' in html and 'max="10"' in html
    for evidence in ("Device evidence", "Verified", "Nokia N8-00", "2027-03-02T10:00:00Z",
                     "inside the contest window", "FFmpeg", "Lavf60"):
        assert evidence in html
    assert "0 of 3 scored" in html


def test_scoring_through_the_page(client, login, contest, judge, films):
    login(client, judge)
    items = ops.queue(contest, judge)
    film, following = items[0].film, items[1].film
    criteria = ops.rubric(contest)
    url = f"/judging/n8/films/{film.public_id}"
    bad = client.post(url + "/score", data={f"c{criteria[0].id}": "11"})
    assert bad.status_code == 422 and "From 1 to 10" in bad.get_data(as_text=True)
    data = {f"c{c.id}": str(i + 5) for i, c in enumerate(criteria)}
    saved = client.post(url + "/score", data={**data, "note": "Brave.", "save_next": "y"})
    assert saved.headers["Location"].endswith(f"/films/{following.public_id}")
    review = ops.my_review(film, judge)
    assert review["complete"] and review["note"] == "Brave."
    assert review["scores"] == {"Story": 5, "Craft": 6, "Use of the phone": 7,
                                "Originality": 8}
    client.post(url + "/nomination", data={"value": "1"})
    assert ops.my_review(film, judge)["nominated"]
    html = client.get(url).get_data(as_text=True)
    assert "Take the nomination back" in html and "Brave." in html and 'value="8"' in html
    refused = client.post(url + "/conflict", data={"value": "1"})  # not confirmed
    assert refused.status_code == 302 and not ops.my_review(film, judge)["conflict"]
    client.post(url + "/conflict", data={"value": "1", "confirm": "y"})
    assert film not in [item.film for item in ops.queue(contest, judge)]
    assert ops.my_review(film, judge)["scores"] == {}
    assert "Take the conflict back" in client.get(url).get_data(as_text=True)
    assert film.title not in client.get("/judging/n8").get_data(as_text=True)


def test_a_judge_never_sees_another_judges_notes(client, login, contest, judge, make_user,
                                                 organizer, films):
    second = make_user("second@example.com", name="Second Judge")
    ops.assign_judges(contest, [judge.email, second.email], organizer)
    ops.score_film(films[0], second, {"Story": 2}, note="Secret thoughts of judge two")
    login(client, judge)
    for url in (f"/judging/n8/films/{films[0].public_id}", "/judging/n8"):
        assert "Secret thoughts" not in client.get(url).get_data(as_text=True)
    login(client, organizer)
    html = client.get(f"/judging/n8/films/{films[0].public_id}").get_data(as_text=True)
    assert "Secret thoughts of judge two" in html and "Story: 2" in html


@pytest.mark.parametrize("show_descriptions", [False, True])
def test_blind_pages_name_nobody(client, login, db, contest, judge, films, show_descriptions):
    login(client, judge)
    pages = ["/judging/n8", f"/judging/n8/films/{films[0].public_id}", "/judging/"]
    before = "".join(client.get(url).get_data(as_text=True) for url in pages)
    assert NAME in before and FILE in before  # the test can fail: names show when not blind
    contest.blind_judging, contest.blind_show_descriptions = True, show_descriptions
    db.session.commit()
    html = "".join(client.get(url).get_data(as_text=True) for url in pages)
    assert films[0].title in html and "Blind judging" in html
    if show_descriptions:  # allowed by the organizer: the description (only) names the maker
        assert f"A film by {NAME}." in html
        html = html.replace(f"A film by {NAME}.", "")
    found = [leak for leak in LEAKS if re.search(leak, html, re.IGNORECASE)]
    assert found == []
    assert films[0].owner.public_id not in html and EMAIL not in html


def test_panel_and_rubric_pages(client, login, db, contest, organizer, make_user):
    make_user("ana@example.com", name="Ana")
    login(client, organizer)
    assert client.post("/judging/n8/panel", data={"emails": "ana@example.com\n\n"}).status_code \
        == 302
    assert [u.email for u in ops.panel(contest)] == ["ana@example.com"]
    refused = client.post("/judging/n8/panel", data={"emails": "ghost@example.com"})
    assert refused.status_code == 422 and "ghost@example.com" in refused.get_data(as_text=True)
    assert "ana@example.com" in client.get("/judging/n8/panel").get_data(as_text=True)

    page = client.get("/judging/n8/rubric").get_data(as_text=True)
    assert all(f'value="{name}"' in page for name in DEFAULT_CRITERIA)
    rows = {"criteria-0-name": "Story", "criteria-0-weight": "2", "criteria-0-min": "1",
            "criteria-0-max": "10", "criteria-1-name": "", "criteria-1-weight": "1"}
    assert client.post("/judging/n8/rubric", data=rows).status_code == 302
    assert [(c.name, c.weight) for c in ops.rubric(contest)] == [("Story", 2.0)]
    bad = client.post("/judging/n8/rubric", data={**rows, "criteria-0-weight": "0"})
    assert bad.status_code == 422 and "above 0" in bad.get_data(as_text=True)


def test_forms_need_a_csrf_token(app, client, login, contest, judge, films):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        login(client, judge)
        url = f"/judging/n8/films/{films[0].public_id}"
        story = ops.rubric(contest)[0]
        assert client.post(url + "/score", data={f"c{story.id}": "7"}).status_code == 400
        assert ops.my_review(films[0], judge)["scores"] == {}
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get(url).get_data(as_text=True))[1]
        saved = client.post(url + "/score", data={f"c{story.id}": "7", "csrf_token": token})
        assert saved.status_code == 302
        assert ops.my_review(films[0], judge)["scores"] == {"Story": 7}
        assert client.post(url + "/nomination", data={"value": "1"}).status_code == 400
        assert client.post(url + "/nomination", data={"value": "1", "csrf_token": token}) \
            .status_code == 302
        assert ops.my_review(films[0], judge)["nominated"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_assignments_are_unique(db, contest, judge):
    db.session.add(JudgeAssignment(contest_id=contest.id, user_id=judge.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.browser
def test_keyboard_shortcuts_in_chromium(live_server, page, contest, judge, films, db):
    from browser_support import screenshot, sign_in

    judge.set_password("correct horse battery")
    db.session.commit()
    sign_in(page, live_server, judge.email, "correct horse battery")
    first, second = [item.film for item in ops.queue(contest, judge)][:2]
    page.goto(f"{live_server}/judging/n8/films/{first.public_id}")
    screenshot(page, "judging-film-desktop")
    page.keyboard.press("j")
    page.wait_for_url(f"**/films/{second.public_id}")
    page.keyboard.press("k")
    page.wait_for_url(f"**/films/{first.public_id}")
    page.click("textarea[name=note]")
    page.keyboard.type("jk sn")  # typing in a field: no shortcut fires
    assert page.url.endswith(first.public_id)
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    page.wait_for_selector("text=Saved.")
    assert ops.my_review(first, judge)["note"] == "jk sn"
    page.keyboard.press("n")
    page.wait_for_selector("text=Nominated for the shortlist.")
    db.session.expire_all()
    assert ops.my_review(first, judge)["nominated"]


def test_a_new_judge_is_notified_once(app, make_user, make_contest):
    from sqlalchemy import select

    from contest.models import Notification
    from contest.operations.judging import assign_judges

    organizer = make_user(roles=["organizer"])
    judge = make_user()
    contest = make_contest()
    assign_judges(contest, [judge.email], organizer)
    assign_judges(contest, [judge.email], organizer)
    notes = app.extensions["sqlalchemy"].session.scalars(
        select(Notification).filter_by(user_id=judge.id)).all()
    assert [n.kind for n in notes] == ["judge_assigned"]
