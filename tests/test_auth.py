"""Account pages through the real forms: sign up, in and out, reset, confirmation."""
import logging
import re
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from itsdangerous import URLSafeTimedSerializer

from contest import create_app
from contest.auth.helpers import safe_next
from contest.extensions import db as _db
from contest.extensions import limiter
from contest.models import User
from contest.operations import users

NEW_PASSWORD = "a brand new passphrase"


# --- helpers ----------------------------------------------------------------


def outbox(app):
    # The locmem backend creates the list on the Mail state at its first send.
    return getattr(app.extensions["mailman"], "outbox", [])


def link_in(message):
    """The path of the one link in an email body (asserting it is absolute)."""
    url = re.search(r"https?://\S+", message.body).group(0)
    assert urlsplit(url).netloc, url
    return urlsplit(url).path


def register(client, email="ann@example.com", name="Ann", password=PASSWORD, **kwargs):
    data = {"email": email, "display_name": name, "password": password, "confirm": password}
    return client.post("/auth/register", data={**data, **kwargs})


def sign_in(client, email, password=PASSWORD, remember=False, next=None, **kwargs):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    url = "/auth/login" + (f"?next={next}" if next is not None else "")
    return client.post(url, data=data, **kwargs)


def signed_in_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def cookies(response, name):
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]


@pytest.fixture
def make_app(app, base_config, tmp_path):
    """A second app with other settings; depends on app so tables are emptied after."""
    made = []
    enabled = limiter.enabled

    def make(**overrides):
        new = create_app({**base_config, "MEDIA_ROOT": str(tmp_path / "media2"), **overrides})
        made.append(new)
        return new

    yield make
    for new in made:
        with new.app_context():
            _db.engine.dispose()
    # limiter is module-level: init_app of the last app decides `enabled` and the
    # storage; put both back so no limit leaks into the next test.
    if limiter.enabled:
        limiter.reset()
    limiter.enabled = enabled


# --- sign up ------------------------------------------------------------------


def test_register_page_has_the_form(client):
    page = client.get("/auth/register").get_data(as_text=True)
    for name in ("email", "display_name", "password", "confirm"):
        assert f'name="{name}"' in page


def test_register_signs_in_and_emails_a_confirmation_link(app, client):
    response = register(client, email="Ann@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = users.find_by_email("ann@example.com")
    assert user.email == "ann@example.com" and user.display_name == "Ann"
    assert user.email_verified_at is None
    assert signed_in_id(client) == user.public_id
    [message] = outbox(app)
    assert message.to == ["ann@example.com"]
    assert link_in(message).startswith("/auth/verify/")


def test_register_follows_a_safe_next(client):
    response = client.post(
        "/auth/register?next=/contests/shot-on-n8",
        data={"email": "a@example.com", "display_name": "A", "password": PASSWORD,
              "confirm": PASSWORD},
    )
    assert response.headers["Location"] == "/contests/shot-on-n8"


def test_register_refuses_a_taken_email_whatever_its_case(app, client, make_user):
    make_user("ann@example.com")
    response = register(client, email="ANN@Example.COM")
    assert response.status_code == 200
    assert "An account with that email already exists." in response.get_data(as_text=True)
    assert _db.session.query(User).count() == 1
    assert signed_in_id(client) is None
    assert outbox(app) == []


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"confirm": "something else"}, "The two passwords do not match."),
        ({"password": "short", "confirm": "short"}, "Field must be between 8 and 256"),
        ({"email": "not-an-email"}, "That email address is not valid"),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_register_shows_errors_and_creates_nothing(client, changes, message):
    response = register(client, **changes)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _db.session.query(User).count() == 0


# --- sign in and out ----------------------------------------------------------


def test_sign_in_and_out_through_the_forms(client, make_user):
    user = make_user("bob@example.com", name="Bob")
    assert 'name="password"' in client.get("/auth/login").get_data(as_text=True)
    response = sign_in(client, "BOB@example.com")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in_id(client) == user.public_id
    assert "Bob" in client.get("/").get_data(as_text=True)

    assert client.get("/auth/logout").status_code == 405
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert signed_in_id(client) is None


def test_signed_in_user_visiting_login_is_sent_on(client, make_user, login):
    login(client, make_user())
    assert client.get("/auth/login?next=/contests/x").headers["Location"] == "/contests/x"


