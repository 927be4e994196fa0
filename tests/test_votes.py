"""Voting: the rules, the counters, the audit trail, the web button, the API, CSRF, rate limits."""
import csv
import hashlib
import hmac
import io
import random
import re
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from flask import render_template

from contest import create_app
from contest.errors import DomainError
from contest.extensions import db as _db
from contest.extensions import limiter
from contest.models import Film, User, Vote
from contest.operations import votes
from contest.operations.users import issue_token

SPEC = yaml.safe_load((Path(__file__).parent.parent / "docs" / "openapi.yaml").read_text())
CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Mobile Safari/537.36")


def make_film(contest, owner, title="Dawn", status="ready", **extra):
    film = Film(contest=contest, owner=owner, title=title, status=status, **extra)
    if status == "ready":
        film.published_at = contest.submissions_open_at
    _db.session.add(film)
    _db.session.commit()
    return film


@pytest.fixture
def contest(make_contest, clock):
    """A contest whose voting opened a day ago."""
    made = make_contest("n8")
    clock.set(made.voting_open_at + timedelta(days=1))
    return made


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ana")


@pytest.fixture
def film(contest, filmmaker):
    return make_film(contest, filmmaker)


def rows(film=None):
    query = _db.select(_db.func.count(Vote.id))
    if film is not None:
        query = query.where(Vote.film_id == film.id)
    return _db.session.scalar(query)


def fresh(film):
    _db.session.expire_all()
    return _db.session.get(Film, film.id)


def refused(call, status, code=None):
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.status == status, caught.value.message
    if code:
        assert caught.value.code == code
    return caught.value


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user)}"}


# --- the domain rules ----------------------------------------------------------------------


def test_a_vote_counts_once_and_records_the_audit_trail(app, film, make_user, clock):
    voter = make_user()
    result = votes.cast_vote(film, voter, ip="203.0.113.7", user_agent=CHROME)
    assert result == votes.VoteResult(votes=1, voted=True, changed=True)
    vote = _db.session.scalar(_db.select(Vote))
    expected = hmac.new(b"test-secret", b"203.0.113.7", hashlib.sha256).hexdigest()
    assert vote.ip_hash == expected and vote.ua_family == "Chrome"
    assert vote.contest_id == film.contest_id and vote.created_at == clock.now()
    assert _db.session.get(User, voter.id).last_voted_at == clock.now()
    again = votes.cast_vote(film, voter, ip="203.0.113.7")
    assert again == votes.VoteResult(votes=1, voted=True, changed=False)
    assert fresh(film).vote_count == 1 == rows()


def test_withdrawing_takes_the_vote_and_its_weight_back(app, film, make_user, clock):
    first, second = make_user(), make_user()
    votes.cast_vote(film, first)
    clock.advance(hours=30)
    votes.cast_vote(film, second)
    assert fresh(film).trend_score == pytest.approx(2 + 2 ** (1 + 30 / 24))
    result = votes.withdraw_vote(film, second)
    assert result == votes.VoteResult(votes=1, voted=False, changed=True)
    assert fresh(film).trend_score == pytest.approx(2)
    assert votes.withdraw_vote(film, second).changed is False
    votes.withdraw_vote(film, first)
    assert (fresh(film).vote_count, fresh(film).trend_score, rows()) == (0, 0.0, 0)


@pytest.mark.parametrize("days, state", [(-2, "upcoming"), (14, "closed")])
def test_votes_only_count_inside_the_window(app, film, make_user, clock, days, state):
    voter = make_user()
    votes.cast_vote(film, voter)
    clock.advance(days=days)
    assert votes.voting_state(film.contest) == state
    refused(lambda: votes.cast_vote(film, make_user()), 403, "voting_closed")
    refused(lambda: votes.withdraw_vote(film, voter), 403, "voting_closed")
    assert fresh(film).vote_count == 1 == rows()


