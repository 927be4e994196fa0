"""An organizer runs a contest from the console in chromium: create it, watch an entry
get processed, disqualify one, review the votes, publish the results."""
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from browser_support import screenshot, sign_in
from clips import NOKIA_N8, make_clip

from contest import clock as site_clock
from contest.extensions import db
from contest.jobs import thread_runner
from contest.models import Contest, Film, Vote
from contest.operations import votes

PASSWORD = "correct horse battery"  # make_user's default
PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.browser


def paris(value):
    """A naive UTC time as the datetime-local value an organizer in Paris types."""
    return value.replace(tzinfo=UTC).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def now():
    start = site_clock.now().replace(second=0, microsecond=0)
    site_clock.set_now(start)
    yield start
    site_clock.set_now(None)


def create_contest_in_the_console(page, base, now):
    page.goto(f"{base}/admin/")
    page.select_option("#time_zone", "Europe/Paris")
    page.get_by_role("button", name="Set").click()
    page.get_by_role("link", name="New contest").click()
    page.fill("input[name=slug]", "n8")
    page.fill("input[name=title]", "Shot on N8")
    page.fill("input[name=tagline]", "One phone, one minute.")
    page.fill("textarea[name=rules]", "## Be original\nFilm it **yourself**.")
    page.wait_for_selector("#rules-preview strong")  # the live preview, rendered by the site
    assert page.inner_text("#rules-preview strong") == "yourself"
    page.fill("textarea[name=accepted_phones]", "Nokia N8-00 = N8")
    page.fill("input[name=min_height]", "120")
    schedule = {"submissions_open_at": now - timedelta(days=1),
                "submissions_close_at": now + timedelta(days=2),
                "voting_open_at": now + timedelta(days=2),
                "voting_close_at": now + timedelta(days=4),
                "results_at": now + timedelta(days=5)}
    # Out of order first: results before voting closes is refused on the results field.
    page.fill("input[name=results_at]", paris(now + timedelta(days=3)))
    for name, value in schedule.items():
        if name != "results_at":
            page.fill(f"input[name={name}]", paris(value))
    page.get_by_role("button", name="Create the contest").click()
    screenshot(page, "organizer-contest-form-error")
    assert "Results come after voting closes." in page.inner_text("#results_at-err")
    page.fill("input[name=results_at]", paris(schedule["results_at"]))
    page.get_by_role("button", name="Create the contest").click()
    page.wait_for_url("**/admin/contests/n8")
    contest = db.session.scalar(db.select(Contest).filter_by(slug="n8"))
    assert contest.voting_open_at == schedule["voting_open_at"]  # stored in UTC
    return contest


def enter_films(app, make_user, login, tmp_path):
    client = app.test_client()
    login(client, make_user(name="Ana Filmmaker"))
    for title in ("Harbour at dawn", "Night bus"):
        clip = make_clip(tmp_path / f"{title[:4]}.mp4", tags=NOKIA_N8, seconds=1)
        data = {"title": title, "description": "", "agree": "y",
                "file": (open(clip, "rb"), "clip.mp4")}
        assert client.post("/contests/n8/enter", data=data,
                           content_type="multipart/form-data").status_code == 302
    assert thread_runner(app).wait(60)
    return client


def cast_votes(contest, make_user):
    """Five new accounts vote from one address within minutes; two real fans elsewhere."""
    films = {f.title: f for f in db.session.scalars(db.select(Film))}
    for i in range(5):
        site_clock.set_now(contest.voting_open_at + timedelta(hours=1, minutes=i))
        votes.cast_vote(films["Harbour at dawn"], make_user(name=f"Sock {i}"), ip="203.0.113.5",
                        user_agent="curl/8.5.0")
    for i in range(2):
        site_clock.set_now(contest.voting_open_at + timedelta(hours=3 + i))
        fan = make_user(name=f"Fan {i}")
        fan.created_at = contest.submissions_open_at
        votes.cast_vote(films["Harbour at dawn"], fan, ip=f"198.51.100.{i}", user_agent="Chrome/1")
    return films


def test_an_organizer_runs_a_contest(live_server, page, app, make_user, login, tmp_path, now):
    make_user(email="olga@example.com", name="Olga", roles=["organizer"])
    sign_in(page, live_server, "olga@example.com", PASSWORD)
    contest = create_contest_in_the_console(page, live_server, now)

    filmmaker = enter_films(app, make_user, login, tmp_path)
    page.reload()
    assert page.inner_text("[data-figure=status-ready]") == "2"
    assert page.inner_text("[data-figure=verdict-verified]") == "2"
    screenshot(page, "organizer-dashboard")

    # Disqualify one entry; its filmmaker sees the reason.
    page.get_by_role("link", name="Entries", exact=True).click()
    page.get_by_role("link", name="Night bus").click()
    assert "Nokia" in page.inner_text(".evidence")
    page.fill("textarea[name=reason]", "Filmed on another phone")
    page.get_by_role("button", name="Disqualify").click()
    assert "Disqualified" in page.inner_text("[data-moderation]")
    screenshot(page, "organizer-film")
    night_bus = db.session.scalar(db.select(Film).filter_by(title="Night bus"))
    status = filmmaker.get(f"/films/{night_bus.public_id}/status").get_data(as_text=True)
    assert "Disqualified: Filmed on another phone." in status

    # Voting: a burst from one address is flagged, and the organizer discards it.
    films = cast_votes(contest, make_user)
    page.goto(f"{live_server}/admin/contests/n8/votes")
    flagged = page.locator("#accounts tr.flagged")
    assert flagged.count() == 5
    assert "burst" in flagged.first.inner_text()
    screenshot(page, "organizer-votes")
    for i in range(5):
        page.get_by_label("Choose Sock " + str(i)).check()
    page.fill("textarea[name=reason]", "Five new accounts, one address, five minutes")
    page.get_by_role("button", name="Discard the chosen accounts' votes").click()
    page.get_by_text("Discarded 5 votes; 1 film recounted.").wait_for()
    db.session.expire_all()
    assert db.session.get(Film, films["Harbour at dawn"].id).vote_count == 2
    assert db.session.scalar(db.select(db.func.count(Vote.id))) == 2

    # After voting closes: shortlist, an audience award, publish (the existing pages).
    site_clock.set_now(contest.voting_close_at + timedelta(hours=1))
    page.goto(f"{live_server}/admin/contests/n8")
    assert "Votes a day: 2 in total" in page.inner_html(".charts")
    screenshot(page, "organizer-dashboard-after-voting")
    page.get_by_role("link", name="Shortlist").click()
    page.get_by_label("Shortlist Harbour at dawn").check()
    page.get_by_role("button", name="Confirm the shortlist").click()
    page.get_by_role("link", name="Awards & publishing").click()
    page.get_by_label("Winner of Jury Prize").select_option(label="Harbour at dawn")
    page.get_by_role("button", name="Save the awards").click()
    page.get_by_text("The awards are saved.").wait_for()
    page.get_by_role("button", name="Publish the results").click()
    screenshot(page, "organizer-published")
    page.get_by_text("The results are published.").wait_for()
    site_clock.set_now(contest.results_at + timedelta(minutes=1))
    page.goto(f"{live_server}/contests/n8/results")
    assert "Harbour at dawn" in page.inner_text("main")
    screenshot(page, "organizer-results")