def test_failed_sign_in_says_the_same_whatever_was_wrong(client, make_user):
    make_user("known@example.com")
    suspended = make_user("gone@example.com")
    suspended.suspended_at = suspended.created_at
    _db.session.commit()

    attempts = [
        ("known@example.com", "not the password"),  # wrong password
        ("nobody@example.com", PASSWORD),  # unknown email
        ("gone@example.com", PASSWORD),  # suspended account
    ]
    bodies = set()
    for email, password in attempts:
        response = sign_in(client, email, password)
        assert response.status_code == 200
        # The typed address is echoed back; everything else must match to the byte.
        bodies.add(response.get_data(as_text=True).replace(email, "EMAIL"))
    assert len(bodies) == 1
    assert "do not match an account that can sign in" in bodies.pop()
    assert signed_in_id(client) is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%09/evil.example",  # decoded to a tab, which browsers drop
        "/%0a/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_sign_in_never_redirects_off_site(client, make_user, target):
    make_user("bob@example.com")
    response = sign_in(client, "bob@example.com", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_path_on_this_site(client, make_user):
    make_user("bob@example.com")
    response = sign_in(client, "bob@example.com", next="/contests/n8%3Ftab%3Dfilms")
    assert response.headers["Location"] == "/contests/n8?tab=films"


@pytest.mark.parametrize("target", ["/", "/contests/n8", "/contests/n8?page=2#films"])
def test_safe_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [None, "", "//x", "/\\x", "https://x", "/\r\n/x", "x"])
def test_safe_next_rejects_anything_else(target):
    assert safe_next(target) is None


def test_session_and_remember_cookies_are_httponly_and_lax(client, make_user):
    make_user("bob@example.com")
    response = sign_in(client, "bob@example.com", remember=True)
    for name in ("session", "remember_token"):
        [cookie] = cookies(response, name)
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_remember_me_is_optional(client, make_user):
    make_user("bob@example.com")
    assert cookies(sign_in(client, "bob@example.com"), "remember_token") == []


def test_passwords_never_reach_the_log(client, make_user, caplog, monkeypatch):
    # Alembic's fileConfig (run by the schema fixture) disables every logger that
    # existed then; switch ours back on or this test would see nothing.
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith(("contest", "flask", "werkzeug")) and hasattr(logger, "disabled"):
            monkeypatch.setattr(logger, "disabled", False)
    make_user("bob@example.com")
    caplog.set_level(logging.DEBUG)
    sign_in(client, "bob@example.com", "wrong secret 12345")
    sign_in(client, "bob@example.com")
    register(client.application.test_client(), email="new@example.com", password=NEW_PASSWORD)
    assert "failed sign-in" in caplog.text  # the log was really captured
    for secret in ("wrong secret 12345", PASSWORD, NEW_PASSWORD):
        assert secret not in caplog.text


# --- password reset -----------------------------------------------------------


def test_forgot_gives_the_same_answer_whether_or_not_the_account_exists(app, client, make_user):
    make_user("bob@example.com")
    suspended = make_user("gone@example.com")
    suspended.suspended_at = suspended.created_at
    _db.session.commit()

    answers = set()
    for email in ("bob@example.com", "nobody@example.com", "gone@example.com"):
        response = client.post("/auth/forgot", data={"email": email}, follow_redirects=True)
        assert response.status_code == 200
        answers.add(response.get_data(as_text=True))
    assert len(answers) == 1
    assert "If an account uses that address" in answers.pop()
    assert [m.to for m in outbox(app)] == [["bob@example.com"]]


