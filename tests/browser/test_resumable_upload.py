"""Chromium uploads a film in parts straight to S3 (moto), survives a dropped part and a
closed tab, and the app server never carries the video bytes."""
import struct
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from clips import NOKIA_N8, make_clip
from werkzeug.serving import make_server

from contest.extensions import db
from contest.jobs import thread_runner
from contest.models import Film, Upload
from contest.operations.uploads import set_bucket_cors

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser
MIB = 1024 * 1024


class BodyCounter:
    """WSGI middleware: how many request-body bytes reach the app, per path prefix."""

    def __init__(self, app):
        self.app, self.bytes = app, 0

    def __call__(self, environ, start_response):
        self.bytes += int(environ.get("CONTENT_LENGTH") or 0)
        return self.app(environ, start_response)


@pytest.fixture
def served(s3_app):
    """The app on a real HTTP server in a thread, with CSRF on and 5 MiB parts."""
    s3_app.config.update(WTF_CSRF_ENABLED=True, UPLOAD_PART_SIZE=5 * MIB)
    counter = BodyCounter(s3_app.wsgi_app)
    s3_app.wsgi_app = counter
    server = make_server("127.0.0.1", 0, s3_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_port}"
    with s3_app.app_context():
        set_bucket_cors([origin])
    yield origin, counter
    server.shutdown()
    thread.join(5)


@pytest.fixture
def film_file(tmp_path):
    """A real clip padded with an MP4 'free' box to two parts (5 MiB + 300 KiB)."""
    path = make_clip(tmp_path / "dawn.mp4", tags=NOKIA_N8)
    extra = 5 * MIB + 300 * 1024 - path.stat().st_size
    with open(path, "ab") as f:
        f.write(struct.pack(">I", extra) + b"free" + bytes(extra - 8))
    return path


def signed_in_context(browser, app, user, origin):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user.public_id, True
    context = browser.new_context()
    context.add_cookies([{"name": "session", "value": client.get_cookie("session").value,
                          "url": origin}])
    return context


def test_parts_go_to_s3_and_a_dropped_part_resumes(served, s3_app, browser, film_file,
                                                  make_user, make_contest, s3_server):
    origin, counter = served
    make_contest("n8", min_height=120)
    user = make_user()
    page = signed_in_context(browser, s3_app, user, origin).new_page()
    puts, dropped = [], []

    def drop_part_two_once(route):
        query = parse_qs(urlsplit(route.request.url).query)
        if route.request.method == "PUT" and query.get("partNumber") == ["2"] and not dropped:
            dropped.append(route.request.url)
            return route.abort("connectionreset")
        return route.continue_()

    page.route(f"{s3_server}/**", drop_part_two_once)
    page.on("request", lambda r: puts.append(parse_qs(urlsplit(r.url).query)["partNumber"][0])
            if r.method == "PUT" and r.url.startswith(s3_server) else None)
    page.goto(f"{origin}/contests/n8/enter")
    expect(page.locator("#entry-form")).to_have_attribute("data-resumable", "on")
    page.fill("#title", "Dawn")
    page.fill("#description", "Shot at dawn.")
    page.set_input_files("input[type=file]", str(film_file))
    page.check("#agree")
    before = counter.bytes
    logs = []
    page.on("console", lambda m: logs.append(m.text))
    page.click("#entry-form button[type=submit]")
    try:
        page.wait_for_url("**/films/*/status", timeout=30_000)
    except Exception:
        raise AssertionError(f"no film page; the console said {logs}") from None

    assert dropped, "the second part was never cut off"
    assert sorted(puts) == ["1", "2", "2"]  # part 1 once; part 2 again after the drop
    # JSON calls only: create, targets, complete. The 5.3 MB went to S3.
    assert counter.bytes - before < 16 * 1024
    assert thread_runner(s3_app).wait(120)
    db.session.expire_all()
    film = db.session.scalar(db.select(Film))
    assert film.status == "ready" and film.title == "Dawn"
    assert film.original_size == film_file.stat().st_size
    assert db.session.scalar(db.select(Upload)).state == "complete"


def test_a_closed_tab_resumes_when_the_same_file_is_picked_again(
        served, s3_app, browser, film_file, make_user, make_contest, s3_server):
    """Part 1 goes up, part 2 keeps failing, the tab closes; a new tab sends only part 2."""
    origin, _counter = served
    make_contest("n8", min_height=120)
    context = signed_in_context(browser, s3_app, make_user(), origin)
    first = context.new_page()

    def cut_part_two(route):
        if route.request.method == "PUT" and part_number(route.request) == "2":
            return route.abort("connectionreset")  # every try, until the tab is closed
        return route.continue_()

    first.route(f"{s3_server}/**", cut_part_two)
    with first.expect_event("requestfinished", predicate=lambda r: r.method == "PUT"
                            and part_number(r) == "1", timeout=30_000):
        fill_and_send(first, origin, film_file)
    first.close()

    second = context.new_page()
    sent, logs = [], []
    second.on("request", lambda r: sent.append(part_number(r))
              if r.method == "PUT" and r.url.startswith(s3_server) else None)
    second.on("console", lambda m: logs.append(m.text))
    fill_and_send(second, origin, film_file)
    try:
        second.wait_for_url("**/films/*/status", timeout=30_000)
    except Exception:
        raise AssertionError(f"no film page; the console said {logs}") from None
    assert sent == ["2"], f"the second tab sent parts {sent}; part 1 was already there"
    assert thread_runner(s3_app).wait(120)
    db.session.expire_all()
    assert db.session.scalar(db.select(Film)).status == "ready"
    assert db.session.scalar(db.select(db.func.count(Upload.id))) == 1


def part_number(request):
    return parse_qs(urlsplit(request.url).query).get("partNumber", [None])[0]


def fill_and_send(page, origin, film_file):
    page.goto(f"{origin}/contests/n8/enter")
    expect(page.locator("#entry-form")).to_have_attribute("data-resumable", "on")
    page.fill("#title", "Dawn")
    page.set_input_files("input[type=file]", str(film_file))
    page.check("#agree")
    page.click("#entry-form button[type=submit]")
