"""The organizer console: access, contest settings, dashboard, entries, votes, people."""
import csv
import io
import re
import struct
import zlib
from datetime import datetime, timedelta

import pytest
from clips import NOKIA_N8, make_clip
from sqlalchemy import event

from contest import text
from contest.extensions import db as _db
from contest.jobs import thread_runner
from contest.models import (
    AuditEntry,
    Comment,
    Contest,
    Criterion,
    Film,
    FilmView,
    Job,
    JudgeAssignment,
    Review,
    Score,
    ShareCount,
    User,
    Vote,
)
from contest.operations import admin as ops
from contest.operations import moderation
from contest.operations import vote_review as review_ops
from contest.operations.dashboard import dashboard
from contest.operations.votes import hash_address
from contest.storage import get_storage


@pytest.fixture(autouse=True)
def _jobs_finish(app):
    yield
    runner = app.extensions.get("job_runner")
    if runner is not None:
        assert runner.wait(60)


@pytest.fixture
def organizer(make_user):
    return make_user(email="olga@example.com", name="Olga", roles=["organizer"])


@pytest.fixture
def filmmaker(make_user):
    return make_user(email="ana@example.com", name="Ana")


@pytest.fixture
def contest(make_contest, clock):
    made = make_contest("n8", title="Shot on N8")
    clock.set(made.voting_open_at + timedelta(days=1, hours=12))
    return made


@pytest.fixture
def as_organizer(client, organizer, login):
    login(client, organizer)
    return client


def make_film(contest, owner, title="Dawn", status="ready", **extra):
    film = Film(contest=contest, owner=owner, title=title, status=status, **extra)
    if status == "ready":
        film.published_at = contest.submissions_open_at
    _db.session.add(film)
    _db.session.commit()
    return film


def audit_actions():
    return [e.action for e in _db.session.scalars(_db.select(AuditEntry).order_by(AuditEntry.id))]


def fresh(model, row_id):
    _db.session.expire_all()
    return _db.session.get(model, row_id)


def html(response):
    return response.get_data(as_text=True)


# -- the access matrix -----------------------------------------------------------------------


def admin_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]


def route_values(rule, contest, film, user, job):
    """Real values for every argument an /admin route takes; a new name fails loudly."""
    public_id = user.public_id if rule.endpoint.startswith("admin.u") or \
        rule.endpoint in ("admin.role", "admin.suspend") else film.public_id
    known = {"slug": contest.slug, "public_id": public_id, "job_id": job.id, "kind": "film",
             "decision": "dismiss"}
    missing = set(rule.arguments) - set(known)
    assert not missing, f"{rule.rule}: add values for {missing} to the access matrix"
    return {name: known[name] for name in rule.arguments}


ROLES = {"anonymous": None, "filmmaker": (), "judge": ("judge",), "organizer": ("organizer",)}


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_route_is_for_organizers_only(app, client, contest, filmmaker, make_user,
                                                  login, role):
    film = make_film(contest, filmmaker)
    job = Job(film=film, state="done")
    _db.session.add(job)
    _db.session.commit()
    if ROLES[role] is not None:
        login(client, make_user(roles=ROLES[role]))
    rules = admin_rules(app)
    assert len(rules) >= 20
    for rule in rules:
        url = app.url_map.bind("localhost").build(
            rule.endpoint, route_values(rule, contest, film, filmmaker, job))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            where = f"{method} {url} as {role}"
            if role == "anonymous":
                assert response.status_code == 302, where
                assert "/auth/login" in response.headers["Location"], where
            elif role != "organizer":
                assert response.status_code == 403, where
            else:
                assert response.status_code < 500 and response.status_code != 403, where
                assert "/auth/login" not in response.headers.get("Location", ""), where


