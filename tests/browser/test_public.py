"""The public side in chromium: browse a gallery, watch a film over HLS, vote."""
from datetime import timedelta

import pytest
from browser_support import screenshot, sign_in
from clips import NOKIA_N8, make_clip

from contest import clock as site_clock
from contest.jobs import thread_runner

PASSWORD = "correct horse battery"  # make_user's default
pytestmark = pytest.mark.browser


@pytest.fixture
def published(app, client, make_user, make_contest, login, tmp_path):
    """A contest in its voting window with two processed films."""
    now = site_clock.now()
    make_contest("n8", title="Shot on N8", min_height=120,
                 submissions_open_at=now - timedelta(days=1),
                 submissions_close_at=now + timedelta(days=5),
                 voting_open_at=now - timedelta(hours=1),
                 voting_close_at=now + timedelta(days=6),
                 results_at=now + timedelta(days=7))
    login(client, make_user(name="Ana Filmmaker"))
    for title in ("Harbour at dawn", "Night bus"):
        clip = make_clip(tmp_path / f"{title[:4]}.mp4", tags=NOKIA_N8, seconds=2,
                         width=640, height=360)
        data = {"title": title, "description": "Shot on the **N8**.", "agree": "y",
                "file": (open(clip, "rb"), "clip.mp4")}
        assert client.post("/contests/n8/enter", data=data,
                           content_type="multipart/form-data").status_code == 302
    assert thread_runner(app).wait(120)


def test_browse_watch_and_vote(live_server, page, published, make_user):
    make_user(email="fan@example.com")
    page.goto(f"{live_server}/contests/n8/films")
    cards = page.locator(".film-card, .card-film, article")
    assert page.get_by_text("Harbour at dawn").is_visible()
    assert page.get_by_text("Night bus").is_visible()
    assert cards.count() >= 2
    screenshot(page, "gallery-desktop")

    page.get_by_role("link", name="Harbour at dawn").first.click()
    page.wait_for_selector("video")
    assert "Shot on Nokia N8-00" in page.content()
    position = page.evaluate("""async () => {
        const v = document.querySelector('video');
        v.muted = true;
        for (let i = 0; i < 50 && v.readyState < 2; i++) await new Promise(r => setTimeout(r, 100));
        await v.play();
        await new Promise(r => setTimeout(r, 1200));
        return v.currentTime;
    }""")
    assert position > 0.3, "the video did not play"
    film_url = page.url

    # Anonymous visitors are asked to sign in before voting.
    sign_in_link = page.get_by_role("link", name="Sign in to vote")
    assert sign_in_link.is_visible()
    screenshot(page, "film-desktop")

    sign_in(page, live_server, "fan@example.com", PASSWORD)
    page.goto(film_url)
    count = page.locator("[data-vote-count]")
    assert count.inner_text() == "0"
    page.get_by_role("button", name="Vote for Harbour at dawn").click()
    page.wait_for_function("document.querySelector('[data-vote-count]').textContent === '1'")
    assert page.get_by_role("button", name="Take back your vote for Harbour at dawn").is_visible()
    page.reload()
    assert page.locator("[data-vote-count]").inner_text() == "1"


def test_phone_sized_gallery_and_film_page(live_server, phone_page, published):
    phone_page.goto(f"{live_server}/contests/n8/films")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "gallery-phone")
    phone_page.get_by_role("link", name="Night bus").first.click()
    phone_page.wait_for_selector("video")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "film-phone")
