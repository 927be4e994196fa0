"""The film page: content, the player, view counting, and the filmmaker's edits."""
import io
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from clips import NOKIA_N8, make_clip
from jinja2 import BaseLoader, TemplateNotFound

from contest.extensions import db as _db
from contest.jobs import thread_runner
from contest.models import Film, FilmView, Rendition
from contest.operations.film_page import record_view
from contest.storage import get_storage

VTT = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nHello from the N8.\n"
# (width, height) of the ladder a 1080p film gets; the film page and tags pick from it.
LADDER = [(1920, 1080), (1280, 720), (854, 480), (640, 360)]


def make_ready_film(db, contest, owner, *, title="Harbour at dawn", description="",
                    verdict="verified", ladder=LADDER, **columns):
    """A published film as the pipeline leaves it, with small stand-in media files."""
    film = Film(contest=contest, owner=owner, title=title, description=description,
                status="ready", published_at=columns.pop("published_at", None),
                duration_s=83.4, width=ladder[0][0], height=ladder[0][1],
                device_make="Nokia", device_model="N8-00", device_verdict=verdict, **columns)
    db.session.add(film)
    db.session.flush()
    film.published_at = film.published_at or film.created_at
    prefix = f"films/{film.public_id}/v1/"
    film.hls_key, film.poster_key = _put(prefix + "master.m3u8"), _put(prefix + "poster.jpg")
    film.thumbnail_key = _put(prefix + "thumbnail.jpg")
    film.renditions = [Rendition(width=w, height=h, key=_put(f"{prefix}{h}p.mp4"), bytes=4)
                       for w, h in ladder]
    db.session.commit()
    return film


def _put(key):
    types = {".m3u8": "application/vnd.apple.mpegurl", ".jpg": "image/jpeg", ".mp4": "video/mp4"}
    path = Path(get_storage().root) / ".upload"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"#EXTM3U\n" if key.endswith(".m3u8") else b"data")
    get_storage().save(key, path, types[Path(key).suffix], public=True)
    return key


