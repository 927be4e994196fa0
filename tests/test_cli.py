"""The flask CLI: users, contests and demo data, checked in the database."""
from datetime import datetime

import pytest

from contest.models import Contest, User
from contest.operations.users import authenticate

PASSWORD = "long enough password"


@pytest.fixture
def flask_cli(runner):
    """flask_cli("users", "create", ...) -> click result."""

    def invoke(*args):
        return runner.invoke(args=list(args))

    return invoke


def users(db):
    db.session.expire_all()
    return db.session.scalars(db.select(User)).all()


def contest(db, slug):
    db.session.expire_all()
    return db.session.scalar(db.select(Contest).filter_by(slug=slug))


def test_users_create_with_roles(flask_cli, db):
    result = flask_cli("users", "create", "Ana@Example.com", "--password", PASSWORD,
                       "--name", "Ana", "--role", "judge", "--role", "organizer")
    assert result.exit_code == 0, result.output
    assert "ana@example.com" in result.output
    [user] = users(db)
    assert (user.email, user.display_name) == ("ana@example.com", "Ana")
    assert user.is_judge and user.is_organizer
    assert user.email_verified_at is None
    assert authenticate("ana@example.com", PASSWORD) == user


def test_users_create_plain_filmmaker_verified(flask_cli, db):
    result = flask_cli("users", "create", "bo@example.com", "--password", PASSWORD,
                       "--verified")
    assert result.exit_code == 0, result.output
    [user] = users(db)
    assert user.roles == [] and user.email_verified_at is not None
    assert user.display_name == "bo"


