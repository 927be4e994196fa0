"""The gallery: orders, a fair daily shuffle, search, pages, hidden counts, leaderboard, API.

Films are built as rows (status "ready", keys of small stored files); one test uploads
and processes a real clip end to end.
"""
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from clips import NOKIA_N8, make_clip
from sqlalchemy import event, select

from contest.jobs import thread_runner
from contest.models import Film, Rendition, Vote
from contest.operations.gallery import MAX_PER_PAGE, gallery_page, leaderboard_page, shuffle_key
from contest.operations.users import issue_token
from contest.storage import get_storage

START = datetime(2027, 3, 1, 12, 0)
VOTING = START + timedelta(days=30)  # voting runs from day 28 to day 42
CLOSED = START + timedelta(days=43)
SPEC = yaml.safe_load((Path(__file__).parent.parent / "docs" / "openapi.yaml").read_text())
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


@pytest.fixture
def contest(clock, make_contest):
    clock.set(START)
    return make_contest("n8")


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ada Lovelace")


@pytest.fixture
def add_film(db, contest, filmmaker, clock):
    """add_film(title, votes=0, trend=0, age_h=0, **columns): a published film, made as a row."""
    made = []

    def add(title, votes=0, trend=0.0, age_h=None, owner=None, of=None, **columns):
        published = clock.now() - timedelta(hours=len(made) if age_h is None else age_h)
        film = Film(contest=of or contest, owner=owner or filmmaker, title=title,
                    status="ready", published_at=published, vote_count=votes,
                    trend_score=trend, duration_s=75.0, width=640, height=360,
                    poster_key=f"films/f{len(made)}/poster.jpg",
                    thumbnail_key=f"films/f{len(made)}/thumbnail.jpg",
                    hls_key=f"films/f{len(made)}/hls/master.m3u8", **columns)
        film.renditions = [Rendition(height=360, width=640, bytes=1000,
                                     key=f"films/f{len(made)}/360.mp4")]
        db.session.add(film)
        db.session.commit()
        made.append(film)
        return film

    return add


def titles(result):
    return [film.title for film in result.films]


def page_of(contest, **options):
    return gallery_page(contest, **{"sort": "top", **options})


def vote(db, user, *films):
    for film in films:
        db.session.add(Vote(user_id=user.id, film_id=film.id, contest_id=film.contest_id))
        film.vote_count += 1
    db.session.commit()


# --- orders ---------------------------------------------------------------------------------


def test_each_order_on_a_hand_made_set(contest, add_film, make_contest, clock, make_user):
    add_film("Old favourite", votes=9, trend=2.0, age_h=50)
    add_film("Rising", votes=3, trend=40.0, age_h=5)
    add_film("Newest", votes=0, trend=0.0, age_h=1)
    add_film("Middle", votes=5, trend=7.0, age_h=20)
    # Never shown: still processing, withdrawn, or in another contest.
    add_film("Processing", votes=99).status = "processing"
    add_film("Withdrawn", votes=99, withdrawn_at=clock.now())
    add_film("Elsewhere", votes=99, of=make_contest("other"))
    clock.set(CLOSED)

    assert titles(page_of(contest, sort="top")) == ["Old favourite", "Middle", "Rising", "Newest"]
    assert titles(page_of(contest, sort="new")) == ["Newest", "Rising", "Middle", "Old favourite"]
    assert titles(page_of(contest, sort="trending")) == [
        "Rising", "Middle", "Old favourite", "Newest"]
    assert page_of(contest, sort="shuffle", seed="x").total == 4


def test_top_breaks_ties_by_publication(contest, add_film, clock):
    add_film("Later", votes=2, age_h=1)
    add_film("Earlier", votes=2, age_h=10)
    add_film("Most", votes=3, age_h=0)
    assert titles(page_of(contest)) == ["Most", "Earlier", "Later"]


def test_an_unknown_order_or_page_is_refused(contest):
    from contest.errors import DomainError

    with pytest.raises(DomainError) as error:
        page_of(contest, sort="random")
    assert error.value.status == 400 and error.value.field == "sort"
    with pytest.raises(DomainError):
        page_of(contest, page=0)


