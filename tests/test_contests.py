from datetime import datetime

import pytest

from contest.errors import DomainError
from contest.operations.contests import create_contest, update_contest

T = datetime(2027, 3, 1, 12, 0)
SCHEDULE = {
    "submissions_open_at": "2027-03-01T00:00:00Z",
    "submissions_close_at": "2027-03-10T00:00:00Z",
    "voting_open_at": "2027-03-12T00:00:00Z",
    "voting_close_at": "2027-03-20T00:00:00Z",
    "results_at": "2027-03-25T00:00:00Z",
}


@pytest.mark.parametrize(
    "at, phase",
    [
        (datetime(2027, 2, 28), "upcoming"),
        (datetime(2027, 3, 1), "submissions"),
        (datetime(2027, 3, 10), "screening"),
        (datetime(2027, 3, 12), "voting"),
        (datetime(2027, 3, 21), "judging"),
        (datetime(2027, 3, 25), "results"),
    ],
)
def test_phase_follows_the_schedule(make_contest, at, phase):
    contest = make_contest(**SCHEDULE)
    assert contest.phase(at) == phase


def test_overlapping_windows_name_the_later_activity(make_contest):
    contest = make_contest(**{**SCHEDULE, "voting_open_at": "2027-03-05T00:00:00Z"})
    assert contest.phase(datetime(2027, 3, 6)) == "voting"
    assert contest.accepting_entries(datetime(2027, 3, 6))
    assert contest.voting_open(datetime(2027, 3, 6))


def test_phase_reads_the_settable_clock(make_contest, clock):
    contest = make_contest(**SCHEDULE)
    clock.set(datetime(2027, 3, 15))
    assert contest.phase() == "voting"
    clock.advance(days=10)
    assert contest.phase() == "results"


def test_schedule_out_of_order_is_refused_and_changes_nothing(make_contest, db):
    contest = make_contest(**SCHEDULE)
    with pytest.raises(DomainError, match="Results come after"):
        update_contest(contest, {"results_at": "2027-03-01T00:00:00Z"})
    db.session.refresh(contest)
    assert contest.results_at == datetime(2027, 3, 25)


def test_offsets_are_stored_as_utc(make_contest):
    contest = make_contest(**{**SCHEDULE, "submissions_open_at": "2027-03-01T02:00:00+02:00"})
    assert contest.submissions_open_at == datetime(2027, 3, 1, 0, 0)


def test_slug_is_unique(make_contest):
    make_contest("same")
    with pytest.raises(DomainError) as error:
        make_contest("same")
    assert error.value.status == 409


def test_phone_needs_make_and_model(app):
    with pytest.raises(DomainError, match="make and a model"):
        create_contest("x1", {"title": "T", "accepted_phones": ["Nokia"]})


def test_home_lists_contests_by_phase(client, make_contest, clock):
    clock.set(datetime(2027, 3, 2))
    make_contest("open-one", title="Open one", **SCHEDULE)
    make_contest("later-one", title="Later one", **{
        k: v.replace("2027-03", "2027-05") for k, v in SCHEDULE.items()})
    html = client.get("/").get_data(as_text=True)
    assert html.index("Open for entries") < html.index("Open one")
    assert html.index("Coming soon") < html.index("Later one")


def test_contest_page_shows_rules_sanitized_and_timeline(client, make_contest, clock):
    clock.set(datetime(2027, 3, 15))
    make_contest("cc", rules="**Be kind**<script>alert(1)</script>", **SCHEDULE)
    html = client.get("/contests/cc").get_data(as_text=True)
    assert "<strong>Be kind</strong>" in html
    assert "<script>alert" not in html
    assert "Nokia N8-00" in html
    assert 'class="future current"' in html or "current" in html
    assert "Voting closes" in html
