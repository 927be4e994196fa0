"""A filmmaker's journey in chromium: sign up, enter a film with a progress bar, watch it."""
import pytest
from browser_support import screenshot, sign_in
from clips import NOKIA_N8, make_clip

PASSWORD = "correct horse battery"  # make_user's default
pytestmark = pytest.mark.browser


def test_sign_up_enter_a_film_and_watch_it(live_server, page, make_contest, tmp_path, app):
    make_contest("n8", title="Shot on N8", tagline="One phone, one minute.", min_height=120,
                 rules="## Be original\nFilm it yourself.")
    page.goto(live_server)
    screenshot(page, "home-desktop")
    page.click("text=Shot on N8")
    assert page.locator("h1").inner_text() == "Shot on N8"
    page.click("text=Enter a film")
    assert "/auth/login" in page.url
    page.click("text=Sign up")
    page.fill("input[name=email]", "maker@example.com")
    page.fill("input[name=display_name]", "Maker")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("form button[type=submit]")
    page.goto(f"{live_server}/contests/n8/enter")
    clip = make_clip(tmp_path / "n8.mp4", tags=NOKIA_N8, seconds=2)
    page.fill("input[name=title]", "Harbour at dawn")
    page.set_input_files("input[type=file]", str(clip))
    page.check("input[name=agree]")
    screenshot(page, "enter-desktop")
    page.click("text=Upload and enter")
    page.wait_for_url("**/status")
    assert page.locator("#stage").is_visible()
    # The status page polls and reloads itself when the film is ready.
    page.wait_for_selector("video", timeout=90000)
    assert "Verified: shot on Nokia N8-00" in page.content()
    screenshot(page, "status-ready-desktop")
    playing = page.evaluate("""async () => {
        const v = document.querySelector('video');
        v.muted = true;
        await v.play();
        await new Promise(r => setTimeout(r, 1200));
        return v.currentTime;
    }""")
    assert playing > 0.3


def test_refused_file_shows_the_reason_without_leaving_the_page(live_server, page, make_user,
                                                                make_contest, tmp_path):


    make_contest("n8", min_height=120)
    make_user(email="m@example.com")
    sign_in(page, live_server, "m@example.com", PASSWORD)
    page.goto(f"{live_server}/contests/n8/enter")
    bogus = tmp_path / "film.mp4"
    bogus.write_text("#EXTM3U\n#EXTINF:1,\nother.mp4\n")
    page.fill("input[name=title]", "Not a film")
    page.set_input_files("input[type=file]", str(bogus))
    page.check("input[name=agree]")
    page.click("text=Upload and enter")
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    assert "not a video" in error.inner_text().lower() or "playlist" in error.inner_text().lower()
    assert page.url.endswith("/contests/n8/enter")


def test_phone_sized_pages(live_server, phone_page, make_contest):
    make_contest("n8", title="Shot on N8", tagline="One phone, one minute.")
    for path, name in (("/", "home-phone"), ("/contests/n8", "contest-phone")):
        phone_page.goto(live_server + path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways on a phone ({width}px)"
        screenshot(phone_page, name)
