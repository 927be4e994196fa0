"""The access matrix: every GET route, as anonymous, filmmaker, judge and organizer.

Each route is listed with who may use it; a route missing from the table fails the
test, so a new page cannot ship without a decision about who may open it. State
changes (POST, PUT, PATCH, DELETE) are checked for anonymous callers here and in
depth in each area's tests.
"""
from datetime import timedelta

import pytest

from contest.models import Comment, Film, Rendition
from contest.operations.judging import assign_judges
from contest.operations.uploads import start_upload
from contest.operations.users import issue_token
from contest.storage import get_storage

ROLES = ("anonymous", "filmmaker", "judge", "organizer")
OK = {200}
# Who may open each GET route. "public": everyone; "signed_in": any account;
# "owner": the film's or upload's filmmaker (and organizers for films); "self": the
# uploader only; "judge": the contest's judges and organizers; "organizer": organizers;
# "token": a link token (a made-up one is refused for everyone).
ACCESS = {
    "gallery.index": "public", "gallery.contest": "public", "gallery.contest_films": "public",
    "gallery.leaderboard": "public", "gallery.film": "public", "gallery.embed": "public",
    "gallery.oembed": "public", "community.discussion": "public", "community.profile": "public",
    "auth.login": "public", "auth.register": "public", "auth.forgot": "public",
    "ops.healthz": "public", "ops.readyz": "public", "ops.metrics_page": "public",
    "files.public": "public", "results.results": "public", "static": "public",
    "api.list_contests": "public", "api.show_contest": "public",
    "api.list_contest_films": "public", "api.get_film": "public",
    "auth.reset": "token", "auth.verify": "token", "community.unsubscribe": "token",
    "files.signed": "token",
    "auth.verify_pending": "signed_in", "community.edit_profile": "signed_in",
    "community.notification_count": "signed_in", "community.notification_settings": "signed_in",
    "community.notifications": "signed_in", "submit.enter": "signed_in",
    "api.me": "signed_in",
    "gallery.edit": "owner", "submit.film_status": "owner", "submit.film_progress_json": "owner",
    "uploads.show": "self", "uploads.parts": "self", "uploads.part_target": "self",
    "api.get_upload": "self", "api.list_upload_parts": "self", "api.upload_part_target": "self",
    "judging.index": "judge", "judging.queue": "judge", "judging.film": "judge",
    "api.judging_queue": "judge",
    "api.get_rubric": "judge",
    "judging.panel": "organizer", "judging.rubric": "organizer",
    "results.audit_log": "organizer", "results.awards": "organizer",
    "results.shortlist": "organizer", "results.standings": "organizer",
    "results.standings_csv": "organizer", "gallery.votes_csv": "organizer",
    "api.get_judges": "organizer", "api.get_standings": "organizer",
    "api.get_results": "organizer",  # until the results are public, as here
}
ALLOWED = {
    "public": set(ROLES), "token": set(), "signed_in": {"filmmaker", "judge", "organizer"},
    "owner": {"filmmaker", "organizer"}, "self": {"filmmaker"},
    "judge": {"judge", "organizer"}, "organizer": {"organizer"},
}


@pytest.fixture
def world(app, db, make_user, make_contest, clock, tmp_path):
    """A contest in its voting window with one published film, a judge and an organizer."""
    now = clock.now()
    contest = make_contest("access", submissions_open_at=now - timedelta(days=2),
                           submissions_close_at=now + timedelta(days=3),
                           voting_open_at=now - timedelta(days=1),
                           voting_close_at=now + timedelta(days=4),
                           results_at=now + timedelta(days=6))
    people = {"filmmaker": make_user(), "judge": make_user(), "organizer":
              make_user(roles=["organizer"])}
    assign_judges(contest, [people["judge"].email], people["organizer"])
    film = Film(contest=contest, owner=people["filmmaker"], title="Dawn", status="ready",
                published_at=now, width=320, height=240, duration_s=2.0,
                device_verdict="verified", poster_key="films/x/v1/poster.jpg",
                thumbnail_key="films/x/v1/thumbnail.jpg", hls_key="films/x/v1/hls/master.m3u8")
    film.renditions = [Rendition(height=240, width=320, key="films/x/v1/240p.mp4", bytes=10)]
    film.original_key = "originals/x/original.mp4"
    comment = Comment(film=film, author=people["judge"], body="Lovely light.")
    db.session.add_all([film, comment])
    db.session.commit()
    upload = start_upload(contest, people["filmmaker"], file_name="a.mp4", size=10)
    small = tmp_path / "small.bin"
    small.write_bytes(b"\xff\xd8\xff\xe0 test bytes")
    get_storage().save(film.poster_key, small, "image/jpeg", public=True)
    get_storage().save(film.original_key, small, "video/mp4", public=False)
    return {"contest": contest, "film": film, "comment": comment, "upload": upload,
            "people": people}