def test_reset_flow_end_to_end_and_the_link_works_once(app, client, make_user):
    user = make_user("bob@example.com", verified=False)
    client.post("/auth/forgot", data={"email": "Bob@example.com"})
    link = link_in(outbox(app)[-1])
    assert link.startswith("/auth/reset/")

    assert client.get(link).status_code == 200
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post(link, data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"

    assert sign_in(client, "bob@example.com", PASSWORD).status_code == 200  # old one refused
    assert sign_in(client, "bob@example.com", NEW_PASSWORD).status_code == 302
    assert user.email_verified_at is not None  # the link proved the address

    # Used once: the password hash changed, so the same link is dead.
    assert client.get(link).status_code == 400
    again = client.post(link, data={"password": "third password!", "confirm": "third password!"})
    assert again.status_code == 400
    assert users.authenticate("bob@example.com", NEW_PASSWORD) is not None


def test_reset_form_checks_the_new_password(app, client, make_user):
    make_user("bob@example.com")
    client.post("/auth/forgot", data={"email": "bob@example.com"})
    link = link_in(outbox(app)[-1])
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": "different"})
    assert "The two passwords do not match." in response.get_data(as_text=True)
    assert users.authenticate("bob@example.com", PASSWORD) is not None
    assert client.get(link).status_code == 200  # still usable after a typo


def test_reset_link_expires_after_an_hour(app, client, make_user, clock):
    make_user("bob@example.com")
    client.post("/auth/forgot", data={"email": "bob@example.com"})
    link = link_in(outbox(app)[-1])
    clock.advance(minutes=59)
    assert client.get(link).status_code == 200
    clock.advance(minutes=2)
    assert client.get(link).status_code == 400
    form = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(link, data=form).status_code == 400
    assert users.authenticate("bob@example.com", PASSWORD) is not None


def test_forged_reset_links_are_refused(client, make_user):
    user = make_user("bob@example.com")
    token = users.reset_token(user)
    other_key = URLSafeTimedSerializer("another secret", salt="contest.reset-password")
    forged = [
        "f" + token[1:],  # payload changed
        token + "a",  # signature changed
        "nonsense",
        other_key.dumps({"user": user.public_id, "stamp": token}),
    ]
    for bad in forged:
        assert client.get(f"/auth/reset/{bad}").status_code == 400
    assert client.get(f"/auth/reset/{token}").status_code == 200


def test_a_confirmation_link_is_not_a_reset_link(client, make_user):
    user = make_user("bob@example.com")
    assert client.get(f"/auth/reset/{users.verification_token(user)}").status_code == 400
    assert client.get(f"/auth/verify/{users.reset_token(user)}").status_code == 400


# --- email confirmation -------------------------------------------------------


def test_confirmation_link_marks_the_address_verified(app, client):
    register(client, email="ann@example.com")
    link = link_in(outbox(app)[-1])
    other_device = app.test_client()  # the link works without a session
    response = other_device.get(link)
    assert response.status_code == 302
    assert users.find_by_email("ann@example.com").email_verified_at is not None


def test_confirmation_link_expires_after_seven_days(app, client, clock):
    register(client, email="ann@example.com")
    link = link_in(outbox(app)[-1])
    clock.advance(days=7, minutes=1)
    response = client.get(link)
    assert response.status_code == 400
    assert "/auth/verify" in response.get_data(as_text=True)  # offers a new link
    assert users.find_by_email("ann@example.com").email_verified_at is None


def test_unverified_user_can_ask_for_a_new_link(app, client, make_user, login):
    user = login(client, make_user("ann@example.com", verified=False))
    assert "Send a new link" in client.get("/auth/verify").get_data(as_text=True)
    response = client.post("/auth/verify/resend")
    assert response.status_code == 302
    [message] = outbox(app)
    client.get(link_in(message))
    assert user.email_verified_at is not None

    client.post("/auth/verify/resend")
    assert len(outbox(app)) == 1  # nothing more to confirm


def test_resend_needs_a_signed_in_user(app, client):
    response = client.post("/auth/verify/resend")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert outbox(app) == []


# --- CSRF and rate limits, really switched on ---------------------------------


def test_csrf_is_enforced_on_sign_in_and_sign_out(make_app, make_user):
    user = make_user("bob@example.com")
    client = make_app(WTF_CSRF_ENABLED=True).test_client()

    assert sign_in(client, "bob@example.com").status_code == 400
    assert signed_in_id(client) is None

    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/auth/login", data={"email": "bob@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert signed_in_id(client) == user.public_id

    assert client.post("/auth/logout").status_code == 400
    assert signed_in_id(client) == user.public_id
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert signed_in_id(client) is None


def test_sign_in_is_rate_limited_per_address(make_app, make_user):
    make_user("bob@example.com")
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    for _ in range(10):
        assert sign_in(client, "bob@example.com", "wrong password").status_code == 200
    response = sign_in(client, "bob@example.com")
    assert response.status_code == 429
    assert client.get("/auth/login").status_code == 200  # only POSTs count
    other = app.test_client()
    elsewhere = sign_in(other, "bob@example.com", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert elsewhere.status_code == 302


def test_forgot_is_rate_limited(make_app):
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    codes = [client.post("/auth/forgot", data={"email": "x@example.com"}).status_code
             for _ in range(6)]
    assert codes == [302] * 5 + [429]