def test_who_may_vote(app, contest, film, filmmaker, make_user):
    refused(lambda: votes.cast_vote(film, filmmaker), 403, "own_film")
    suspended = make_user()
    suspended.suspended_at = contest.voting_open_at
    _db.session.commit()
    refused(lambda: votes.cast_vote(film, suspended), 403, "suspended")
    unverified = make_user(verified=False)
    assert votes.cast_vote(film, unverified).changed  # verification not required here
    contest.voting_requires_verified_email = True
    _db.session.commit()
    refused(lambda: votes.cast_vote(film, make_user(verified=False)), 403, "email_not_verified")
    assert votes.cast_vote(film, make_user(verified=True)).votes == 2
    assert rows() == 2


@pytest.mark.parametrize("status, withdrawn", [("processing", False), ("rejected", False),
                                               ("ready", True)])
def test_only_published_films_take_votes(app, contest, filmmaker, make_user, status, withdrawn):
    film = make_film(contest, filmmaker, status=status,
                     withdrawn_at=contest.voting_open_at if withdrawn else None)
    refused(lambda: votes.cast_vote(film, make_user()), 404)
    refused(lambda: votes.withdraw_vote(film, make_user()), 404)
    assert rows() == 0


def test_n_votes_per_account_are_spread_and_capped(app, contest, filmmaker, make_user):
    contest.votes_per_account = 2
    _db.session.commit()
    a, b, c = (make_film(contest, filmmaker, title=t) for t in "ABC")
    voter = make_user()
    assert votes.cast_vote(a, voter).votes_left == 1
    assert votes.cast_vote(b, voter).votes_left == 0
    error = refused(lambda: votes.cast_vote(c, voter), 409, "votes_used_up")
    assert "2" in error.message
    # Voting again for a film already chosen is "already voted", not "used up".
    assert votes.cast_vote(a, voter) == votes.VoteResult(1, True, False, 0)
    assert votes.withdraw_vote(a, voter).votes_left == 1
    assert votes.cast_vote(c, voter).votes_left == 0
    assert [fresh(f).vote_count for f in (a, b, c)] == [0, 1, 1]
    assert votes.votes_left(contest, make_user()) == 2


def test_counts_equal_rows_after_any_sequence(app, contest, filmmaker, make_user, clock):
    films = [make_film(contest, filmmaker, title=f"F{i}") for i in range(3)]
    voters = [make_user() for _ in range(4)]
    chance = random.Random(4)
    for _ in range(60):
        clock.advance(minutes=chance.randint(1, 600))
        film, voter = chance.choice(films), chance.choice(voters)
        action = chance.choice((votes.cast_vote, votes.withdraw_vote))
        action(film, voter)
    for film in films:
        film = fresh(film)
        weights = _db.session.scalars(_db.select(Vote.weight).filter_by(film_id=film.id)).all()
        assert film.vote_count == len(weights) == rows(film)
        assert film.trend_score == pytest.approx(sum(weights))


def test_trending_order_equals_decayed_recent_votes(app, contest, filmmaker, make_user, clock):
    early, late = make_film(contest, filmmaker, title="early"), make_film(contest, filmmaker)
    for _ in range(3):
        votes.cast_vote(early, make_user())
    clock.advance(days=3)
    for _ in range(2):
        votes.cast_vote(late, make_user())
    clock.advance(days=1)
    now = clock.now()

    def decayed(film):
        times = _db.session.scalars(_db.select(Vote.created_at).filter_by(film_id=film.id))
        return sum(0.5 ** ((now - t).total_seconds() / votes.HALF_LIFE_S) for t in times)

    by_trend = _db.session.scalars(_db.select(Film).order_by(Film.trend_score.desc())).all()
    assert [f.title for f in by_trend] == ["Dawn", "early"]
    assert sorted(by_trend, key=decayed, reverse=True) == by_trend
    assert fresh(early).vote_count > fresh(late).vote_count  # but "top" still prefers early


