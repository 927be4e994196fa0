"""Reports: once per target, hidden at the threshold, organizers' decisions, suspension."""
import pytest

from contest import create_app
from contest.errors import DomainError
from contest.extensions import db as _db
from contest.extensions import limiter
from contest.jobs import wait_for_jobs
from contest.models import AuditEntry, Film, Report
from contest.operations import comments, moderation


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ana")


@pytest.fixture
def organizer(make_user):
    return make_user(name="Olga", roles=["organizer"])


@pytest.fixture
def film(make_contest, filmmaker):
    contest = make_contest()
    film = Film(contest=contest, owner=filmmaker, title="Harbour", status="ready",
                published_at=contest.submissions_open_at)
    _db.session.add(film)
    _db.session.commit()
    return film


@pytest.fixture
def comment(film, make_user):
    return comments.add_comment(film, make_user(name="Troll"), "Rude words")


def reports(state=None):
    query = _db.select(Report).order_by(Report.id)
    if state:
        query = query.filter_by(state=state)
    return _db.session.scalars(query).all()


def audit_actions():
    return [e.action for e in _db.session.scalars(_db.select(AuditEntry).order_by(AuditEntry.id))]


def thread_text(client, film):
    return client.get(f"/films/{film.public_id}/comments").get_data(as_text=True)


# -- reporting -------------------------------------------------------------------------------


def test_a_signed_in_user_reports_a_comment_once(client, comment, make_user, login):
    login(client, make_user())
    url = f"/comments/{comment.public_id}/report"
    assert client.post(url, data={"reason": "Insults"}).status_code == 302
    assert client.post(url, data={"reason": "Again"}).status_code == 302  # refused, flashed
    [row] = reports()
    assert (row.reason, row.state, row.comment_id, row.film_id) == (
        "Insults", "open", comment.id, comment.film_id)
    assert "already reported" in thread_text(client, comment.film)


def test_a_film_is_reported_once_per_person(film, make_user):
    reporter = make_user()
    moderation.report(film, reporter, "Not shot on a phone")
    with pytest.raises(DomainError) as again:
        moderation.report(film, reporter, "Really")
    assert again.value.status == 409 and len(reports()) == 1


def test_reports_need_a_reason_and_cannot_target_your_own_work(film, filmmaker, make_user,
                                                               client, login):
    with pytest.raises(DomainError):
        moderation.report(film, make_user(), "   ")
    with pytest.raises(DomainError) as own:
        moderation.report(film, filmmaker, "I regret it")
    assert own.value.status == 403
    assert client.post(f"/films/{film.public_id}/report",
                       data={"reason": "x"}).status_code == 302  # visitors: to sign in
    assert reports() == []


def test_the_threshold_hides_a_comment_until_reviewed(app, client, comment, make_user):
    app.config["REPORT_HIDE_THRESHOLD"] = 2
    moderation.report(comment, make_user(), "Insults")
    assert comment.hidden_at is None and "Rude words" in thread_text(client, comment.film)
    moderation.report(comment, make_user(), "Spam")
    assert comment.hidden_at is not None and comment.hidden_reason == moderation.AUTO_REASON
    assert "Rude words" not in thread_text(client, comment.film)
    assert audit_actions() == ["comment.auto_hide"]


def test_the_author_sees_their_hidden_comment_and_why(app, client, comment, make_user, login):
    app.config["REPORT_HIDE_THRESHOLD"] = 1
    moderation.report(comment, make_user(), "Insults")
    login(client, comment.author)
    html = thread_text(client, comment.film)
    assert "Rude words" in html and "Hidden by the moderators: " + moderation.AUTO_REASON in html


def test_the_default_threshold_is_three(film, make_user):
    for n in range(3):
        assert film.hidden_at is None, n
        moderation.report(film, make_user(), f"report {n}")
    assert film.hidden_at is not None and film.moderation_reason == moderation.AUTO_REASON


def test_a_hidden_reply_keeps_its_place_only_for_its_author(client, comment, make_user, login,
                                                            organizer):
    reply = comments.add_comment(comment.film, make_user(), "Nasty reply", parent=comment)
    moderation.hide(reply, organizer, "Harassment")
    html = thread_text(client, comment.film)
    assert "Nasty reply" not in html and "Rude words" in html
    login(client, reply.author)
    assert "Hidden by the moderators: Harassment" in thread_text(client, comment.film)


# -- the queue and decisions -----------------------------------------------------------------


def test_the_queue_groups_open_reports_by_target(film, comment, make_user):
    moderation.report(comment, make_user(), "one")
    moderation.report(film, make_user(), "two")
    moderation.report(comment, make_user(), "three")
    cases = moderation.queue()
    assert [(c.kind, len(c.reports)) for c in cases] == [("comment", 2), ("film", 1)]
    assert cases[0].target == comment and cases[0].film == film
    assert moderation.queue(film.contest) == cases and moderation.open_reports_total() == 3


