"""Shared fixtures: app, client, db, factories, login, a settable clock.

The schema is built once per run by the Flask-Migrate revisions (as in production)
on SQLite, or on PostgreSQL when TEST_DATABASE_URL is set; every test starts from
empty tables.
"""
import itertools
import os
from datetime import timedelta

import pytest
from databases import fresh_postgres_database
from flask import g
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import make_url, text

from contest import clock as contest_clock
from contest import create_app
from contest.extensions import db as _db
from contest.jobs import wait_for_jobs
from contest.operations.contests import create_contest
from contest.operations.users import create_user

pytest_plugins = ["s3_server", "browser_support"]

PASSWORD = "correct horse battery"
SHARED_MEDIA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "media")
_seq = itertools.count(1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """SQLite by default; with TEST_DATABASE_URL, a fresh PostgreSQL database for this run.

    A database of its own per run (created beside the named one, dropped at the end)
    lets several runs share one server.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
        return
    with fresh_postgres_database(url, make_url(url).database) as fresh:
        yield fresh


@pytest.fixture(scope="session")
def base_config(database_url, tmp_path_factory):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "locmem",
        # Cheap hashes: scrypt costs a tenth of a second per account.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "CACHE_TYPE": "SimpleCache",
        "GALLERY_CACHE_S": 0,
        "FILM_CACHE_S": 0,
        "STORAGE": "local",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }


@pytest.fixture(scope="session")
def _schema(base_config):
    app = create_app(base_config)
    with app.app_context():
        upgrade()
        _db.engine.dispose()


class TestClient(FlaskClient):
    """A test client whose requests do not inherit the signed-in user of the last one.

    The test's app context stays pushed across requests, so flask-login's per-context
    cache of the current user must be dropped before each request.
    """

    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        try:
            return super().open(*args, **kwargs)
        finally:
            g.pop("_login_user", None)


@pytest.fixture
def app(base_config, _schema, tmp_path):
    app = create_app({**base_config, "MEDIA_ROOT": str(tmp_path / "media")})
    app.test_client_class = TestClient
    with app.app_context():
        yield app
        wait_for_jobs(app)  # background jobs finish before the tables go
        _db.session.remove()
        empty_tables()
        _db.engine.dispose()


def empty_tables():
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def clock():
    """Freeze the site's clock: clock.set(datetime) moves it; reset after the test."""

    class Clock:
        def set(self, when):
            contest_clock.set_now(when)

        def advance(self, **delta):
            contest_clock.set_now(contest_clock.now() + timedelta(**delta))

        def now(self):
            return contest_clock.now()

    contest_clock.set_now(contest_clock.now())
    yield Clock()
    contest_clock.set_now(None)


@pytest.fixture
def make_user(app):
    def make(email=None, password=PASSWORD, name=None, roles=(), verified=True):
        email = email or f"user{next(_seq)}@example.com"
        return create_user(email, name or email.split("@")[0], password, roles, verified)

    return make


@pytest.fixture
def make_contest(app):
    """A contest open for entries now, with overrides for any setting."""

    def make(slug=None, **overrides):
        data = {"title": "Shot on N8", "accepted_phones": ["Nokia N8-00"], **overrides}
        return create_contest(slug or f"contest-{next(_seq)}", data)

    return make


@pytest.fixture
def login():
    """login(client, user): sign the client in as user (the real form is tested in test_auth)."""

    def sign_in(client, user):
        with client.session_transaction() as session:
            session["_user_id"] = user.public_id
            session["_fresh"] = True
        return user

    return sign_in