def test_forms_need_the_csrf_token(app, as_organizer, contest, filmmaker):
    film = make_film(contest, filmmaker)
    app.config["WTF_CSRF_ENABLED"] = True
    response = as_organizer.post(f"/admin/films/{film.public_id}/disqualify",
                                 data={"reason": "Not shot on the phone"})
    assert response.status_code == 400
    assert fresh(Film, film.id).disqualified_at is None
    assert as_organizer.post("/admin/preview", data={"text": "x"}).status_code == 400


# -- contests: one form with every setting ---------------------------------------------------


def form_data(**overrides):
    data = {
        "slug": "n95", "title": "Shot on N95", "tagline": "Nokia classics",
        "rules": "## Rules\nFilm it **yourself**.", "prizes": "A phone.",
        "accepted_phones": "Nokia N95 = N95-1, RM-159\nNokia N8-00",
        "device_policy": "flag", "max_duration_s": "120", "max_size_mb": "300",
        "min_height": "240", "max_entries_per_filmmaker": "2", "votes_per_account": "3",
        "voting_requires_verified_email": "y", "blind_judging": "y",
        "blind_show_descriptions": "y",
        "submissions_open_at": "2027-03-01T10:00", "submissions_close_at": "2027-03-20T18:00",
        "voting_open_at": "2027-03-21T10:00", "voting_close_at": "2027-07-01T10:00",
        "results_at": "2027-07-08T20:00",
    }
    data.update(overrides)
    return data


def test_create_a_contest_in_the_organizers_time_zone(app, as_organizer, organizer):
    organizer.time_zone = "Europe/Paris"
    _db.session.commit()
    assert "Europe/Paris" in html(as_organizer.get("/admin/contests/new"))
    response = as_organizer.post("/admin/contests/new", data=form_data())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/contests/n95")
    contest = _db.session.scalar(_db.select(Contest).filter_by(slug="n95"))
    # Paris is UTC+1 in March and UTC+2 (summer time) in July.
    assert contest.submissions_open_at == datetime(2027, 3, 1, 9, 0)
    assert contest.voting_close_at == datetime(2027, 7, 1, 8, 0)
    assert contest.results_at == datetime(2027, 7, 8, 18, 0)
    assert [(p.make, p.model, p.aliases) for p in contest.phones] == [
        ("Nokia", "N95", ["N95-1", "RM-159"]), ("Nokia", "N8-00", [])]
    assert (contest.device_policy, contest.max_duration_s, contest.votes_per_account) == (
        "flag", 120, 3)
    assert contest.blind_judging and contest.blind_show_descriptions
    assert contest.voting_requires_verified_email and not contest.hide_votes_until_close
    assert contest.created_by_id == organizer.id
    assert audit_actions() == ["contest.create"]
    # The edit form shows the stored UTC times in Paris time again.
    page = html(as_organizer.get("/admin/contests/n95/edit"))
    assert 'value="2027-03-01T10:00"' in page and 'value="2027-07-01T10:00"' in page
    assert "Nokia N95 = N95-1, RM-159" in page


def test_edit_changes_settings_and_logs_what_changed(app, as_organizer, contest):
    data = form_data(slug="ignored", title="Shot on the N8", votes_per_account="",
                     blind_show_descriptions="")
    response = as_organizer.post("/admin/contests/n8/edit", data=data)
    assert response.status_code == 302
    contest = fresh(Contest, contest.id)
    assert contest.slug == "n8" and contest.title == "Shot on the N8"
    assert contest.votes_per_account is None and not contest.blind_show_descriptions
    assert contest.submissions_open_at == datetime(2027, 3, 1, 10, 0)  # UTC by default
    [entry] = _db.session.scalars(_db.select(AuditEntry)).all()
    assert entry.action == "contest.update"
    assert entry.before["title"] == "Shot on N8" and entry.after["title"] == "Shot on the N8"
    assert "slug" not in entry.after