class Tags(HTMLParser):
    """Every start tag of a page as (name, attributes)."""

    def __init__(self, html):
        super().__init__()
        self.tags = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag, **attrs):
        return [a for t, a in self.tags
                if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def contest(make_contest):
    return make_contest("n8", min_height=120)


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Aino Virtanen")


@pytest.fixture
def film(db, contest, filmmaker):
    return make_ready_film(db, contest, filmmaker, description="A *quiet* morning.")


def page_url(film):
    return f"http://localhost/films/{film.public_id}"


def page(client, film, **kwargs):
    return client.get(f"/films/{film.public_id}", **kwargs)


# -- content -------------------------------------------------------------------------------


def test_page_shows_the_film_and_its_facts(app, client, db, contest, filmmaker, clock):
    film = make_ready_film(db, contest, filmmaker, vote_count=7, description=(
        "A *quiet* morning.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n"
        "<img src=x onerror=alert(3)>\n\n[site](https://example.org)"))
    html = page(client, film).get_data(as_text=True)
    assert "<h1>Harbour at dawn</h1>" in html
    profile = ("community.profile" in app.view_functions
               and f"http://localhost/u/{filmmaker.public_id}")
    assert f'by <a href="{profile or page_url(film) + "#by-filmmaker"}">Aino Virtanen</a>' in html
    assert "<em>quiet</em>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(3)&gt;" in html
    assert '<a href="https://example.org" rel="nofollow ugc noopener">site</a>' in html
    assert re.search(r"Shot on Nokia N8-00\s*<span class=\"verdict\">· verified", html)
    assert "1:23" in html  # duration
    assert film.published_at.strftime("%-d %b %Y") in html
    assert re.search(r'class="views">1<', html)
    assert ">7<" in html or 'data-vote-count>7<' in html


def test_the_page_works_with_and_without_a_voting_box(app, client, film, monkeypatch):
    with_box = page(client, film).get_data(as_text=True)
    assert ('class="vote"' in with_box) == Path(app.template_folder, "gallery/_vote.html").exists()

    class Without(BaseLoader):
        def get_source(self, environment, name):
            if name == "gallery/_vote.html":
                raise TemplateNotFound(name)
            return original.get_source(environment, name)

    original = app.jinja_env.loader
    monkeypatch.setattr(app.jinja_env, "loader", Without())
    html = page(client, film).get_data(as_text=True)
    assert 'class="vote"' not in html and 'class="votes">0<' in html


def test_a_flagged_phone_says_so(client, db, contest, filmmaker):
    film = make_ready_film(db, contest, filmmaker, verdict="mismatch")
    html = page(client, film).get_data(as_text=True)
    assert "verdict-mismatch" in html and "flagged for the judges" in html


def test_hidden_vote_counts_are_not_on_the_page(client, db, make_contest, filmmaker):
    contest = make_contest("hidden", hide_votes_until_close=True)
    film = make_ready_film(db, contest, filmmaker, vote_count=5)
    html = page(client, film).get_data(as_text=True)
    assert 'class="votes"' not in html and "data-vote-count>5" not in html


def test_the_filmmakers_other_published_films_are_listed(client, db, contest, filmmaker,
                                                         make_user):
    film = make_ready_film(db, contest, filmmaker)
    make_ready_film(db, contest, filmmaker, title="Second light")
    make_ready_film(db, contest, filmmaker, title="Taken back", withdrawn_at=film.created_at)
    hidden = make_ready_film(db, contest, filmmaker, title="Still processing")
    hidden.status = "processing"
    make_ready_film(db, contest, make_user(), title="Someone else's")
    db.session.commit()
    html = page(client, film).get_data(as_text=True)
    more = html[html.index('id="by-filmmaker"'):]
    assert "Second light" in more
    for title in ("Taken back", "Still processing", "Someone else", "Harbour at dawn"):
        assert title not in more


def test_unpublished_and_withdrawn_films_are_private(client, db, app, contest, filmmaker,
                                                     login, clock):
    film = make_ready_film(db, contest, filmmaker)
    film.status = "processing"
    db.session.commit()
    assert page(client, film).status_code == 404
    owner = app.test_client()
    login(owner, filmmaker)
    assert page(owner, film).headers["Location"].endswith(f"/films/{film.public_id}/status")
    film.status, film.withdrawn_at = "ready", clock.now()
    db.session.commit()
    assert page(client, film).status_code == 404
    assert client.get(f"/films/{film.public_id}/embed").status_code == 404
    response = page(owner, film)
    assert response.status_code == 200 and "Withdrawn on" in response.get_data(as_text=True)
    assert client.get("/films/nonexistent").status_code == 404


# -- the player ----------------------------------------------------------------------------


def test_player_markup_streams_hls_with_mp4_fallback_and_poster(client, film):
    tags = Tags(page(client, film).get_data(as_text=True))
    [video] = tags.find("video")
    assert video["data-hls"] == f"http://localhost/media/{film.hls_key}"
    assert video["poster"] == f"http://localhost/media/{film.poster_key}"
    assert "controls" in video and "playsinline" in video
    sources = tags.find("source", type="video/mp4")
    # The 720p first (what a browser without HLS plays), then the others.
    assert [s["data-height"] for s in sources] == ["720", "1080", "480", "360"]
    assert all(s["src"] == f"http://localhost/media/films/{film.public_id}/v1/"
                           f"{s['data-height']}p.mp4" for s in sources)
    assert not tags.find("track")
    scripts = [a["src"] for t, a in tags.tags if t == "script" and "src" in a]
    assert any(s.endswith("/static/vendor/hls/hls.min.js") for s in scripts)
    assert any(s.endswith("/static/js/player.js") for s in scripts)
    assert not any("//" in s.split("/static/")[0].replace("http://localhost", "")
                   for s in scripts)  # nothing from another host (no CDN)


def test_hls_js_and_its_license_are_served_from_static(client):
    script = client.get("/static/vendor/hls/hls.min.js")
    assert script.status_code == 200 and b"Hls" in script.data[:2000] + script.data[-2000:]
    assert b"Apache License" in client.get("/static/vendor/hls/LICENSE").data


@pytest.fixture
def processed(app, client, db, contest, filmmaker, login, tmp_path):
    """A film entered through the form and processed by the real pipeline."""
    login(client, filmmaker)
    clip = make_clip(tmp_path / "n8.mp4", tags=NOKIA_N8)
    data = {"title": "Real one", "description": "Made *for real*.", "agree": "y",
            "file": (open(clip, "rb"), "n8.mp4")}
    assert client.post("/contests/n8/enter", data=data,
                       content_type="multipart/form-data").status_code == 302
    assert thread_runner(app).wait(120), "jobs did not finish in time"
    film = db.session.scalar(db.select(Film))
    db.session.refresh(film)
    assert film.status == "ready", film.error
    return film


def test_a_processed_film_plays_from_its_page(app, db, processed):
    visitor = app.test_client()
    tags = Tags(page(visitor, processed).get_data(as_text=True))
    [video] = tags.find("video")
    assert video["data-hls"].endswith(processed.hls_key)
    playlist = visitor.get(video["data-hls"])
    assert playlist.status_code == 200 and playlist.data.startswith(b"#EXTM3U")
    assert playlist.content_type == "application/vnd.apple.mpegurl"
    [source] = tags.find("source", type="video/mp4")
    assert source["src"].endswith(processed.renditions[0].key)
    mp4 = visitor.get(source["src"], headers={"Range": "bytes=0-99"})
    assert mp4.status_code == 206 and mp4.content_type == "video/mp4"
    poster = visitor.get(video["poster"])
    assert poster.status_code == 200 and poster.data[:3] == b"\xff\xd8\xff"
    assert (video["width"], video["height"]) == ("320", "240")
    og_video = tags.find("meta", property="og:video")[0]["content"]
    assert og_video == source["src"]  # the only rendition is the one chat apps play


def test_captions_upload_adds_a_track(app, client, db, film, filmmaker, login):
    login(client, filmmaker)
    response = client.post(f"/films/{film.public_id}/captions", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(VTT), "subs.vtt"), "language": "fi"})
    assert response.status_code == 302
    db.session.refresh(film)
    assert re.fullmatch(rf"films/{film.public_id}/captions-fi-[0-9a-f]{{16}}\.vtt",
                        film.captions_key)
    info = get_storage().info(film.captions_key)
    assert info["content_type"] == "text/vtt" and info["size"] == len(VTT)
    [track] = Tags(page(app.test_client(), film).get_data(as_text=True)).find("track")
    assert track["kind"] == "captions" and track["srclang"] == "fi"
    assert track["label"] == "Suomi" and "default" in track
    served = app.test_client().get(track["src"])
    assert served.status_code == 200 and served.data == VTT
    assert served.content_type.startswith("text/vtt")
    # A new file replaces the old one, which is deleted; removing deletes the last.
    old = film.captions_key
    client.post(f"/films/{film.public_id}/captions", content_type="multipart/form-data",
                data={"file": (io.BytesIO(VTT), "subs.vtt"), "language": "en"})
    db.session.refresh(film)
    assert film.captions_key != old and not get_storage().exists(old)
    assert client.post(f"/films/{film.public_id}/captions/delete").status_code == 302
    db.session.refresh(film)
    assert film.captions_key is None and not get_storage().exists(old.replace("-fi-", "-en-"))