# --- shuffle --------------------------------------------------------------------------------


def shuffled(contest, seed, per_page=50):
    return titles(gallery_page(contest, sort="shuffle", seed=seed, per_page=per_page))


def test_shuffle_is_stable_for_a_visitor_all_day_and_changes_the_next(
        contest, add_film, clock):
    for n in range(12):
        add_film(f"Film {n:02}")
    morning = shuffled(contest, "visitor-a")
    assert sorted(morning) == sorted(f"Film {n:02}" for n in range(12))
    assert morning != sorted(morning) and morning != sorted(morning, reverse=True)
    clock.advance(hours=11)  # 23:00 UTC, the same day
    assert shuffled(contest, "visitor-a") == morning
    assert shuffled(contest, "visitor-b") != morning
    clock.advance(hours=2)  # the next day
    assert shuffled(contest, "visitor-a") != morning


def test_shuffle_pages_show_every_film_exactly_once(contest, add_film):
    for n in range(13):
        add_film(f"Film {n:02}", votes=1)
    for sort in ("shuffle", "top"):  # top: every film tied, the id settles it
        seen = []
        for page in (1, 2, 3):
            result = gallery_page(contest, sort=sort, seed="v", page=page, per_page=5)
            assert result.pages == 3 and result.total == 13
            seen += titles(result)
        assert len(seen) == 13 and len(set(seen)) == 13


def test_shuffle_gives_every_entry_its_turn_at_the_top(db, contest, add_film):
    """Over many visitors, the first entry is no likelier to lead than the last."""
    films = [add_film(f"Film {n}") for n in range(10)]
    firsts = Counter()
    for visitor in range(300):
        stmt = (select(Film.id).where(Film.contest_id == contest.id)
                .order_by(shuffle_key(f"visitor-{visitor}"), Film.id).limit(1))
        firsts[db.session.scalar(stmt)] += 1
    # 30 expected each; a fixed or id-like order would give one film all 300.
    assert set(firsts) == {film.id for film in films}
    assert min(firsts.values()) >= 12 and max(firsts.values()) <= 55, firsts


# --- search ---------------------------------------------------------------------------------


def test_search_by_title_and_filmmaker_ignores_case(contest, add_film, make_user):
    bo = make_user(name="Bo Widerberg")
    add_film("Night Tram")
    add_film("Harbour at dawn", owner=bo)
    add_film("100% rain")
    add_film("Tramline", owner=bo)
    assert sorted(titles(page_of(contest, q="tram"))) == ["Night Tram", "Tramline"]
    assert sorted(titles(page_of(contest, q="  WIDERBERG "))) == ["Harbour at dawn", "Tramline"]
    assert sorted(titles(page_of(contest, q="lovelace"))) == ["100% rain", "Night Tram"]
    assert titles(page_of(contest, q="100%")) == ["100% rain"]
    assert titles(page_of(contest, q="%")) == ["100% rain"]  # a literal %, not a wildcard
    assert page_of(contest, q="nothing like it").total == 0


# --- a fixed number of queries --------------------------------------------------------------


@pytest.fixture
def count_queries(db):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    yield statements
    event.remove(db.engine, "before_cursor_execute", listener)


def test_a_page_costs_the_same_queries_whatever_its_size(
        db, app, contest, add_film, make_user, count_queries, client, clock):
    owners = [make_user() for _ in range(10)]
    films = [add_film(f"Film {n}", owner=owners[n % 10]) for n in range(60)]
    viewer = make_user()
    vote(db, viewer, *films[::3])
    token = issue_token(viewer)
    counts = {}
    for per_page in (5, 50):
        db.session.expire_all()  # nothing left in the session to hide a lazy load
        assert contest.slug and viewer.id  # reloaded before counting
        count_queries.clear()
        result = gallery_page(contest, sort="shuffle", seed="s", per_page=per_page,
                              viewer=viewer)
        _ = [(f.owner.display_name, [r.key for r in f.renditions]) for f in result.films]
        counts[per_page] = len(count_queries)
        assert len(result.films) == per_page
    assert result.voted == {film.id for film in films[::3]} & {f.id for f in result.films}
    # count, page with owners, renditions, the viewer's votes
    assert counts == {5: 4, 50: 4}

    api_counts = {}
    for per_page in (5, 50):
        clock.advance(seconds=1)  # the token's last use is written each time
        db.session.expire_all()
        count_queries.clear()
        response = client.get(f"/api/v1/contests/n8/films?per_page={per_page}",
                              headers={"Authorization": f"Bearer {token}"})
        assert len(response.get_json()["films"]) == per_page
        api_counts[per_page] = len(count_queries)
    assert api_counts[5] == api_counts[50]


