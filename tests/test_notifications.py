"""Notifications: each kind on the site and by email, the user's choices, unsubscribe links."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import render_template_string
from flask_login import login_user

from contest.extensions import db as _db
from contest.jobs import create_job, run_job, wait_for_jobs
from contest.models import Film, Job, Notification, NotificationSetting, OutgoingEmail
from contest.models.community import NOTIFICATION_KINDS
from contest.operations import comments
from contest.operations import notifications as ops


@pytest.fixture
def outbox(app):
    """The locmem backend's list (it is made with the first message otherwise)."""
    app.extensions["mailman"].outbox = []
    return app.extensions["mailman"].outbox


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ana")


@pytest.fixture
def film(make_contest, filmmaker):
    contest = make_contest()
    film = Film(contest=contest, owner=filmmaker, title="Harbour", status="ready",
                published_at=contest.submissions_open_at)
    _db.session.add(film)
    _db.session.commit()
    return film


def notices(user):
    return _db.session.scalars(_db.select(Notification).filter_by(user_id=user.id)
                               .order_by(Notification.id)).all()


def emails():
    return _db.session.scalars(_db.select(OutgoingEmail).order_by(OutgoingEmail.id)).all()


def sent_to(outbox, user):
    return [m for m in outbox if m.to == [user.email]]


# -- comments and replies --------------------------------------------------------------------


def test_a_comment_tells_the_filmmaker_and_a_reply_tells_the_commenter(app, film, filmmaker,
                                                                       make_user, outbox):
    fan, other = make_user(name="Fan"), make_user(name="Other")
    top = comments.add_comment(film, fan, "Great!")
    [notice] = notices(filmmaker)
    assert (notice.kind, notice.message) == ("comment", "Fan commented on “Harbour”.")
    assert notice.link == f"/films/{film.public_id}#c-{top.public_id}"
    assert notice.data == {"film": film.public_id, "comment": top.public_id}
    reply = comments.add_comment(film, other, "Agreed", parent=top)
    assert [n.kind for n in notices(fan)] == ["reply"]
    assert notices(fan)[0].link.endswith(f"#c-{reply.public_id}")
    assert [n.kind for n in notices(filmmaker)] == ["comment", "comment"]
    assert wait_for_jobs(app)
    assert len(sent_to(outbox, filmmaker)) == 2 and len(sent_to(outbox, fan)) == 1


def test_nobody_hears_about_their_own_words(film, filmmaker, make_user):
    fan = make_user()
    top = comments.add_comment(film, filmmaker, "Thanks for watching")
    comments.add_comment(film, filmmaker, "And more", parent=top)
    assert notices(filmmaker) == []
    comments.add_comment(film, fan, "Reply to the filmmaker", parent=top)
    # The filmmaker is told once (as a reply), not twice.
    assert [n.kind for n in notices(filmmaker)] == ["reply"]


# -- choices ---------------------------------------------------------------------------------


def test_every_kind_is_on_by_default(make_user):
    assert ops.preferences(make_user()) == {
        kind: {"in_site": True, "email": True} for kind in NOTIFICATION_KINDS}


def test_choices_are_honoured_per_kind_and_channel(app, film, filmmaker, make_user, outbox):
    ops.save_preferences(filmmaker, {"comment": {"in_site": False, "email": True},
                                     "reply": {"in_site": True, "email": False}})
    comments.add_comment(film, make_user(), "hello")
    assert notices(filmmaker) == [] and [e.to for e in emails()] == [filmmaker.email]
    own = comments.add_comment(film, filmmaker, "Thanks")
    comments.add_comment(film, make_user(), "hi", parent=own)
    assert [n.kind for n in notices(filmmaker)] == ["reply"] and len(emails()) == 1
    ops.save_preferences(filmmaker, {"comment": {"in_site": False, "email": False}})
    comments.add_comment(film, make_user(), "nothing")
    assert len(notices(filmmaker)) == 1 and len(emails()) == 1
    assert wait_for_jobs(app)
    assert len(outbox) == 1


def test_the_settings_page_is_a_table_of_checkboxes(client, make_user, login):
    user = login(client, make_user())
    html = client.get("/settings/notifications").get_data(as_text=True)
    assert html.count('type="checkbox"') == 2 * len(NOTIFICATION_KINDS)
    ticked = {f"site_{k}": "y" for k in NOTIFICATION_KINDS}
    ticked.update({f"email_{k}": "y" for k in NOTIFICATION_KINDS if k != "voting_open"})
    del ticked["site_won"]
    assert client.post("/settings/notifications", data=ticked).status_code == 302
    prefs = ops.preferences(user)
    assert prefs["voting_open"] == {"in_site": True, "email": False}
    assert prefs["won"] == {"in_site": False, "email": True}
    assert prefs["comment"] == {"in_site": True, "email": True}
    html = client.get("/settings/notifications").get_data(as_text=True)
    assert "checked" not in re.search(r'<input[^>]*id="email_voting_open"[^>]*>', html).group(0)
    assert "checked" in re.search(r'<input[^>]*id="email_comment"[^>]*>', html).group(0)
    assert "checked" not in re.search(r'<input[^>]*id="site_won"[^>]*>', html).group(0)


