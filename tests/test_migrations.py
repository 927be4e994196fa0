"""The schema comes only from the migrations: they build it from empty, tear it
down again, and never drift from the models.

Runs on a fresh SQLite file, and on a throw-away PostgreSQL database when
TEST_DATABASE_URL is set (the session database the other tests use is left alone).
"""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from databases import fresh_postgres_database
from sqlalchemy import inspect

from contest import ROOT, create_app
from contest.extensions import db

TABLES = {"users", "api_tokens", "contests", "accepted_phones", "films", "renditions", "jobs"}


def _postgres_database():
    """A uniquely named database beside TEST_DATABASE_URL's; yields its URL."""
    with fresh_postgres_database(os.environ["TEST_DATABASE_URL"], "migrations") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("set TEST_DATABASE_URL to run the migrations on PostgreSQL")
    yield from _postgres_database()


@pytest.fixture
def fresh_app(empty_database, tmp_path):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": empty_database,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CELERY_BROKER_URL": "",
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def table_names(app):
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def flask_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def test_upgrade_builds_the_schema_from_empty_and_downgrade_removes_it(fresh_app):
    assert table_names(fresh_app) == set()
    flask_db(fresh_app, "upgrade")
    assert TABLES <= table_names(fresh_app)
    flask_db(fresh_app, "downgrade", "base")
    assert table_names(fresh_app) <= {"alembic_version"}
    flask_db(fresh_app, "upgrade")
    assert TABLES <= table_names(fresh_app)


def test_models_and_migrations_never_drift(fresh_app):
    flask_db(fresh_app, "upgrade")
    with fresh_app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], (
        "The models differ from the migrations; add a revision with "
        "`flask --app contest db migrate -m '...'` and review it."
    )


def test_revisions_form_one_line():
    # Two branches adding revisions at once leave two heads; upgrade would refuse.
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; merge them"