# --- the web page ---------------------------------------------------------------------------


def test_gallery_page_shows_cards_tabs_search_and_pages(client, contest, add_film, clock):
    for n in range(30):
        add_film(f"Film {n:02}", votes=n)
    clock.set(VOTING)
    page = client.get("/contests/n8/films?sort=top").get_data(as_text=True)
    assert page.count('class="film-card"') == 24
    card = page[page.index('class="film-card"'):]
    card = card[:card.index("</li>")]
    assert 'loading="lazy"' in card and 'width="320" height="180"' in card
    assert re.search(r'srcset="[^"]*thumbnail\.jpg 320w, [^"]*poster\.jpg 640w"', card)
    assert "Film 29" in card and "by Ada Lovelace" in card and "29 votes" in card
    assert "1:15" in card  # duration
    for label in ("Top", "New", "Trending", "Shuffle"):
        assert f">{label}</a>" in page
    assert 'aria-current="page">Top</a>' in page
    assert 'type="search"' in page and 'name="q"' in page
    assert 'href="/contests/n8/films?sort=top&amp;page=2"' in page
    second = client.get("/contests/n8/films?sort=top&page=2").get_data(as_text=True)
    assert second.count('class="film-card"') == 6 and "Film 00" in second
    assert 'href="/contests/n8/films?sort=top"' in second  # page 1 has one address
    assert client.get("/contests/n8/films?sort=top&page=3").status_code == 404
    assert client.get("/contests/n8/films?page=two").status_code == 400
    assert client.get("/contests/n8/films?sort=best").status_code == 400
    assert client.get("/contests/nope/films").status_code == 404
    found = client.get("/contests/n8/films?q=film+07").get_data(as_text=True)
    assert found.count('class="film-card"') == 1 and "Film 07" in found


def test_shuffle_is_the_default_while_voting_and_stays_put_for_the_visitor(
        client, contest, add_film, clock):
    for n in range(30):
        add_film(f"Film {n:02}")
    clock.set(VOTING)
    first = client.get("/contests/n8/films").get_data(as_text=True)
    assert 'aria-current="page">Shuffle</a>' in first
    again = client.get("/contests/n8/films").get_data(as_text=True)
    cards = re.compile(r'class="film-card-title">([^<]+)<')
    assert cards.findall(first) == cards.findall(again)
    clock.set(CLOSED)
    assert 'aria-current="page">Top</a>' in client.get("/contests/n8/films").get_data(
        as_text=True)


def test_an_empty_gallery_says_so(client, contest):
    page = client.get("/contests/n8/films")
    assert page.status_code == 200 and "No films are published yet" in page.get_data(as_text=True)


def test_signed_in_viewer_sees_their_votes(db, client, login, make_user, contest, add_film):
    liked, other = add_film("Liked"), add_film("Other")
    viewer = login(client, make_user())
    vote(db, viewer, liked)
    page = client.get("/contests/n8/films?sort=new").get_data(as_text=True)
    assert page.count("✓ You voted") == 1
    assert page.index("Liked") < page.index("✓ You voted")
    assert other.title in page


# --- hidden counts and the leaderboard -------------------------------------------------------