def url_for_rule(rule, world):
    """A concrete URL for a route, with the world's objects in its placeholders."""
    film, upload = world["film"], world["upload"]
    path = rule.rule
    if path.startswith(("/uploads/", "/api/v1/uploads/")):
        path = path.replace("<public_id>", upload.public_id)
    elif path.startswith(("/u/", "/admin/users/")):
        path = path.replace("<public_id>", world["people"]["filmmaker"].public_id)
    elif path.startswith("/comments/"):
        path = path.replace("<public_id>", world["comment"].public_id)
    values = {"<slug>": world["contest"].slug, "<public_id>": film.public_id,
              "<path:key>": film.poster_key, "<token>": "made-up-token",
              "<int:number>": "1", "<path:filename>": "css/site.css",
              "<int:job_id>": "1", "<kind>": "film", "<decision>": "dismiss"}
    for name, value in values.items():
        path = path.replace(name, value)
    if rule.endpoint == "gallery.oembed":
        path += f"?url=http://localhost/films/{film.public_id}&format=json"
    return path


def request_as(app, login, world, role, method, url):
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        user = world["people"][role]
        if url.startswith("/api/"):
            headers["Authorization"] = f"Bearer {issue_token(user)}"
        else:
            login(client, user)
    return client.open(url, method=method, headers=headers)


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods),
                  key=lambda r: r.rule)


def test_every_get_route_has_an_access_rule(app):
    missing = sorted(r.endpoint for r in get_rules(app)
                     if r.endpoint not in ACCESS and not r.endpoint.startswith("admin."))
    assert missing == [], f"decide who may open: {missing}"


def test_access_matrix(app, world, login):
    wrong = []
    for rule in get_rules(app):
        level = "organizer" if rule.endpoint.startswith("admin.") else ACCESS[rule.endpoint]
        url = url_for_rule(rule, world)
        for role in ROLES:
            response = request_as(app, login, world, role, "GET", url)
            status, sent_to_sign_in = response.status_code, to_sign_in(response)
            allowed = role in ALLOWED[level]
            # A redirect elsewhere (a signed media link) is an answer; one to sign in is not.
            if allowed and not (status in OK or (status == 302 and not sent_to_sign_in)):
                wrong.append((rule.endpoint, url, role, status, "should be allowed"))
            if not allowed and not denied(response, role, url):
                wrong.append((rule.endpoint, url, role, status, "should be refused"))
    assert wrong == [], "\n".join(map(str, wrong))


def to_sign_in(response):
    return response.status_code == 302 and "/auth/login" in response.headers["Location"]


def denied(response, role, url):
    """Anonymous callers are sent to sign in (401 from the API); others get 403 or 404."""
    status = response.status_code
    if role == "anonymous" and not url.startswith("/api/") and to_sign_in(response):
        return True
    return status in (400, 401, 403, 404)


def test_state_changes_refuse_anonymous_callers(app, world, login):
    """Every POST/PUT/PATCH/DELETE route refuses an anonymous caller, but sign-in itself."""
    open_to_all = {"auth.login", "auth.register", "auth.forgot", "auth.reset",
                   "community.unsubscribe", "api.create_token", "api.create_account",
                   "auth.logout"}
    wrong = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            if rule.endpoint in open_to_all:
                continue
            url = url_for_rule(rule, world)
            response = request_as(app, login, world, "anonymous", method, url)
            if not denied(response, "anonymous", url):
                wrong.append((rule.endpoint, method, url, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