@pytest.mark.parametrize("agent, family", [
    (CHROME, "Chrome"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", "Edge"),
    ("curl/8.5.0", "curl"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/124.0.0.0 Safari/537.36", "bot"),
    ("python-requests/2.32", "bot"),
    ("", "other"),
    (None, "other"),
    ("Opera/9.80 (J2ME/MIDP; Opera Mini/9.80)", "other"),
])
def test_user_agent_families(agent, family):
    assert votes.ua_family(agent) == family


# --- the web button ------------------------------------------------------------------------


def test_voting_through_the_form(app, client, film, make_user, login):
    login(client, make_user())
    response = client.post(f"/films/{film.public_id}/vote")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/films/{film.public_id}"
    assert fresh(film).vote_count == 1
    back = client.post(f"/films/{film.public_id}/unvote", data={"next": "/contests/n8"})
    assert back.headers["Location"] == "/contests/n8"
    evil = client.post(f"/films/{film.public_id}/vote", data={"next": "//evil.example"})
    assert evil.headers["Location"] == f"/films/{film.public_id}"
    assert fresh(film).vote_count == 1 == rows()


def test_vote_js_gets_json(app, client, contest, film, make_user, login):
    login(client, make_user())
    json = {"Accept": "application/json"}
    response = client.post(f"/films/{film.public_id}/vote", headers=json)
    assert response.status_code == 200 and response.get_json() == {"votes": 1, "voted": True}
    response = client.post(f"/films/{film.public_id}/unvote", headers=json)
    assert response.get_json() == {"votes": 0, "voted": False}
    contest.hide_votes_until_close = True
    _db.session.commit()
    response = client.post(f"/films/{film.public_id}/vote", headers=json)
    assert response.get_json() == {"votes": None, "voted": True}


def test_refusals_on_the_web(app, client, film, filmmaker, make_user, login):
    response = client.post(f"/films/{film.public_id}/vote")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next=/films/{film.public_id}"
    response = client.post(f"/films/{film.public_id}/vote", headers={"Accept": "application/json"})
    assert response.status_code == 401
    login(client, filmmaker)
    response = client.post(f"/films/{film.public_id}/vote", follow_redirects=True)
    assert "You cannot vote for your own film." in response.get_data(as_text=True)
    response = client.post(f"/films/{film.public_id}/vote", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "own_film"
    assert client.post("/films/nope/vote").status_code == 404
    assert rows() == 0


def test_the_web_form_needs_its_csrf_token(app, base_config, film, make_user, login):
    strict = create_app({**base_config, "WTF_CSRF_ENABLED": True})
    client = strict.test_client()
    login(client, make_user())
    assert client.post(f"/films/{film.public_id}/vote").status_code == 400
    assert client.post(f"/films/{film.public_id}/vote",
                       data={"csrf_token": "forged"}).status_code == 400
    assert rows() == 0
    # The header's sign-out form carries the session's token, as every page's vote form does.
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True))
    response = client.post(f"/films/{film.public_id}/vote", data={"csrf_token": token.group(1)})
    assert response.status_code == 302 and rows() == 1


@pytest.fixture
def limited(app, base_config):
    """A second app with rate limits on; the limiter is global, so restore it after."""
    enabled = limiter.enabled
    yield lambda **limits: create_app({**base_config, "RATELIMIT_ENABLED": True, **limits})
    limiter.enabled = enabled


def test_votes_are_rate_limited_per_account(limited, contest, filmmaker, make_user, login):
    client = limited(VOTE_RATE_LIMIT_ACCOUNT="3 per minute").test_client()
    voter = make_user()
    login(client, voter)
    films = [make_film(contest, filmmaker, title=str(i)) for i in range(3)]
    codes = [client.post(f"/films/{f.public_id}/vote").status_code for f in films]
    assert codes == [302] * 3
    film = make_film(contest, filmmaker, title="one more")
    response = client.post(f"/films/{film.public_id}/vote", headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert "Too many votes" in response.get_json()["error"]["message"]
    # The API shares the account's allowance.
    response = limited_api_put(client, film, voter)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert rows() == 3


def limited_api_put(client, film, user):
    return client.put(f"/api/v1/films/{film.public_id}/vote", headers=bearer(user))


def test_votes_are_rate_limited_per_address(limited, film, make_user, login):
    client = limited(VOTE_RATE_LIMIT_ADDRESS="2 per minute").test_client()
    codes = []
    for _ in range(3):
        response = client.put(f"/api/v1/films/{film.public_id}/vote", headers=bearer(make_user()),
                              environ_base={"REMOTE_ADDR": "198.51.100.9"})
        codes.append(response.status_code)
    assert codes == [201, 201, 429]
    other = client.put(f"/api/v1/films/{film.public_id}/vote", headers=bearer(make_user()),
                       environ_base={"REMOTE_ADDR": "198.51.100.10"})
    assert other.status_code == 201 and rows() == 3


def test_the_address_is_never_stored(app, client, film, make_user, login, db):
    login(client, make_user())
    address = "192.0.2.201"
    client.post(f"/films/{film.public_id}/vote", environ_base={"REMOTE_ADDR": address},
                headers={"User-Agent": CHROME})
    client.put(f"/api/v1/films/{film.public_id}/vote", headers=bearer(make_user()),
               environ_base={"REMOTE_ADDR": address})
    assert rows() == 2
    hashes = set(db.session.scalars(db.select(Vote.ip_hash)))
    assert hashes == {votes.hash_address(address)} and address not in hashes
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            assert address not in " ".join(map(str, row)), table.name


# --- the partial -----------------------------------------------------------------------------


def render_box(app, film, voted=False, user=None, **extra):
    from flask_login import login_user

    with app.test_request_context(f"/films/{film.public_id}"):
        if user is not None:
            login_user(user)
        return render_template("gallery/_vote.html", film=film, voted=voted,
                               contest=film.contest, **extra)


def test_the_vote_box(app, contest, film, filmmaker, make_user, clock):
    voter = make_user()
    anonymous = render_box(app, film)
    assert "Sign in to vote" in anonymous
    assert f'href="/auth/login?next=/films/{film.public_id}"' in anonymous
    assert "<form" not in anonymous
    box = render_box(app, film, user=voter)
    assert ">Vote</button>" in box and 'name="csrf_token"' in box
    assert f'action="/films/{film.public_id}/vote"' in box
    votes.cast_vote(film, voter)
    box = render_box(app, fresh(film), voted=True, user=voter, votes_left=None)
    assert "Voted ✓ (take back)</button>" in box and "unvote" in box
    assert re.search(r"data-vote-count>1<", box)
    assert "you cannot vote for it" in render_box(app, film, user=filmmaker)
    contest.voting_requires_verified_email = True
    _db.session.commit()
    unverified = render_box(app, film, user=make_user(verified=False))
    assert "Confirm your email address to vote" in unverified and "<form" not in unverified
    contest.hide_votes_until_close = True
    _db.session.commit()
    assert "data-vote-count" not in render_box(app, film, user=voter)
    clock.advance(days=14)
    closed = render_box(app, fresh(film), user=voter)
    assert "Voting has closed" in closed and re.search(r"data-vote-count>1<", closed)


def test_the_film_page_shows_the_box(app, client, film, make_user, login):
    page = client.get(f"/films/{film.public_id}").get_data(as_text=True)
    assert f'href="/auth/login?next=/films/{film.public_id}">Sign in to vote' in page
    login(client, make_user())
    page = client.get(f"/films/{film.public_id}").get_data(as_text=True)
    assert ">Vote</button>" in page and "js/vote.js" in page and "css/vote.css" in page
    client.post(f"/films/{film.public_id}/vote")
    page = client.get(f"/films/{film.public_id}").get_data(as_text=True)
    assert "Voted ✓ (take back)</button>" in page

def test_the_voting_rules_are_spelled_out(app, contest):
    contest.votes_per_account = 5
    with app.test_request_context("/"):
        rules = render_template("gallery/_vote_rules.html", contest=contest)
    assert "5 votes to spread" in rules and "discard" in rules
    assert "never the address itself" in rules


# --- the audit export ------------------------------------------------------------------------


def test_organizers_export_the_audit_trail(app, client, film, make_user, login):
    voter = make_user()
    votes.cast_vote(film, voter, ip="203.0.113.7", user_agent="curl/8.5.0")
    assert client.get("/contests/n8/votes.csv").status_code == 302  # sign in first
    login(client, make_user())
    assert client.get("/contests/n8/votes.csv").status_code == 403
    login(client, make_user(roles=["organizer"]))
    assert client.get("/contests/nope/votes.csv").status_code == 404
    response = client.get("/contests/n8/votes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    vote = _db.session.scalar(_db.select(Vote))
    assert table == [list(votes.AUDIT_COLUMNS), [
        vote.created_at.isoformat() + "Z", film.public_id, voter.public_id,
        votes.hash_address("203.0.113.7"), "curl"]]


# --- the API ---------------------------------------------------------------------------------


def conforms(body):
    schema = {"$ref": "#/components/schemas/VoteState", "components": SPEC["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    return body


def test_api_status_codes(app, client, contest, film, filmmaker, make_user, clock):
    voter = make_user()
    url = f"/api/v1/films/{film.public_id}/vote"
    headers = bearer(voter)
    response = client.put(url, headers=headers)
    assert response.status_code == 201
    assert conforms(response.get_json()) == {"votes": 1, "voted": True}
    response = client.put(url, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"votes": 1, "voted": True}
    response = client.delete(url, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"votes": 0, "voted": False}
    response = client.delete(url, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"votes": 0, "voted": False}
    assert client.put(url).status_code == 401
    assert client.put("/api/v1/films/nope/vote", headers=headers).status_code == 404
    own = client.put(url, headers=bearer(filmmaker))
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_film"
    contest.voting_requires_verified_email = True
    _db.session.commit()
    assert client.put(url, headers=bearer(make_user(verified=False))).status_code == 403
    clock.advance(days=14)
    closed = client.put(url, headers=headers)
    assert closed.status_code == 403 and closed.get_json()["error"]["code"] == "voting_closed"
    assert client.delete(url, headers=headers).status_code == 403
    assert fresh(film).vote_count == 0 == rows()


def test_api_n_votes_mode(app, client, contest, filmmaker, make_user):
    contest.votes_per_account = 1
    contest.hide_votes_until_close = True
    _db.session.commit()
    first, second = make_film(contest, filmmaker, title="1"), make_film(contest, filmmaker)
    headers = bearer(make_user())
    response = client.put(f"/api/v1/films/{first.public_id}/vote", headers=headers)
    assert response.status_code == 201
    assert conforms(response.get_json()) == {"votes": None, "voted": True, "votes_left": 0}
    response = client.put(f"/api/v1/films/{second.public_id}/vote", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "votes_used_up"
    response = client.delete(f"/api/v1/films/{first.public_id}/vote", headers=headers)
    assert response.get_json() == {"votes": None, "voted": False, "votes_left": 1}
    assert client.put(f"/api/v1/films/{second.public_id}/vote", headers=headers).status_code == 201
    assert [fresh(f).vote_count for f in (first, second)] == [0, 1]


def test_voting_on_a_really_processed_film(app, client, make_contest, make_user, clock, tmp_path):
    from clips import NOKIA_N8, make_clip

    from contest.jobs import thread_runner

    made = make_contest("real", min_height=120, max_size_mb=5)
    clip = make_clip(tmp_path / "n8.mp4", tags=NOKIA_N8)
    filmmaker = make_user()
    response = client.post("/api/v1/contests/real/films", headers=bearer(filmmaker),
                           data={"title": "Harbour", "file": (open(clip, "rb"), "n8.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    assert thread_runner(app).wait(120)
    film = _db.session.scalar(_db.select(Film))
    _db.session.refresh(film)
    assert film.status == "ready", film.error
    url = f"/api/v1/films/{film.public_id}/vote"
    assert client.put(url, headers=bearer(make_user())).status_code == 403  # not yet open
    clock.set(made.voting_open_at)
    assert client.put(url, headers=bearer(make_user())).get_json() == {"votes": 1, "voted": True}
    assert fresh(film).vote_count == 1 == rows()