def test_settings_and_notifications_need_a_signed_in_user(client):
    for url in ("/settings/notifications", "/notifications", "/notifications/count"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


# -- the bell and the page -------------------------------------------------------------------


def test_the_page_lists_them_and_marks_them_read(client, make_user, login):
    user = login(client, make_user())
    ops.notify(user, "won", "Your film won", "/films/abc")
    ops.notify(user, "judge_assigned", "You judge now", None)
    _db.session.commit()
    assert client.get("/notifications/count").get_json() == {"unread": 2}
    html = client.get("/notifications").get_data(as_text=True)
    assert '<a href="/films/abc">Your film won</a>' in html and "You judge now" in html
    assert html.count('class="notification unread"') == 2
    assert client.get("/notifications/count").get_json() == {"unread": 0}
    assert 'class="notification unread"' not in client.get("/notifications").get_data(
        as_text=True)


def test_the_bell_partial_shows_the_count(app, client, make_user, login):
    user = login(client, make_user())
    ops.notify(user, "won", "Your film won", "/")
    _db.session.commit()
    with app.test_request_context("/"):
        login_user(user)
        html = render_template_string('{% include "community/_bell.html" %}')
    assert 'href="/notifications"' in html and ">1</span>" in html
    assert "Notifications, 1 unread" in html


# -- email through the job runner ------------------------------------------------------------


def test_an_email_is_queued_then_sent_by_the_runner(app, film, filmmaker, make_user, outbox):
    comments.add_comment(film, make_user(name="Fan"), "Great!")
    [email] = emails()
    job = _db.session.scalar(_db.select(Job).filter_by(email_id=email.id))
    assert job.kind == "email"
    assert wait_for_jobs(app)
    _db.session.expire_all()
    assert _db.session.get(OutgoingEmail, email.id).state == "sent"
    assert _db.session.get(Job, job.id).state == "done"
    [message] = outbox
    assert message.subject == "Fan commented on “Harbour”."
    assert "Fan commented on “Harbour”." in message.body
    # Made outside a request: the links use SITE_URL (default http://localhost:5000).
    assert f"http://localhost:5000/films/{film.public_id}#c-" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Fan commented on “Harbour”." in html
    unsubscribe = re.search(r"Unsubscribe from these emails: (\S+)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe}"' in html


def test_delivery_is_safe_to_run_twice(app, make_user, outbox):
    user = make_user()
    email = ops.OutgoingEmail(to=user.email, subject="Hi", body_text="Hello")
    job = create_job(kind="email", email=email)
    _db.session.commit()
    assert run_job(job.id) == "done"
    ops.deliver_email_job(_db.session.get(Job, job.id))
    assert len(outbox) == 1 and email.attempts == 1 and email.sent_at is not None


def test_a_rollback_sends_nothing(app, make_user, outbox):
    user = make_user()
    ops.notify(user, "won", "Not really", "/")
    _db.session.rollback()
    assert wait_for_jobs(app)
    assert emails() == [] and outbox == []


def test_unconfirmed_addresses_get_no_email(make_user):
    user = make_user(verified=False)
    ops.notify(user, "won", "You won", "/")
    _db.session.commit()
    assert emails() == [] and len(notices(user)) == 1


def test_with_no_mail_server_emails_go_to_the_log(app, base_config, make_user, caplog):
    from contest import create_app

    logged = create_app({**base_config, "MAIL_BACKEND": None})
    user = make_user()
    with logged.app_context():
        email = ops.OutgoingEmail(to=user.email, subject="Logged", body_text="Hello log")
        job = create_job(kind="email", email=email)
        _db.session.commit()
        assert run_job(job.id) == "done"
    assert "email to " + user.email in caplog.text and "Hello log" in caplog.text


# -- unsubscribing ---------------------------------------------------------------------------


def test_the_unsubscribe_link_works_without_signing_in(app, client, film, filmmaker, make_user,
                                                       outbox):
    comments.add_comment(film, make_user(), "one")
    assert wait_for_jobs(app)
    link = urlsplit(re.search(r"Unsubscribe from these emails: (\S+)",
                              outbox[0].body).group(1)).path
    page = client.get(link)
    assert page.status_code == 200 and "A new comment on your film" in page.get_data(True)
    assert ops.preferences(filmmaker)["comment"]["email"] is True  # a GET changes nothing
    done = client.post(link)
    assert done.status_code == 200 and "no more emails" in done.get_data(True)
    assert ops.preferences(filmmaker)["comment"] == {"in_site": True, "email": False}
    assert ops.preferences(filmmaker)["reply"] == {"in_site": True, "email": True}
    comments.add_comment(film, make_user(), "two")
    assert wait_for_jobs(app)
    assert len(outbox) == 1 and len(notices(filmmaker)) == 2


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(app, base_config, make_user):
    from contest import create_app

    strict = create_app({**base_config, "WTF_CSRF_ENABLED": True})
    user = make_user()
    with strict.test_request_context():
        token = ops.unsubscribe_token(user, "won")
    response = strict.test_client().post(f"/unsubscribe/{token}",
                                          data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _db.session.scalar(_db.select(NotificationSetting.email).filter_by(
        user_id=user.id, kind="won")) is False


def test_a_forged_unsubscribe_token_is_refused(client, make_user):
    user = make_user()
    token = ops.unsubscribe_token(user, "won")
    for bad in (token[:-2] + "xx", "nonsense", ops.unsubscribe_token(user, "won") + "a"):
        assert client.post(f"/unsubscribe/{bad}").status_code == 404
    assert ops.preferences(user)["won"]["email"] is True


# -- the hooks for other modules -------------------------------------------------------------


@pytest.mark.parametrize("status, kind, words", [
    ("ready", "film_ready", "is ready"),
    ("rejected", "film_refused", "was refused: Not from a Nokia N8"),
    ("failed", "film_failed", "could not be processed"),
])
def test_film_processed_tells_the_filmmaker(app, film, filmmaker, status, kind, words, outbox):
    film.status, film.error = status, "Not from a Nokia N8" if status == "rejected" else None
    _db.session.commit()
    # The pipeline runs outside any request: links must still be built.
    ops.film_processed(film)
    [notice] = notices(filmmaker)
    assert notice.kind == kind and words in notice.message
    assert wait_for_jobs(app)
    assert words in outbox[0].body and "http://localhost:5000/" in outbox[0].body


def test_film_processed_ignores_a_film_still_processing(film, filmmaker):
    film.status = "processing"
    assert ops.film_processed(film) is None and notices(filmmaker) == []


def test_shortlisted_won_and_judge_assigned(film, filmmaker, make_user):
    ops.notify_shortlisted(film)
    ops.notify_won(film, "Jury Prize")
    judge = make_user()
    ops.notify_judge_assigned(judge, film.contest)
    assert [n.kind for n in notices(filmmaker)] == ["shortlisted", "won"]
    assert "won Jury Prize" in notices(filmmaker)[1].message
    assert notices(judge)[0].kind == "judge_assigned" and notices(judge)[0].link == "/judging/"


def test_voting_open_is_announced_once_per_contest(app, runner, make_contest, make_user, clock,
                                                   outbox):
    contest = make_contest()
    entrants = [make_user(), make_user()]
    for n, owner in enumerate([*entrants, entrants[0]]):
        _db.session.add(Film(contest=contest, owner=owner, title=f"f{n}", status="ready",
                             published_at=contest.submissions_open_at))
    refused = make_user()
    _db.session.add(Film(contest=contest, owner=refused, title="no", status="rejected"))
    _db.session.commit()
    clock.set(contest.voting_open_at - timedelta(minutes=1))
    assert "No contest" in runner.invoke(args=["notify", "voting-open"]).output
    clock.set(contest.voting_open_at + timedelta(minutes=1))
    result = runner.invoke(args=["notify", "voting-open"])
    assert f"{contest.slug}: notified 2 filmmaker(s)." in result.output
    assert "No contest" in runner.invoke(args=["notify", "voting-open"]).output
    for user in entrants:
        assert [n.kind for n in notices(user)] == ["voting_open"]
    assert notices(refused) == []
    assert wait_for_jobs(app)
    assert sorted(m.to[0] for m in outbox) == sorted(u.email for u in entrants)


def test_links_in_emails_made_during_a_request_use_its_host(app, client, film, filmmaker,
                                                            make_user, outbox):
    with client.session_transaction(base_url="https://films.example") as session:
        session["_user_id"] = make_user().public_id
    client.post(f"/films/{film.public_id}/comments", data={"body": "Hi"},
                base_url="https://films.example")
    assert wait_for_jobs(app)
    [message] = outbox
    assert f"https://films.example/films/{film.public_id}#c-" in message.body
    assert "Unsubscribe from these emails: https://films.example/unsubscribe/" in message.body


def test_results_are_announced_only_once_they_are_public(film, filmmaker, make_user, clock,
                                                          runner):
    from contest.models import Award, ShortlistEntry

    contest = film.contest
    _db.session.add(ShortlistEntry(contest_id=contest.id, film_id=film.id))
    _db.session.add(Award(contest_id=contest.id, name="Jury Prize", kind="jury",
                          film_id=film.id))
    contest.shortlist_confirmed_at = contest.results_confirmed_at = clock.now()
    _db.session.commit()
    clock.set(contest.results_at - timedelta(minutes=1))
    assert ops.notify_results() == {}
    assert notices(filmmaker) == []
    clock.set(contest.results_at)
    result = runner.invoke(args=["notify", "results"])
    assert f"{contest.slug}: sent 2 notice(s)." in result.output
    assert [n.kind for n in notices(filmmaker)] == ["shortlisted", "won"]
    assert "Jury Prize" in notices(filmmaker)[1].message
    assert ops.notify_results() == {}
    assert len(notices(filmmaker)) == 2