@pytest.mark.parametrize("field, value, message", [
    ("voting_open_at", "2027-02-01T10:00", "Voting cannot open before entries open."),
    ("submissions_close_at", "2027-02-01T10:00", "Entries must open before they close."),
    ("results_at", "2027-06-01T10:00", "Results come after voting closes."),
])
def test_times_out_of_order_are_refused_on_the_right_field(app, as_organizer, contest, field,
                                                           value, message):
    before = contest.results_at
    response = as_organizer.post("/admin/contests/n8/edit", data=form_data(**{field: value}))
    assert response.status_code == 422
    errors = re.search(rf'<p class="field-error" id="{field}-err">(.*?)</p>', html(response))
    assert errors and message in errors.group(1)
    assert fresh(Contest, contest.id).results_at == before
    assert audit_actions() == []


def test_create_refuses_bad_input_and_creates_nothing(app, as_organizer):
    response = as_organizer.post("/admin/contests/new",
                                 data=form_data(slug="Bad Slug!", accepted_phones="Nokia"))
    assert response.status_code == 422
    assert "needs a make and a model" in html(response)
    response = as_organizer.post("/admin/contests/new", data=form_data(slug="Bad Slug!"))
    assert response.status_code == 422 and "A slug is 2-63" in html(response)
    assert _db.session.scalar(_db.select(_db.func.count(Contest.id))) == 0
    assert audit_actions() == []