def test_hide_upholds_the_reports(comment, make_user, organizer):
    moderation.report(comment, make_user(), "Insults")
    moderation.hide(comment, organizer, "Insults are not allowed.")
    assert comment.hidden_reason == "Insults are not allowed." and comment.hidden_at is not None
    [row] = reports()
    assert (row.state, row.resolved_by_id) == ("hidden", organizer.id)
    assert moderation.queue() == [] and audit_actions() == ["comment.hide"]
    entry = _db.session.scalar(_db.select(AuditEntry))
    assert entry.actor_id == organizer.id and entry.subject == comment.public_id
    assert entry.before["hidden"] is False and entry.after["hidden"] is True


def test_restore_shows_the_target_again(app, client, film, make_user, organizer):
    app.config["REPORT_HIDE_THRESHOLD"] = 1
    moderation.report(film, make_user(), "Stolen footage")
    assert film.hidden_at is not None
    moderation.restore(film, organizer)
    assert film.hidden_at is None and film.moderation_reason is None
    assert [r.state for r in reports()] == ["restored"]
    assert audit_actions() == ["film.auto_hide", "film.restore"]


def test_dismiss_lifts_an_automatic_hide_but_not_an_organizers(app, comment, make_user,
                                                               organizer):
    app.config["REPORT_HIDE_THRESHOLD"] = 1
    moderation.report(comment, make_user(), "meh")
    moderation.dismiss(comment, organizer)
    assert comment.hidden_at is None and reports()[0].state == "dismissed"
    moderation.hide(comment, organizer, "Off topic")
    moderation.report(comment, make_user(), "still bad")
    moderation.dismiss(comment, organizer)
    assert comment.hidden_at is not None and comment.hidden_reason == "Off topic"
    assert [r.state for r in reports()] == ["dismissed", "dismissed"]


def test_a_restored_comment_can_be_hidden_again_by_new_reports(app, comment, make_user,
                                                               organizer):
    app.config["REPORT_HIDE_THRESHOLD"] = 2
    for _ in range(2):
        moderation.report(comment, make_user(), "bad")
    moderation.restore(comment, organizer)
    moderation.report(comment, make_user(), "bad")
    assert comment.hidden_at is None  # the resolved reports no longer count
    moderation.report(comment, make_user(), "bad")
    assert comment.hidden_at is not None


@pytest.mark.parametrize("decide", [
    lambda target, actor: moderation.hide(target, actor, "no"),
    moderation.restore, moderation.dismiss,
    lambda target, actor: moderation.suspend_author(target, actor),
])
def test_only_organizers_decide(comment, make_user, decide):
    for actor in (make_user(), make_user(roles=["judge"]), comment.film.owner):
        with pytest.raises(DomainError) as refused:
            decide(comment, actor)
        assert refused.value.status == 403
    assert comment.author.suspended_at is None and audit_actions() == []


def test_find_target_names_a_film_or_a_comment(film, comment):
    assert moderation.find_target("film", film.public_id) == film
    assert moderation.find_target("comment", comment.public_id) == comment
    for kind, public_id in (("film", comment.public_id), ("user", film.public_id)):
        with pytest.raises(DomainError):
            moderation.find_target(kind, public_id)


# -- suspension ------------------------------------------------------------------------------


def test_suspending_the_author_blocks_them(client, comment, organizer, login):
    author = comment.author
    moderation.suspend_author(comment, organizer, "Repeated insults")
    assert author.suspended_at is not None and not author.is_active
    assert audit_actions() == ["user.suspend"]
    with pytest.raises(DomainError):
        comments.add_comment(comment.film, author, "I'm back")
    with pytest.raises(DomainError):
        moderation.report(comment.film, author, "revenge")
    login(client, author)
    response = client.post(f"/films/{comment.film.public_id}/comments", data={"body": "hi"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    moderation.unsuspend_user(author, organizer)
    assert author.is_active and audit_actions() == ["user.suspend", "user.unsuspend"]


def test_organizers_cannot_suspend_themselves(organizer):
    with pytest.raises(DomainError):
        moderation.suspend_user(organizer, organizer)
    assert organizer.suspended_at is None


# -- rate limits -----------------------------------------------------------------------------


def test_reports_are_rate_limited_per_account(app, base_config, film, make_user, login):
    enabled = limiter.enabled
    other = create_app({**base_config, "RATELIMIT_ENABLED": True,
                        "REPORT_RATE_LIMIT": "2 per hour"})
    try:
        client = other.test_client()
        login(client, make_user())
        targets = [comments.add_comment(film, make_user(), f"c{i}") for i in range(3)]
        codes = [client.post(f"/comments/{c.public_id}/report", data={"reason": "bad"})
                 .status_code for c in targets]
        assert codes == [302, 302, 429] and len(reports()) == 2
    finally:
        assert wait_for_jobs(other)
        limiter.enabled = enabled