def test_hidden_counts_stay_hidden_until_voting_closes(
        db, client, make_contest, clock, add_film, make_user):
    secret = make_contest("secret", hide_votes_until_close=True)
    add_film("Loved", votes=7, of=secret)
    add_film("Ignored", votes=1, of=secret)
    clock.set(VOTING)
    page = client.get("/contests/secret/films").get_data(as_text=True)
    assert "7 votes" not in page and "1 vote" not in page
    assert ">Top</a>" not in page and ">Trending</a>" not in page
    assert "Vote counts stay hidden" in page
    assert client.get("/contests/secret/films?sort=top").status_code == 400
    api = client.get("/api/v1/contests/secret/films").get_json()
    assert [film["votes"] for film in api["films"]] == [None, None]
    assert client.get("/api/v1/contests/secret/films?sort=trending").status_code == 400
    board = client.get("/contests/secret/leaderboard")
    assert board.status_code == 200
    assert "appears when voting closes" in board.get_data(as_text=True)
    assert "Loved" not in board.get_data(as_text=True)

    clock.set(CLOSED)
    page = client.get("/contests/secret/films").get_data(as_text=True)
    assert "7 votes" in page and "1 vote" in page and ">Top</a>" in page
    api = client.get("/api/v1/contests/secret/films").get_json()
    assert [film["votes"] for film in api["films"]] == [7, 1]


def test_leaderboard_ranks_films_after_voting_closes(client, contest, add_film, clock):
    add_film("Bronze", votes=1)
    add_film("Silver A", votes=2, age_h=30)
    add_film("Gold", votes=3)
    add_film("Silver B", votes=2, age_h=40)
    clock.set(VOTING)
    assert "Gold" not in client.get("/contests/n8/leaderboard").get_data(as_text=True)
    clock.set(CLOSED)
    page = client.get("/contests/n8/leaderboard").get_data(as_text=True)
    rows = re.findall(r'<td class="rank">(\d+)</td>\s*<td><a [^>]+>([^<]+)</a></td>\s*'
                      r'<td>([^<]+)</td>\s*<td class="num">(\d+)</td>', page)
    assert rows == [("1", "Gold", "Ada Lovelace", "3"), ("2", "Silver B", "Ada Lovelace", "2"),
                    ("2", "Silver A", "Ada Lovelace", "2"), ("4", "Bronze", "Ada Lovelace", "1")]
    # A tie across a page break keeps its shared rank.
    _result, ranked = leaderboard_page(contest, page=2, per_page=2)
    assert [(rank, film.title) for rank, film in ranked] == [(2, "Silver A"), (4, "Bronze")]


# --- the API --------------------------------------------------------------------------------