def tiny_png():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def test_banner_is_checked_by_content_and_stored_publicly(app, as_organizer, contest):
    fake = form_data(banner=(io.BytesIO(b"<svg onload=alert(1)>"), "banner.png"))
    response = as_organizer.post("/admin/contests/n8/edit", data=fake,
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "must be a PNG, JPEG or WebP" in html(response)
    assert fresh(Contest, contest.id).banner_key is None
    png = tiny_png()
    real = form_data(banner=(io.BytesIO(png), "whatever.txt"))
    response = as_organizer.post("/admin/contests/n8/edit", data=real,
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    key = fresh(Contest, contest.id).banner_key
    assert re.fullmatch(r"contests/n8/banner-[0-9a-f]{12}\.png", key)
    served = as_organizer.get(get_storage().url(key))
    assert served.data == png and served.mimetype == "image/png"
    # Removing it deletes the stored file too.
    as_organizer.post("/admin/contests/n8/edit", data=form_data(remove_banner="y"))
    assert fresh(Contest, contest.id).banner_key is None
    assert not get_storage().exists(key)


@pytest.mark.parametrize("head, kind", [
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 8, "png"), (b"\xff\xd8\xff\xe0" + b"\0" * 12, "jpg"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "webp"), (b"GIF89a" + b"\0" * 10, None), (b"", None)])
def test_image_kinds(head, kind):
    assert ops.image_kind(head) == kind


def test_preview_is_the_sites_own_sanitized_rendering(app, as_organizer):
    source = "## Rules\n**Bold** <script>alert(1)</script> [x](javascript:alert(1))"
    response = as_organizer.post("/admin/preview", data={"text": source})
    assert response.status_code == 200
    rendered = response.get_json()["html"]
    assert rendered == str(text.markdown(source))
    assert "<strong>Bold</strong>" in rendered and "<script>" not in rendered
    assert "href=\"javascript" not in rendered


def test_time_zone_choice(app, as_organizer, organizer):
    response = as_organizer.post("/admin/time-zone",
                                 data={"time_zone": "America/New_York", "next": "/admin/users"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert fresh(User, organizer.id).time_zone == "America/New_York"
    assert as_organizer.post("/admin/time-zone", data={"time_zone": "Mars/Base"}).status_code \
        == 400
    response = as_organizer.post("/admin/time-zone", data={"time_zone": "UTC",
                                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/admin/"


# -- the dashboard ---------------------------------------------------------------------------


def populate(contest, owner, judges, films=3, day0=None):
    """Hand-made activity: films of every kind, votes, views, shares, scores."""
    day0 = day0 or contest.voting_open_at
    made = [make_film(contest, owner, f"Film {i}", device_verdict="verified")
            for i in range(films)]
    extra = [
        make_film(contest, owner, "Mismatch", device_verdict="mismatch"),
        make_film(contest, owner, "Busy", status="processing"),
        make_film(contest, owner, "Broken", status="failed", device_verdict="unknown",
                  error="ffmpeg could not read the file."),
        make_film(contest, owner, "Refused", status="rejected", device_verdict="mismatch"),
        make_film(contest, owner, "Out", device_verdict="verified", disqualified_at=day0,
                  moderation_reason="Another phone"),
    ]
    _db.session.add_all([Job(film=extra[1], state="queued"),
                         Job(film=extra[2], state="failed", error="boom", attempts=3)])
    voters = [User(email=f"v{i}-{len(made)}@example.com", display_name=f"V{i}",
                   password_hash="x") for i in range(3)]
    _db.session.add_all(voters)
    _db.session.flush()
    for i, voter in enumerate(voters):
        _db.session.add(Vote(user_id=voter.id, film_id=made[0].id, contest_id=contest.id,
                             created_at=day0 + timedelta(days=i // 2, minutes=i)))
    for i in range(4):
        _db.session.add(FilmView(film_id=made[i % 2].id, visitor=f"v{i}",
                                 day=(day0 + timedelta(days=i // 3)).date()))
    _db.session.add_all([
        ShareCount(film_id=made[0].id, contest_id=contest.id, ref="x", day=day0.date(), visits=5),
        ShareCount(film_id=made[1].id, contest_id=contest.id, ref="x", day=day0.date(), visits=2),
        ShareCount(film_id=made[1].id, contest_id=contest.id, ref="whatsapp", day=day0.date(),
                   visits=4)])
    criteria = _db.session.scalars(_db.select(Criterion).filter_by(contest_id=contest.id)
                                   .order_by(Criterion.position)).all()
    if not criteria:
        criteria = [Criterion(contest_id=contest.id, name=n, position=i)
                    for i, n in enumerate(("Story", "Craft"))]
        _db.session.add_all(criteria)
        _db.session.add_all(JudgeAssignment(contest_id=contest.id, user_id=j.id)
                            for j in judges)
    _db.session.flush()
    first, second = judges
    _db.session.add_all([
        Score(judge_id=first.id, film_id=made[0].id, criterion_id=criteria[0].id, value=5),
        Score(judge_id=first.id, film_id=made[0].id, criterion_id=criteria[1].id, value=6),
        Score(judge_id=first.id, film_id=made[1].id, criterion_id=criteria[0].id, value=7),
        Review(judge_id=second.id, film_id=made[0].id, conflict=True)])
    made[0].vote_count = 3
    _db.session.commit()
    return made, extra


@pytest.fixture
def judges(make_user):
    return [make_user(name="Jo Judge", roles=["judge"]), make_user(name="Kim Judge",
                                                                    roles=["judge"])]


def test_dashboard_numbers(app, as_organizer, contest, filmmaker, judges):
    made, extra = populate(contest, filmmaker, judges)
    board = dashboard(contest)
    assert board.statuses == {"ready": 5, "processing": 1, "failed": 1, "rejected": 1}
    assert board.entries == 8 and board.disqualified == 1 and board.hidden == 0
    assert board.verdicts == {"verified": 4, "mismatch": 2, "unknown": 1, "unchecked": 1}
    assert [job.film.title for job in board.failed_jobs] == ["Broken"]
    assert board.waiting_jobs == 1
    votes = dict(board.votes_by_day)
    day0 = contest.voting_open_at.date()
    assert votes[day0] == 2 and votes[day0 + timedelta(days=1)] == 1 and sum(votes.values()) == 3
    assert list(votes)[0] == day0  # the chart starts when voting opens
    views = dict(board.views_by_day)
    assert views[day0] == 3 and views[day0 + timedelta(days=1)] == 1
    assert list(views)[0] == contest.submissions_open_at.date()
    assert board.top_films[0].title == "Film 0"
    assert [(ref, visits) for ref, visits in board.refs] == [("x", 7), ("whatsapp", 4)]
    # Jo scored Film 0 fully (Film 1 only in part); Kim has a conflict with Film 0.
    # A judge's queue holds the films in competition: the disqualified one has left.
    eligible = 4
    progress = {p.judge.display_name: (p.scored, p.queue) for p in board.judges}
    assert progress == {"Jo Judge": (1, eligible), "Kim Judge": (0, eligible - 1)}

    page = html(as_organizer.get("/admin/contests/n8"))
    for figure, value in (("entries", 8), ("status-ready", 5), ("verdict-mismatch", 2),
                          ("verdict-unknown", 1), ("disqualified", 1), ("jobs-failed", 1)):
        assert f'data-figure="{figure}">{value}<' in page, figure
    assert page.count("<svg class=\"chart\"") == 2
    assert "Votes a day: 3 in total" in page and "Views a day: 4 in total" in page
    assert "ffmpeg could not read the file." in page and "Retry" in page
    assert f'data-figure="judge-{judges[0].public_id}">1 / {eligible}<' in page


def count_queries(client, url):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return len(statements)


def test_dashboard_queries_do_not_grow_with_films(app, as_organizer, contest, filmmaker,
                                                  judges):
    populate(contest, filmmaker, judges, films=2)
    few = count_queries(as_organizer, "/admin/contests/n8")
    populate(contest, filmmaker, judges, films=12, day0=contest.voting_open_at
             + timedelta(hours=1))
    assert count_queries(as_organizer, "/admin/contests/n8") == few
    assert few < 30


# -- entries ---------------------------------------------------------------------------------


def test_disqualify_hide_and_restore_are_seen_by_the_filmmaker(app, client, as_organizer,
                                                               contest, filmmaker, login):
    film = make_film(contest, filmmaker, "Harbour", device_verdict="verified")
    url = f"/admin/films/{film.public_id}"
    assert as_organizer.post(url + "/disqualify", data={"reason": ""}).status_code == 422
    assert fresh(Film, film.id).disqualified_at is None
    assert as_organizer.post(url + "/disqualify",
                             data={"reason": "Shot on an iPhone"}).status_code == 302
    assert "Disqualified" in html(as_organizer.get(url))
    maker = contest_client(app, filmmaker, login)
    status = html(maker.get(f"/films/{film.public_id}/status"))
    assert "Disqualified: Shot on an iPhone." in status

    assert as_organizer.post(url + "/hide", data={"reason": "Offensive poster"}).status_code \
        == 302
    film = fresh(Film, film.id)
    assert film.hidden_at is not None and film.moderation_reason == "Offensive poster"
    assert app.test_client().get(f"/films/{film.public_id}").status_code == 404

    assert as_organizer.post(url + "/restore").status_code == 302
    film = fresh(Film, film.id)
    assert (film.disqualified_at, film.hidden_at, film.moderation_reason) == (None, None, None)
    assert "Disqualified" not in html(maker.get(f"/films/{film.public_id}/status"))
    assert app.test_client().get(f"/films/{film.public_id}").status_code == 200
    assert audit_actions() == ["film.disqualify", "film.hide", "film.reinstate", "film.restore"]


def contest_client(app, user, login):
    other = app.test_client()
    login(other, user)
    return other


def test_film_page_shows_the_device_evidence(app, as_organizer, contest, filmmaker):
    film = make_film(contest, filmmaker, device_verdict="mismatch", device_make="Apple",
                     device_model="iPhone 15", device_evidence={
                         "device_tags": {"com.apple.quicktime.model": "iPhone 15"},
                         "creation_time": "2027-03-02T10:00:00Z", "edited": True,
                         "editor_signs": [{"editor": "CapCut", "tag": "encoder",
                                           "value": "CapCut 9"}]})
    page = html(as_organizer.get(f"/admin/films/{film.public_id}"))
    for expected in ("Mismatch", "Apple iPhone 15", "com.apple.quicktime.model",
                     "2027-03-02T10:00:00Z", "CapCut"):
        assert expected in page


def test_the_original_through_a_short_lived_link(app, as_organizer, contest, filmmaker, clock,
                                                 tmp_path):
    film = make_film(contest, filmmaker, original_key=f"originals/x{contest.id}/a.mp4",
                     original_name="harbour.mp4")
    source = tmp_path / "a.mp4"
    source.write_bytes(b"original bytes")
    get_storage().save(film.original_key, source, "video/mp4", public=False)
    response = as_organizer.get(f"/admin/films/{film.public_id}/original")
    assert response.status_code == 302
    link = response.headers["Location"]
    assert as_organizer.get(link).data == b"original bytes"
    clock.advance(seconds=301)
    assert as_organizer.get(link).status_code == 403
    assert audit_actions() == ["film.original"]
    get_storage().delete(film.original_key)
    assert as_organizer.get(f"/admin/films/{film.public_id}/original").status_code == 404


@pytest.mark.slow
def test_retry_a_failed_job(app, as_organizer, make_contest, filmmaker, tmp_path):
    contest = make_contest("retry", min_height=120)
    film = make_film(contest, filmmaker, "Second try", status="failed",
                     error="We could not process this film.",
                     original_key=f"originals/retry{contest.id}/clip.mp4")
    clip = make_clip(tmp_path / "clip.mp4", tags=NOKIA_N8, seconds=1)
    get_storage().save(film.original_key, clip, "video/mp4", public=False)
    job = Job(film=film, state="failed", attempts=3, error="boom")
    _db.session.add(job)
    _db.session.commit()
    assert "Second try" in html(as_organizer.get("/admin/contests/retry"))
    response = as_organizer.post(f"/admin/jobs/{job.id}/retry")
    assert response.status_code == 302
    assert thread_runner(app).wait(60)
    film = fresh(Film, film.id)
    assert film.status == "ready" and film.device_verdict == "verified"
    assert fresh(Job, job.id).state == "done"
    assert audit_actions() == ["job.retry"]
    # A job that has not failed is not retried.
    as_organizer.post(f"/admin/jobs/{job.id}/retry")
    assert audit_actions() == ["job.retry"]


# -- vote review -----------------------------------------------------------------------------


@pytest.fixture
def voting(contest, filmmaker, make_user, make_contest):
    """Hand-made votes: a burst of new accounts from one address, a shared household,
    a genuine old account, and the same burst account voting in another contest."""
    now = contest.voting_open_at + timedelta(hours=2)
    films = [make_film(contest, filmmaker, t) for t in ("Alpha", "Beta")]
    old = now - timedelta(days=30)
    bots = [User(email=f"bot{i}@example.com", display_name=f"Bot {i}", password_hash="x",
                 created_at=now - timedelta(hours=2)) for i in range(5)]
    family = [User(email=f"fam{i}@example.com", display_name=f"Fam {i}", password_hash="x",
                   created_at=old) for i in range(3)]
    regular = User(email="regular@example.com", display_name="Regular", password_hash="x",
                   created_at=old)
    maker = User(email="newmaker@example.com", display_name="New maker", password_hash="x",
                 created_at=now - timedelta(hours=1))
    _db.session.add_all([*bots, *family, regular, maker])
    _db.session.flush()
    make_film(contest, maker, "Maker's own")
    _db.session.add(Comment(film=films[1], author=regular, body="Lovely"))
    bot_ip, home_ip = hash_address("203.0.113.9"), hash_address("198.51.100.4")

    def vote(user, film, at, ip, weight=1.0):
        _db.session.add(Vote(user_id=user.id, film_id=film.id, contest_id=film.contest_id,
                             created_at=at, ip_hash=ip, ua_family="Chrome", weight=weight))

    for i, bot in enumerate(bots):
        vote(bot, films[0], now + timedelta(minutes=2 * i), bot_ip, weight=2.0)
    vote(bots[0], films[1], now + timedelta(hours=5), bot_ip, weight=3.0)
    for i, member in enumerate(family):
        vote(member, films[0], now + timedelta(hours=3 * i), home_ip)
    vote(regular, films[0], now, hash_address("192.0.2.1"))
    vote(regular, films[1], now, hash_address("192.0.2.1"))
    vote(maker, films[1], now, hash_address("192.0.2.2"))
    other = make_contest("other", title="Other")
    other_film = make_film(other, filmmaker, "Elsewhere")
    vote(bots[0], other_film, now, bot_ip)
    for film in (*films, other_film):
        review_ops.recount([film.id])
    _db.session.commit()
    return {"films": films, "bots": bots, "family": family, "regular": regular, "maker": maker,
            "other_film": other_film}


def test_vote_review_signals(app, contest, voting):
    found = review_ops.review(contest)
    signals = {a.user.display_name: a.signals for a in found.accounts}
    for i in range(5):
        assert signals[f"Bot {i}"] == ["burst", "shared address", "new account, only votes"]
    for i in range(3):
        assert signals[f"Fam {i}"] == ["shared address"]
    assert signals["Regular"] == [] and signals["New maker"] == []
    assert found.accounts[0].user.display_name.startswith("Bot")
    burst = [r for r in found.rows if r.burst]
    assert len(burst) == 5 and {r.film_title for r in burst} == {"Alpha"}
    assert [len(a.accounts) for a in found.addresses] == [5, 3]
    assert len(found.rows) == 12  # only this contest's votes


def test_vote_review_page_and_csv(app, as_organizer, contest, voting):
    page = html(as_organizer.get("/admin/contests/n8/votes"))
    assert "12 votes from 10 accounts; 8 accounts show a signal." in page
    assert "address bursts stand in for network bursts" in page
    response = as_organizer.get("/admin/contests/n8/votes.csv")
    assert response.mimetype == "text/csv" and "attachment" in \
        response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(html(response))))
    assert tuple(table[0]) == review_ops.CSV_COLUMNS
    assert len(table) == 13
    bot_ids = {b.public_id for b in voting["bots"]}
    bursts = [row for row in table[1:] if row[5] == "yes"]
    assert len(bursts) == 5 and {row[2] for row in bursts} == bot_ids
    assert all(row[7] == "yes" for row in table[1:] if row[2] in bot_ids)


def test_discarding_votes_recounts_the_films(app, as_organizer, contest, voting):
    alpha, beta = voting["films"]
    bots = [b.public_id for b in voting["bots"]]
    response = as_organizer.post("/admin/contests/n8/votes", data={"accounts": bots,
                                                                   "reason": ""})
    assert response.status_code == 422
    assert fresh(Film, alpha.id).vote_count == 9
    response = as_organizer.post("/admin/contests/n8/votes",
                                 data={"accounts": bots, "reason": "One address, 10 minutes"})
    assert response.status_code == 302
    for film in (alpha, beta):
        film = fresh(Film, film.id)
        remaining = _db.session.scalars(_db.select(Vote).filter_by(film_id=film.id)).all()
        assert film.vote_count == len(remaining)
        assert film.trend_score == pytest.approx(sum(v.weight for v in remaining))
    assert fresh(Film, alpha.id).vote_count == 4 and fresh(Film, beta.id).vote_count == 2
    # The same account's vote in another contest stays.
    assert fresh(Film, voting["other_film"].id).vote_count == 1
    entries = _db.session.scalars(_db.select(AuditEntry).filter_by(action="votes.discard")).all()
    assert sorted(e.subject for e in entries) == sorted(bots)
    assert all(e.after["reason"] == "One address, 10 minutes" for e in entries)
    first = next(e for e in entries if e.subject == bots[0])
    assert sorted(f for f, _ in first.before["votes"]) == sorted([alpha.public_id,
                                                                  beta.public_id])
    assert as_organizer.post("/admin/contests/n8/votes",
                             data={"accounts": bots, "reason": "again"}).status_code == 422


# -- users, roles, suspension, moderation ----------------------------------------------------


def test_find_users_and_change_roles(app, as_organizer, organizer, filmmaker, make_user):
    make_user(email="bob@example.com", name="Bob")
    page = html(as_organizer.get("/admin/users?q=ANA"))
    assert "ana@example.com" in page and "bob@example.com" not in page
    url = f"/admin/users/{filmmaker.public_id}"
    as_organizer.post(url + "/role", data={"role": "judge", "grant": "1"})
    assert fresh(User, filmmaker.id).is_judge
    as_organizer.post(url + "/role", data={"role": "organizer", "grant": "1"})
    as_organizer.post(url + "/role", data={"role": "judge", "grant": "0"})
    person = fresh(User, filmmaker.id)
    assert person.is_organizer and not person.is_judge
    response = as_organizer.post(f"/admin/users/{organizer.public_id}/role",
                                 data={"role": "organizer", "grant": "0"}, follow_redirects=True)
    assert "cannot remove your own organizer role" in html(response)
    assert fresh(User, organizer.id).is_organizer
    entries = _db.session.scalars(_db.select(AuditEntry).filter_by(action="user.role")).all()
    assert [(e.before, e.after) for e in entries] == [
        ({"judge": False}, {"judge": True}), ({"organizer": False}, {"organizer": True}),
        ({"judge": True}, {"judge": False})]


def test_suspend_and_unsuspend(app, as_organizer, filmmaker, login):
    theirs = contest_client(app, filmmaker, login)
    assert "Ana" in html(theirs.get("/"))
    url = f"/admin/users/{filmmaker.public_id}"
    assert as_organizer.post(url + "/suspend", data={"reason": ""}).status_code == 400
    as_organizer.post(url + "/suspend", data={"reason": "Spam"})
    assert fresh(User, filmmaker.id).suspended_at is not None
    assert "Ana" not in html(theirs.get("/"))  # signed out: suspended accounts do not load
    assert "Suspended since" in html(as_organizer.get(url))
    as_organizer.post(url + "/unsuspend")
    assert fresh(User, filmmaker.id).suspended_at is None
    assert audit_actions() == ["user.suspend", "user.unsuspend"]


def test_moderation_queue(app, as_organizer, contest, filmmaker, make_user):
    film = make_film(contest, filmmaker, "Harbour")
    troll = make_user(name="Troll")
    comment = Comment(film=film, author=troll, body="Rude words")
    _db.session.add(comment)
    _db.session.commit()
    moderation.report(comment, make_user(), "Insults")
    moderation.report(film, make_user(), "Stolen footage")
    page = html(as_organizer.get("/admin/moderation"))
    assert "Rude words" in page and "Insults" in page and "Stolen footage" in page
    assert 'aria-label="2 open reports"' in page
    url = f"/admin/moderation/comment/{comment.public_id}"
    as_organizer.post(url + "/hide", data={"reason": "Be kind"})
    assert fresh(Comment, comment.id).hidden_reason == "Be kind"
    as_organizer.post(url.replace(comment.public_id, "nope") + "/hide", data={"reason": "x"})
    as_organizer.post(f"/admin/moderation/film/{film.public_id}/dismiss")
    as_organizer.post(url + "/suspend", data={"reason": "Repeated insults"})
    assert fresh(User, troll.id).suspended_at is not None
    assert "No open reports" in html(as_organizer.get(f"/admin/moderation?contest={contest.slug}"))
    assert as_organizer.post(url + "/explode").status_code == 404
    assert audit_actions() == ["comment.hide", "film.dismiss", "user.suspend"]