@pytest.mark.parametrize("args, message", [
    (["not-an-email", "--password", PASSWORD], "not valid"),
    (["cy@example.com", "--password", "short"], "at least 8"),
])
def test_users_create_refuses_bad_input(flask_cli, db, args, message):
    result = flask_cli("users", "create", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert users(db) == []


def test_users_create_refuses_a_taken_email(flask_cli, db, make_user):
    make_user("dee@example.com")
    result = flask_cli("users", "create", "DEE@example.com", "--password", PASSWORD)
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert len(users(db)) == 1


def test_users_create_refuses_an_unknown_role(flask_cli, db):
    result = flask_cli("users", "create", "ed@example.com", "--password", PASSWORD,
                       "--role", "admin")
    assert result.exit_code == 2
    assert users(db) == []


def test_users_grant_and_revoke(flask_cli, db, make_user):
    make_user("fay@example.com")
    assert flask_cli("users", "grant", "fay@example.com", "judge").exit_code == 0
    assert users(db)[0].is_judge
    result = flask_cli("users", "revoke", "FAY@example.com", "judge")
    assert result.exit_code == 0, result.output
    assert not users(db)[0].is_judge


def test_users_grant_to_nobody_fails(flask_cli, db):
    result = flask_cli("users", "grant", "ghost@example.com", "organizer")
    assert result.exit_code == 1
    assert "No account" in result.output


def test_contests_create_with_every_option(flask_cli, db):
    result = flask_cli(
        "contests", "create", "n8-2027", "--title", "Shot on N8", "--tagline", "Old phone",
        "--phone", "Nokia N8-00", "--phone", "Nokia 808", "--device-policy", "flag",
        "--max-duration", "120", "--max-size-mb", "300", "--min-height", "480",
        "--max-entries", "2", "--votes-per-account", "5", "--verified-voters",
        "--blind-judging", "--rules", "**Be kind**",
        "--submissions-open", "2027-03-01T02:00:00+02:00",
        "--submissions-close", "2027-03-10T00:00:00Z",
        "--voting-open", "2027-03-12T00:00:00Z", "--voting-close", "2027-03-20T00:00:00Z",
        "--results", "2027-03-25T00:00:00Z",
    )
    assert result.exit_code == 0, result.output
    c = contest(db, "n8-2027")
    assert (c.title, c.tagline, c.rules) == ("Shot on N8", "Old phone", "**Be kind**")
    assert [p.label for p in c.phones] == ["Nokia N8-00", "Nokia 808"]
    assert (c.device_policy, c.max_duration_s, c.max_size_mb) == ("flag", 120, 300)
    assert (c.min_height, c.max_entries_per_filmmaker, c.votes_per_account) == (480, 2, 5)
    assert c.voting_requires_verified_email and c.blind_judging
    assert not c.hide_votes_until_close
    assert c.submissions_open_at == datetime(2027, 3, 1, 0, 0)
    assert c.results_at == datetime(2027, 3, 25)


def test_contests_create_defaults_to_a_schedule_open_now(flask_cli, db, clock):
    clock.set(datetime(2027, 6, 1, 12, 0))
    result = flask_cli("contests", "create", "quick", "--title", "Quick",
                       "--phone", "Nokia N8-00")
    assert result.exit_code == 0, result.output
    assert "(submissions)" in result.output
    assert contest(db, "quick").submissions_open_at == datetime(2027, 6, 1, 12, 0)


@pytest.mark.parametrize("args, message", [
    (["--title", "No phone"], "at least one accepted phone"),
    (["--phone", "Nokia N8-00"], "needs a title"),
    (["--title", "T", "--phone", "Nokia"], "make and a model"),
    (["--title", "T", "--phone", "Nokia N8-00", "--results", "soon"], "ISO 8601"),
    (["--title", "T", "--phone", "Nokia N8-00", "--submissions-open", "2027-03-01",
      "--submissions-close", "2027-03-10", "--voting-open", "2027-02-01",
      "--voting-close", "2027-03-20", "--results", "2027-03-25"], "Voting cannot open"),
    (["--title", "T", "--phone", "Nokia N8-00", "--max-duration", "0"], "at least 1"),
])
def test_contests_create_refuses_bad_settings(flask_cli, db, args, message):
    result = flask_cli("contests", "create", "bad", *args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert contest(db, "bad") is None


def test_contests_create_refuses_a_taken_slug(flask_cli, db, make_contest):
    make_contest("taken", title="First")
    result = flask_cli("contests", "create", "taken", "--title", "Second",
                       "--phone", "Nokia N8-00")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert contest(db, "taken").title == "First"


def test_contests_update_changes_only_what_is_given(flask_cli, db, make_contest):
    make_contest("upd", title="Before", votes_per_account=3, max_size_mb=100)
    result = flask_cli("contests", "update", "upd", "--title", "After",
                       "--phone", "Nokia 808", "--one-vote-per-film",
                       "--voting-close", "2099-01-01T00:00:00Z", "--results", "2099-02-01")
    assert result.exit_code == 0, result.output
    c = contest(db, "upd")
    assert c.title == "After" and c.max_size_mb == 100
    assert [p.label for p in c.phones] == ["Nokia 808"]
    assert c.votes_per_account is None
    assert c.voting_close_at == datetime(2099, 1, 1)


def test_contests_update_refuses_and_keeps_the_old_settings(flask_cli, db, make_contest):
    make_contest("keep", title="Kept", results_at="2099-01-01T00:00:00Z")
    result = flask_cli("contests", "update", "keep", "--title", "Lost",
                       "--results", "2000-01-01T00:00:00Z")
    assert result.exit_code == 1
    assert "Results come after" in result.output
    assert contest(db, "keep").title == "Kept"


def test_contests_update_errors(flask_cli, make_contest):
    missing = flask_cli("contests", "update", "nope", "--title", "X")
    assert missing.exit_code == 1 and "No contest" in missing.output
    make_contest("same")
    nothing = flask_cli("contests", "update", "same")
    assert nothing.exit_code == 2 and "at least one setting" in nothing.output


def test_contests_list_shows_phase_and_dates(flask_cli, make_contest, clock):
    clock.set(datetime(2027, 3, 15))
    make_contest("listed", title="Listed one",
                 submissions_open_at="2027-03-01T00:00:00Z",
                 submissions_close_at="2027-03-10T00:00:00Z",
                 voting_open_at="2027-03-12T00:00:00Z",
                 voting_close_at="2027-03-20T00:00:00Z", results_at="2027-03-25T00:00:00Z")
    result = flask_cli("contests", "list")
    assert result.exit_code == 0
    assert "listed  Listed one  [voting]  Nokia N8-00" in result.output
    assert "Voting closes:   2027-03-20 00:00 UTC" in result.output


def test_contests_list_when_empty(flask_cli):
    assert "No contests yet" in flask_cli("contests", "list").output


def test_demo_makes_an_organizer_and_a_contest_once(flask_cli, db):
    first = flask_cli("demo")
    assert first.exit_code == 0, first.output
    password = first.output.split("password: ")[1].split()[0]
    organizer = authenticate("organizer@example.com", password)
    assert organizer is not None and organizer.is_organizer
    [sample] = db.session.scalars(db.select(Contest)).all()
    assert sample.accepting_entries()
    assert [p.label for p in sample.phones] == ["Nokia N8-00"]

    again = flask_cli("demo")
    assert again.exit_code == 0
    assert f"password: {password}" in again.output
    assert len(users(db)) == 1
    assert db.session.scalar(db.select(db.func.count(Contest.id))) == 1


def test_demo_repairs_the_organizer_and_leaves_real_contests_alone(
        flask_cli, db, make_user, make_contest):
    make_user("organizer@example.com", password="changed password")
    make_contest("real-one")
    result = flask_cli("demo")
    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    assert authenticate("organizer@example.com", password).is_organizer
    assert [c.slug for c in db.session.scalars(db.select(Contest))] == ["real-one"]


def test_demo_is_refused_in_production(flask_cli, app, db):
    app.config["CONTEST_ENV"] = "production"
    result = flask_cli("demo")
    assert result.exit_code == 1
    assert "production" in result.output
    assert users(db) == []