def test_api_lists_films_with_votes_and_my_votes(db, client, contest, add_film, make_user,
                                                 clock):
    films = [add_film(f"Film {n}", votes=n) for n in range(7)]
    viewer = make_user()
    vote(db, viewer, films[2])
    clock.set(CLOSED)
    body = client.get("/api/v1/contests/n8/films?sort=top&per_page=3&page=2").get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/GalleryPage",
                               "components": SPEC["components"]},
                        cls=jsonschema.Draft202012Validator)
    assert {"films", "page", "pages", "total"} <= set(body)
    assert (body["page"], body["pages"], body["total"], body["per_page"]) == (2, 3, 7, 3)
    film = body["films"][0]
    # Film 2 got a vote: 3 like Film 3, which was published first.
    assert [f["title"] for f in body["films"]] == ["Film 3", "Film 2", "Film 1"]
    assert film["votes"] == 3 and film["voted_by_me"] is False
    assert film["id"] == films[3].public_id and film["status"] == "ready"
    assert film["thumbnail_url"] and film["url"].endswith(f"/films/{films[3].public_id}")
    token = issue_token(viewer)
    mine = client.get("/api/v1/contests/n8/films?sort=top&per_page=100",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [f["title"] for f in mine["films"] if f["voted_by_me"]] == ["Film 2"]
    assert client.get("/api/v1/contests/n8/films?page=9").get_json()["films"] == []
    capped = client.get("/api/v1/contests/n8/films?per_page=5000").get_json()
    assert capped["per_page"] == MAX_PER_PAGE


@pytest.mark.parametrize("query, field", [
    ("sort=best", "sort"), ("page=0", "page"), ("page=x", "page"), ("per_page=-1", "per_page"),
    ("seed=" + "s" * 65, "seed"),
])
def test_api_refuses_bad_parameters(client, contest, query, field):
    response = client.get(f"/api/v1/contests/n8/films?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and error["field"] == field and error["message"]


def test_api_errors_for_unknown_contest_and_bad_token(client, contest):
    assert client.get("/api/v1/contests/nope/films").status_code == 404
    response = client.get("/api/v1/contests/n8/films", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "invalid_token" in response.headers["WWW-Authenticate"]


def test_api_shuffle_follows_the_seed(client, contest, add_film):
    for n in range(12):
        add_film(f"Film {n}")

    def order(seed):
        url = f"/api/v1/contests/n8/films?sort=shuffle&seed={seed}"
        return [film["id"] for film in client.get(url).get_json()["films"]]

    assert order("a") == order("a") != order("b")


# --- a really processed film ----------------------------------------------------------------


@pytest.mark.slow
def test_a_processed_film_appears_with_its_thumbnail(client, login, make_user, make_contest,
                                                     tmp_path):
    make_contest("real", min_height=120, max_size_mb=5)
    clip = make_clip(tmp_path / "n8.mp4", tags=NOKIA_N8)
    login(client, make_user(name="Real Filmmaker"))
    data = {"title": "Real one", "agree": "y", "file": (open(clip, "rb"), "n8.mp4")}
    assert client.post("/contests/real/enter", data=data,
                       content_type="multipart/form-data").status_code == 302
    assert thread_runner(client.application).wait(120), "the film was not processed in time"
    page = client.get("/contests/real/films?sort=new").get_data(as_text=True)
    assert "Real one" in page and "by Real Filmmaker" in page
    img = re.search(r'<img src="([^"]+)" srcset="([^"]+)"', page)
    for url in [img.group(1)] + [part.split()[0] for part in img.group(2).split(", ")]:
        image = client.get(url)
        assert image.status_code == 200 and image.data[:2] == b"\xff\xd8", url


def test_card_images_are_served_from_storage(client, contest, add_film, tmp_path):
    film = add_film("Stored")
    path = Path(tmp_path / "t.jpg")
    path.write_bytes(JPEG)
    get_storage().save(film.thumbnail_key, path, "image/jpeg", public=True)
    page = client.get("/contests/n8/films").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', page).group(1)
    assert client.get(src).data == JPEG


def test_anonymous_gallery_pages_are_reused_from_the_cache(app, client, db, make_contest,
                                                              make_user, login):
    """Anonymous visitors share a cached page; signed-in ones always get a fresh one."""
    from sqlalchemy import event

    app.config["GALLERY_CACHE_S"] = 60
    make_contest("cached")
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        first = client.get("/contests/cached/films?sort=new")
        queries_first = len(statements)
        statements.clear()
        second = client.get("/contests/cached/films?sort=new")
        queries_second = len(statements)
        film_queries = [s for s in statements if "FROM films" in s]
        member = app.test_client()
        login(member, make_user())
        statements.clear()
        member.get("/contests/cached/films?sort=new")
        queries_member = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert first.data == second.data
    assert queries_second < queries_first and film_queries == []
    assert queries_member >= queries_first


def test_anonymous_shuffle_needs_no_cookie_and_differs_between_visitors(
        app, contest, add_film, clock):
    for n in range(12):
        add_film(f"Film {n:02}")
    clock.set(VOTING)
    cards = re.compile(r'class="film-card-title">([^<]+)<')
    orders = set()
    for n in range(8):
        address = {"REMOTE_ADDR": f"198.51.100.{n}"}
        first = app.test_client().get("/contests/n8/films", environ_base=address)
        again = app.test_client().get("/contests/n8/films", environ_base=address)
        assert "Set-Cookie" not in first.headers
        assert cards.findall(first.get_data(as_text=True)) == cards.findall(
            again.get_data(as_text=True))
        orders.add(tuple(cards.findall(first.get_data(as_text=True))))
    assert len(orders) > 1