@pytest.mark.parametrize("content, name, status, message", [
    (b"1\n00:00:00,000 --> 00:00:01,000\nAn SRT file\n", "subs.vtt", 422, "WEBVTT"),
    (b"WEBVTTX\n\n00:00:00.000 --> 00:00:01.000\nno\n", "subs.vtt", 422, "WEBVTT"),
    (b"WEBVTT\n\nNo cues at all\n", "subs.vtt", 422, "no captions"),
    (b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n\xff\xfe\n", "subs.vtt", 422, "UTF-8"),
    (VTT, "subs.srt", 422, ".vtt"),
    (b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n" + b"x" * 600_000, "big.vtt", 413, "KB"),
])
def test_captions_that_are_not_webvtt_are_refused(client, db, film, filmmaker, login, app,
                                                  content, name, status, message):
    login(client, filmmaker)
    response = client.post(f"/films/{film.public_id}/captions",
                           content_type="multipart/form-data",
                           data={"file": (io.BytesIO(content), name), "language": "en"})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    db.session.refresh(film)
    assert film.captions_key is None
    assert not list(Path(app.config["MEDIA_ROOT"]).rglob("captions-*"))


def test_a_bom_before_webvtt_is_fine(client, db, film, filmmaker, login):
    login(client, filmmaker)
    client.post(f"/films/{film.public_id}/captions", content_type="multipart/form-data",
                data={"file": (io.BytesIO(b"\xef\xbb\xbf" + VTT), "s.vtt"), "language": "pt-BR"})
    db.session.refresh(film)
    assert film.captions_key and "captions-pt-BR-" in film.captions_key


# -- views ---------------------------------------------------------------------------------


def views(db, film):
    db.session.expire_all()
    return db.session.get(Film, film.id).view_count


def test_a_visitor_counts_once_a_day(app, client, db, film, clock):
    first = page(client, film)
    cookie = first.headers["Set-Cookie"]
    assert "visitor=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert re.search(r"Max-Age=31536000", cookie)
    page(client, film)
    page(client, film, headers={"User-Agent": "another browser, same cookie"})
    assert views(db, film) == 1
    clock.advance(days=1)
    page(client, film)
    assert views(db, film) == 2
    page(app.test_client(), film, headers={"User-Agent": "someone else"})
    assert views(db, film) == 3
    rows = db.session.scalars(db.select(FilmView)).all()
    assert all(re.fullmatch(r"[0-9a-f]{64}", row.visitor) for row in rows)
    assert client.get_cookie("visitor").value not in {row.visitor for row in rows}


def test_two_visitors_count_twice(app, db, film):
    page(app.test_client(), film)
    page(app.test_client(), film, headers={"User-Agent": "Firefox"})
    assert views(db, film) == 2


def test_without_cookies_the_address_and_browser_count_once(app, db, film):
    cookieless = app.test_client(use_cookies=False)
    for _ in range(3):
        page(cookieless, film)
    assert views(db, film) == 1
    page(cookieless, film, environ_overrides={"REMOTE_ADDR": "10.0.0.9"})
    assert views(db, film) == 2


def test_the_filmmaker_robots_and_prefetches_are_not_views(app, client, db, film, filmmaker,
                                                           login):
    login(client, filmmaker)
    page(client, film)
    other = app.test_client()
    page(other, film, headers={"User-Agent": "facebookexternalhit/1.1"})
    page(other, film, headers={"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1)"})
    page(other, film, headers={"Sec-Purpose": "prefetch"})
    other.head(f"/films/{film.public_id}")
    assert views(db, film) == 0
    page(other, film)
    assert views(db, film) == 1


def test_embed_views_count_too(app, db, film):
    visitor = app.test_client()
    visitor.get(f"/films/{film.public_id}/embed")
    visitor.get(f"/films/{film.public_id}/embed")
    assert views(db, film) == 1


# -- editing and withdrawing ---------------------------------------------------------------


def test_the_filmmaker_edits_title_and_description(client, db, film, filmmaker, login):
    login(client, filmmaker)
    assert client.get(f"/films/{film.public_id}/edit").status_code == 200
    response = client.post(f"/films/{film.public_id}/edit",
                           data={"title": "  New title ", "description": "**Bold** claim"})
    assert response.status_code == 302
    db.session.refresh(film)
    assert (film.title, film.description) == ("New title", "**Bold** claim")
    assert "<strong>Bold</strong>" in page(client, film).get_data(as_text=True)


def test_a_title_is_required(client, db, film, filmmaker, login):
    login(client, filmmaker)
    response = client.post(f"/films/{film.public_id}/edit", data={"title": " ", "description": ""})
    assert response.status_code == 422
    db.session.refresh(film)
    assert film.title == "Harbour at dawn"


@pytest.mark.parametrize("path, data", [
    ("/edit", {"title": "Mine now", "description": ""}),
    ("/captions", {"file": VTT, "language": "en"}),
    ("/captions/delete", {}),
    ("/withdraw", {"confirm": "y"}),
])
def test_only_the_filmmaker_and_organizers_may_change_a_film(
        app, db, film, make_user, login, path, data):
    def post(client):
        form = {k: (io.BytesIO(v), "s.vtt") if k == "file" else v for k, v in data.items()}
        return client.post(f"/films/{film.public_id}{path}", data=form,
                           content_type="multipart/form-data")

    anonymous = post(app.test_client())
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    stranger = app.test_client()
    login(stranger, make_user())
    assert post(stranger).status_code == 403
    db.session.refresh(film)
    assert (film.title, film.withdrawn_at, film.captions_key) == ("Harbour at dawn", None, None)
    film.status = "processing"  # an unpublished film is not even there for a stranger
    db.session.commit()
    assert post(stranger).status_code == 404
    organizer = app.test_client()
    login(organizer, make_user(roles=["organizer"]))
    assert post(organizer).status_code == 302


def test_withdrawing_while_entries_are_open(app, client, db, film, filmmaker, login):
    login(client, filmmaker)
    assert "Withdraw the film" in client.get(f"/films/{film.public_id}/edit").get_data(
        as_text=True)
    unconfirmed = client.post(f"/films/{film.public_id}/withdraw", data={})
    assert unconfirmed.status_code == 422
    assert client.post(f"/films/{film.public_id}/withdraw",
                       data={"confirm": "y"}).status_code == 302
    db.session.refresh(film)
    assert film.withdrawn_at is not None
    assert page(app.test_client(), film).status_code == 404
    again = client.post(f"/films/{film.public_id}/withdraw", data={"confirm": "y"})
    assert again.status_code == 409


def test_no_withdrawing_once_entries_close(client, db, film, filmmaker, login, clock):
    login(client, filmmaker)
    clock.advance(days=29)
    assert "only while the contest accepts entries" in client.get(
        f"/films/{film.public_id}/edit").get_data(as_text=True)
    response = client.post(f"/films/{film.public_id}/withdraw", data={"confirm": "y"})
    assert response.status_code == 403
    db.session.refresh(film)
    assert film.withdrawn_at is None


def test_edit_forms_need_a_csrf_token(app, client, db, film, filmmaker, login):
    app.config["WTF_CSRF_ENABLED"] = True
    login(client, filmmaker)
    edit = client.get(f"/films/{film.public_id}/edit").get_data(as_text=True)
    assert edit.count('name="csrf_token"') == 4
    for path, data in (("/edit", {"title": "X"}), ("/withdraw", {"confirm": "y"}),
                       ("/captions/delete", {})):
        assert client.post(f"/films/{film.public_id}{path}", data=data).status_code in (400,
                                                                                       422)
    db.session.refresh(film)
    assert (film.title, film.withdrawn_at) == ("Harbour at dawn", None)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', edit)[1]
    response = client.post(f"/films/{film.public_id}/edit",
                           data={"title": "With token", "csrf_token": token})
    assert response.status_code == 302


def test_the_edit_link_shows_for_the_filmmaker_only(app, client, film, filmmaker, login):
    assert "Edit film" not in page(client, film).get_data(as_text=True)
    login(client, filmmaker)
    assert "Edit film" in page(client, film).get_data(as_text=True)


def test_view_counting_days_follow_the_clock(app, db, film, clock):
    visitor = app.test_client()
    clock.set(clock.now().replace(hour=23, minute=59))
    page(visitor, film)
    clock.advance(minutes=2)
    page(visitor, film)
    clock.advance(hours=1)
    page(visitor, film)
    assert views(db, film) == 2
    assert {row.day for row in db.session.scalars(db.select(FilmView))} == {
        (clock.now() - timedelta(hours=2)).date(), clock.now().date()}


def test_concurrent_views_count_exactly(app, db, film):
    """Racing requests of one visitor count once; of different visitors, once each."""
    film_id = film.id

    def visit(visitor):
        with app.app_context():
            try:
                return record_view(_db.session.get(Film, film_id), visitor)
            finally:
                _db.session.remove()

    visitors = ["cookie:same"] * 8 + [f"cookie:other-{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        counted = list(pool.map(visit, visitors))
    assert counted.count(True) == 9
    assert views(db, film) == 9
    assert db.session.scalar(db.select(db.func.count(FilmView.id))) == 9


def test_anonymous_film_pages_come_from_the_cache_but_views_still_count(app, db, film):
    from sqlalchemy import event

    app.config["FILM_CACHE_S"] = 60
    statements = []

    def record(*args):
        statements.append(args[2])

    first = app.test_client().get(page_url(film), environ_base={"REMOTE_ADDR": "192.0.2.1"})
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        second = app.test_client().get(page_url(film),
                                       environ_base={"REMOTE_ADDR": "192.0.2.2"})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert not any("FROM comments" in s for s in statements)  # not rendered again
    db.session.refresh(film)
    assert film.view_count == 2
