"""Public profiles: name, bio, one nofollow link, published films with awards."""
import re
from datetime import timedelta

import pytest

from contest.errors import DomainError
from contest.extensions import db as _db
from contest.models import Award, Film
from contest.operations import profiles as ops


@pytest.fixture(autouse=True)
def _jobs_finish(app):
    """Comments queue emails: let them go out before the tables are emptied."""
    yield
    runner = app.extensions.get("job_runner")
    assert runner is None or runner.wait(30)


@pytest.fixture
def filmmaker(make_user):
    return make_user(name="Ana")


def make_film(contest, owner, title, status="ready", **extra):
    film = Film(contest=contest, owner=owner, title=title, status=status,
                published_at=contest.submissions_open_at if status == "ready" else None, **extra)
    _db.session.add(film)
    _db.session.commit()
    return film


def profile(client, user):
    response = client.get(f"/u/{user.public_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "ftp://example.com/", "example.com", "https://", "https://localhost/",
    "https://user:pass@example.com/", "https://exa mple.com/", "data:text/html,hi",
    "https://example.com/" + "x" * 300,
])
def test_only_real_web_addresses_are_accepted(url):
    with pytest.raises(DomainError) as refused:
        ops.clean_website(url)
    assert refused.value.field == "website"


def test_good_addresses_and_blank_are_kept():
    assert ops.clean_website(" https://example.com/me ") == "https://example.com/me"
    assert ops.clean_website("HTTP://Example.org") == "HTTP://Example.org"
    assert ops.clean_website("") is None


def test_the_profile_shows_name_bio_and_a_nofollow_link(client, filmmaker):
    ops.update_profile(filmmaker, display_name="Ana <b>K</b>", bio="Shoots <i>fog</i>.\nHelsinki",
                       website="https://example.com/ana?x=1&y=2")
    html = profile(client, filmmaker)
    assert "<h1>Ana &lt;b&gt;K&lt;/b&gt;</h1>" in html and "Shoots &lt;i&gt;fog&lt;/i&gt;." in html
    link = re.search(r'<a class="website"[^>]*>', html).group(0)
    assert 'href="https://example.com/ana?x=1&amp;y=2"' in link
    assert 'rel="nofollow ugc noopener"' in link


def test_the_profile_lists_published_films_across_contests(client, make_contest, filmmaker):
    first, second = make_contest(title="Shot on N8"), make_contest(title="Shot on 3310")
    make_film(first, filmmaker, "Harbour")
    make_film(second, filmmaker, "Snow")
    make_film(first, filmmaker, "Still processing", status="processing")
    make_film(first, filmmaker, "Hidden one", hidden_at=first.submissions_open_at)
    make_film(first, filmmaker, "Withdrawn one", withdrawn_at=first.submissions_open_at)
    make_film(first, filmmaker, "Disqualified", disqualified_at=first.submissions_open_at)
    html = profile(client, filmmaker)
    assert "Harbour" in html and "Snow" in html and "Shot on 3310" in html
    for private in ("Still processing", "Hidden one", "Withdrawn one", "Disqualified"):
        assert private not in html


def test_awards_are_shown_once_results_are_public(client, make_contest, filmmaker, clock):
    contest = make_contest()
    film = make_film(contest, filmmaker, "Harbour")
    _db.session.add(Award(contest_id=contest.id, name="Jury Prize", kind="jury", film_id=film.id,
                          position=0))
    contest.results_confirmed_at = contest.voting_close_at
    _db.session.commit()
    clock.set(contest.results_at - timedelta(hours=1))
    assert "Jury Prize" not in profile(client, filmmaker)
    clock.set(contest.results_at + timedelta(hours=1))
    assert 'class="badge award">Jury Prize<' in profile(client, filmmaker)


def test_unknown_and_suspended_accounts_have_no_profile(client, filmmaker, clock):
    assert client.get("/u/nobody").status_code == 404
    filmmaker.suspended_at = clock.now()
    _db.session.commit()
    assert client.get(f"/u/{filmmaker.public_id}").status_code == 404


def test_editing_your_profile(client, filmmaker, login):
    assert client.get("/settings/profile").status_code == 302  # sign in first
    login(client, filmmaker)
    assert 'value="Ana"' in client.get("/settings/profile").get_data(as_text=True)
    response = client.post("/settings/profile", data={
        "display_name": "Ana K", "bio": "Fog.", "website": "https://ana.example/"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/u/{filmmaker.public_id}")
    assert (filmmaker.display_name, filmmaker.bio, filmmaker.website) == (
        "Ana K", "Fog.", "https://ana.example/")


def test_a_bad_address_is_refused_on_the_form(client, filmmaker, login):
    login(client, filmmaker)
    response = client.post("/settings/profile", data={
        "display_name": "Ana K", "bio": "", "website": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "starting with https://" in response.get_data(as_text=True)
    _db.session.refresh(filmmaker)
    assert filmmaker.display_name == "Ana" and filmmaker.website is None


def test_the_profile_form_needs_csrf(app, base_config, filmmaker, login):
    from contest import create_app

    client = create_app({**base_config, "WTF_CSRF_ENABLED": True}).test_client()
    login(client, filmmaker)
    response = client.post("/settings/profile", data={"display_name": "Mallory", "bio": ""})
    assert response.status_code == 400
    _db.session.refresh(filmmaker)
    assert filmmaker.display_name == "Ana"


def test_comment_authors_link_to_their_profile(client, make_contest, filmmaker, make_user):
    from contest.operations.comments import add_comment

    film = make_film(make_contest(), filmmaker, "Harbour")
    fan = make_user(name="Fan")
    add_comment(film, fan, "Nice")
    html = client.get(f"/films/{film.public_id}/comments").get_data(as_text=True)
    assert f'href="/u/{fan.public_id}">Fan</a>' in html
