"""The shortlist, awards, publishing and the results: who may do what, and when it shows.

The contest's schedule (make_contest's default from START): voting from day 28 to day 42,
results time day 49.
"""
import re
from datetime import timedelta

import pytest
from flask import render_template_string
from test_api import conforms
from test_standings import (  # noqa: F401 (fixtures)
    START,
    add_film_fixture,
    contest_fixture,
    filmmaker_fixture,
    organizer_fixture,
    password_hash_fixture,
    person_fixture,
)

from contest import create_app
from contest.errors import DomainError
from contest.models import AuditEntry, Award, ShortlistEntry
from contest.operations import results as ops
from contest.operations.judging import assign_judges
from contest.operations.users import issue_token

VOTING = START + timedelta(days=30)
CLOSED = START + timedelta(days=43)
RESULTS = START + timedelta(days=49)
HTML_PAGES = ["/contests/n8/standings", "/contests/n8/standings.csv", "/contests/n8/shortlist",
              "/contests/n8/awards", "/contests/n8/audit"]
HTML_POSTS = ["/contests/n8/shortlist", "/contests/n8/awards", "/contests/n8/results/publish",
              "/contests/n8/results/retract"]
ROLES = ("organizer", "judge", "other_judge", "filmmaker", "member", "public")


@pytest.fixture
def cast(db, contest, organizer, filmmaker, person, add_film):
    """The people of a contest and three films: Aurora (9 votes), Bells (4), Coast (4)."""
    judge = person("Jules Judge")
    other = person("Otto Otherjudge")
    assign_judges(contest, [judge.email], organizer)
    films = {"A": add_film("Aurora", votes=9), "B": add_film("Bells", votes=4),
             "C": add_film("Coast", votes=4)}
    other.is_judge = True
    db.session.commit()
    return {"organizer": organizer, "judge": judge, "other_judge": other,
            "filmmaker": filmmaker, "member": person("Mia Member"), "public": None,
            "films": films, "contest": contest}


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user)}"} if user is not None else {}


def ids(cast, *keys):
    return [cast["films"][key].public_id for key in keys]


def decided(cast, clock):
    """Shortlist A, B; Jury Prize to B, Audience Award from the votes; published after voting."""
    contest, organizer = cast["contest"], cast["organizer"]
    ops.confirm_shortlist(contest, organizer, ids(cast, "B", "A"))
    ops.save_awards(contest, organizer, [
        {"name": "Jury Prize", "kind": "jury", "film": cast["films"]["B"].public_id},
        {"name": "Audience Award", "kind": "audience"},
        {"name": "Best use of the phone", "kind": "custom",
         "film": cast["films"]["C"].public_id}])
    clock.set(CLOSED)
    ops.publish_results(contest, organizer)
    return contest


def visible_titles(html):
    return {title for title in ("Aurora", "Bells", "Coast", "Jury Prize") if title in html}


# --- the access matrix ------------------------------------------------------------------------
# One test per route, every role inside it on a client of its own: the cast is built once.


def clients(app, login, cast, roles=ROLES):
    """(role, a client signed in as that role, its API headers) for each role."""
    for role in roles:
        client = app.test_client()
        if cast[role] is not None:
            login(client, cast[role])
        yield role, client, bearer(cast[role])


@pytest.mark.parametrize("path", HTML_PAGES)
def test_organizer_pages_are_for_organizers_only(app, login, cast, path):
    for role, client, _ in clients(app, login, cast):
        response = client.get(path)
        expected = {"organizer": 200, "public": 302}.get(role, 403)
        assert response.status_code == expected, (role, path)
        if role == "public":
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", HTML_POSTS)
def test_organizer_forms_refuse_everyone_else(app, login, cast, db, path):
    for role, client, _ in clients(app, login, cast, ROLES[1:]):
        response = client.post(path, data={
            "rows-0-film": cast["films"]["A"].public_id, "rows-0-include": "y"})
        assert response.status_code == (302 if role == "public" else 403), role
    assert db.session.scalar(db.select(db.func.count(ShortlistEntry.id))) == 0
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.action != "panel.set")) == 0


API_ROUTES = [("get", "/api/v1/contests/n8/standings", None),
              ("put", "/api/v1/contests/n8/shortlist", {"films": []}),
              ("put", "/api/v1/contests/n8/awards", {"publish": True})]


@pytest.mark.parametrize("method, path, body", API_ROUTES)
def test_organizer_api_routes_are_for_organizers_only(app, login, cast, method, path, body):
    for role, client, headers in clients(app, login, cast):  # a session cookie never counts
        response = getattr(client, method)(path, json=body, headers=headers)
        if role == "organizer":
            assert response.status_code in (200, 409, 422)  # allowed; the rules may refuse
        else:
            assert response.status_code == (401 if role == "public" else 403), role
            assert conforms(response.get_json(), "Error")


def test_results_stay_hidden_from_everyone_but_organizers_until_public(app, login, cast, clock):
    contest = decided(cast, clock)  # published at day 43, public from day 49
    every = {"Aurora", "Bells", "Coast", "Jury Prize"}
    for role, client, headers in clients(app, login, cast):
        page = client.get("/contests/n8/results")
        html = page.get_data(as_text=True)
        api = client.get("/api/v1/contests/n8/results", headers=headers)
        if role == "organizer":
            assert page.status_code == 200 and "Preview for organizers" in html
            assert visible_titles(html) == every
            assert api.status_code == 200 and api.get_json()["public"] is False
            continue
        assert page.status_code == 200 and visible_titles(html) == set(), role
        assert "announced on" in html and "19 Apr 2027, 12:00 UTC" in html  # day 49
        assert api.status_code == 403
        assert "2027-04-19T12:00:00Z" in api.get_json()["error"]["message"]
    film = cast["films"]["B"]
    assert ops.awards_for_film(film) == [] and not ops.is_shortlisted(film)
    clock.set(RESULTS)
    assert ops.results_public(contest)
    for role, client, headers in clients(app, login, cast):
        assert visible_titles(client.get("/contests/n8/results").get_data(as_text=True)) == every
        api = client.get("/api/v1/contests/n8/results", headers=headers)
        assert api.status_code == 200 and api.get_json()["public"] is True, role


@pytest.mark.parametrize("confirmed, at, public", [
    (False, RESULTS + timedelta(days=1), False),  # the time has come, nothing published
    (True, RESULTS - timedelta(minutes=1), False),  # published, a minute early
    (True, RESULTS, True),
])
def test_results_need_both_the_time_and_the_confirmation(client, cast, clock, confirmed, at,
                                                         public):
    contest = cast["contest"]
    if confirmed:
        decided(cast, clock)
    else:
        ops.confirm_shortlist(contest, cast["organizer"], ids(cast, "A"))
    clock.set(at)
    assert ops.results_public(contest) is public
    response = client.get("/api/v1/contests/n8/results")
    html = client.get("/contests/n8/results").get_data(as_text=True)
    if public:
        assert response.status_code == 200
        assert visible_titles(html) >= {"Bells", "Jury Prize"}
    else:
        assert response.status_code == 403
        assert visible_titles(html) == set()
        message = response.get_json()["error"]["message"]
        assert "2027-04-19T12:00:00Z" in message
        assert ("not published yet" in message) is (not confirmed)
        assert ("soon" in html) is (not confirmed)


# --- shortlist and awards through the organizer's pages -------------------------------------


def test_an_organizer_runs_the_round_on_the_pages(app, client, login, cast, clock, db):
    login(client, cast["organizer"])
    a, b, c = ids(cast, "A", "B", "C")
    page = client.get("/contests/n8/shortlist").get_data(as_text=True)
    assert "Not confirmed yet" in page and all(t in page for t in ("Aurora", "Bells", "Coast"))
    rows = re.findall(r'name="(rows-\d+-film)"[^>]*value="([^"]+)"', page)
    assert sorted(v for _, v in rows) == sorted([a, b, c])
    form = {}
    for name, value in rows:
        prefix = name[:-len("film")]
        form[name] = value
        if value in (a, b):
            form[prefix + "include"] = "y"
            form[prefix + "position"] = "1" if value == b else "2"
    response = client.post("/contests/n8/shortlist", data=form, follow_redirects=True)
    assert "The shortlist is confirmed." in response.get_data(as_text=True)
    assert [f.title for f in ops.shortlist(cast["contest"])] == ["Bells", "Aurora"]

    page = client.get("/contests/n8/awards").get_data(as_text=True)
    assert "Jury Prize" in page and "Audience Award" in page and "Leading now" in page
    response = client.post("/contests/n8/awards", data={
        "awards-0-award": "Jury Prize", "awards-0-kind": "jury", "awards-0-film": b,
        "awards-1-award": "Audience Award", "awards-1-kind": "audience", "awards-1-film": "",
        "awards-2-award": "Best use of the phone", "awards-2-kind": "custom",
        "awards-2-film": c}, follow_redirects=True)
    assert "The awards are saved." in response.get_data(as_text=True)
    response = client.post("/contests/n8/results/publish", follow_redirects=True)
    assert "Voting is still open" in response.get_data(as_text=True)
    clock.set(CLOSED)
    response = client.post("/contests/n8/results/publish", follow_redirects=True)
    assert "The results are published." in response.get_data(as_text=True)
    assert "opens to everyone on" in response.get_data(as_text=True)

    clock.set(RESULTS)
    html = app.test_client().get("/contests/n8/results").get_data(as_text=True)  # the public
    assert "Preview" not in html and "Awards &amp; publishing" not in html
    winners = html[html.index("Winners"):html.index("The shortlist")]
    assert winners.index("Jury Prize") < winners.index("Bells") < winners.index("Audience Award")
    assert winners.index("Audience Award") < winners.index("Aurora") < winners.index("Coast")
    assert f'href="/films/{b}"' in winners and "poster.jpg" in winners
    shortlisted = html[html.index("The shortlist"):]
    assert shortlisted.index("Bells") < shortlisted.index("Aurora") and "Coast" not in shortlisted


def test_the_forms_need_their_csrf_token(base_config, cast, login):
    strict = create_app({**base_config, "WTF_CSRF_ENABLED": True})
    client = strict.test_client()
    login(client, cast["organizer"])
    film = cast["films"]["A"].public_id
    for path in HTML_POSTS:
        assert client.post(path, data={"rows-0-film": film, "rows-0-include": "y"}
                           ).status_code == 400, path
    assert cast["contest"].shortlist_confirmed_at is None


# --- the rules --------------------------------------------------------------------------------


def refused(call, status):
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.status == status, error.value.message
    return error.value.message


def test_the_rules_of_shortlist_awards_and_publishing(db, cast, clock, person):
    contest, org, films = cast["contest"], cast["organizer"], cast["films"]
    a, b, c = ids(cast, "A", "B", "C")
    jury_c = [{"name": "Jury Prize", "kind": "jury", "film": c}]
    assert "Confirm the shortlist" in refused(lambda: ops.save_awards(contest, org, jury_c), 409)
    assert "twice" in refused(lambda: ops.confirm_shortlist(contest, org, [a, a]), 422)
    assert "at least one" in refused(lambda: ops.confirm_shortlist(contest, org, []), 422)
    assert "nope" in refused(lambda: ops.confirm_shortlist(contest, org, [a, "nope"]), 422)
    films["C"].withdrawn_at = clock.now()
    db.session.commit()
    assert c in refused(lambda: ops.confirm_shortlist(contest, org, [a, c]), 422)
    films["C"].withdrawn_at = None
    db.session.commit()
    ops.confirm_shortlist(contest, org, [a, b])
    assert "not on it" in refused(lambda: ops.save_awards(contest, org, jury_c), 422)
    two = [{"name": "Jury Prize", "kind": "jury"}, {"name": "jury prize", "kind": "custom"}]
    assert "same name" in refused(lambda: ops.save_awards(contest, org, two), 422)
    crowd = [{"name": "One", "kind": "audience"}, {"name": "Two", "kind": "audience"}]
    assert "one audience award" in refused(lambda: ops.save_awards(contest, org, crowd), 422)
    assert "kind" in refused(lambda: ops.save_awards(contest, org, [{"name": "X",
                                                                     "kind": "best"}]), 422)
    # A jury award without a winner may be saved, not published; nothing changes on refusal.
    ops.save_awards(contest, org, [{"name": "Jury Prize", "kind": "jury"},
                                   {"name": "Audience Award", "kind": "audience"}])
    clock.set(CLOSED)
    films["A"].vote_count = 1  # the audience winner would change when publishing...
    films["B"].vote_count = 20
    db.session.commit()
    assert "Pick a winner for Jury Prize" in refused(lambda: ops.publish_results(contest, org),
                                                     409)
    assert contest.results_confirmed_at is None  # ...but the refusal rolled everything back
    audience = db.session.scalar(db.select(Award).filter_by(kind="audience"))
    assert audience.film.title == "Aurora"
    ops.save_awards(contest, org, [{"name": "Jury Prize", "kind": "jury", "film": a},
                                   {"name": "Audience Award", "kind": "audience"}])
    ops.publish_results(contest, org)
    assert "take them back" in refused(lambda: ops.confirm_shortlist(contest, org, [b]), 409)
    assert "take them back" in refused(lambda: ops.save_awards(contest, org, []), 409)
    ops.retract_results(contest, org)
    assert contest.results_confirmed_at is None
    assert "not published" in refused(lambda: ops.retract_results(contest, org), 409)
    # A jury winner dropped from the shortlist blocks publishing until it is fixed.
    ops.confirm_shortlist(contest, org, [b])
    assert "no longer on the shortlist" in refused(lambda: ops.publish_results(contest, org),
                                                   409)


def test_the_audience_award_goes_to_the_most_votes_earliest_published_on_a_tie(
        db, cast, clock, add_film):
    contest, films = cast["contest"], cast["films"]
    # Bells and Coast both have 4; Bells was published first (add_film publishes in order).
    assert films["B"].published_at < films["C"].published_at
    films["A"].vote_count = 4
    db.session.commit()
    # Now all three tie at 4: Aurora, published first of all, wins.
    assert ops.audience_winner(contest).title == "Aurora"
    films["A"].withdrawn_at = clock.now()  # a withdrawn film takes no award
    db.session.commit()
    assert ops.audience_winner(contest).title == "Bells"
    films["C"].vote_count = 5
    db.session.commit()
    assert ops.audience_winner(contest).title == "Coast"
    for film in films.values():
        film.vote_count = 0
    db.session.commit()
    assert ops.audience_winner(contest) is None


def test_an_audience_award_without_votes_is_published_as_not_awarded(db, cast, clock):
    contest, org = cast["contest"], cast["organizer"]
    for film in cast["films"].values():
        film.vote_count = 0
    db.session.commit()
    ops.confirm_shortlist(contest, org, ids(cast, "A"))
    ops.save_awards(contest, org, [{"name": "Audience Award", "kind": "audience"}])
    clock.set(RESULTS)
    ops.publish_results(contest, org)
    shown = ops.results(contest)
    assert shown.public and [(a.name, a.film) for a in shown.awards] == [("Audience Award", None)]


# --- the audit log ----------------------------------------------------------------------------


def entries(db, action=None):
    stmt = db.select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


def test_every_change_is_in_the_audit_log(client, login, db, cast, clock):
    contest, org = cast["contest"], cast["organizer"]
    a, b, c = ids(cast, "A", "B", "C")
    ops.confirm_shortlist(contest, org, [a, b])
    clock.advance(minutes=1)
    ops.confirm_shortlist(contest, org, [b, a])
    first, second = entries(db, "shortlist.confirm")
    assert first.before == {"films": [], "confirmed_at": None}
    assert first.after["films"] == [{"id": a, "title": "Aurora"}, {"id": b, "title": "Bells"}]
    assert second.before["films"] == first.after["films"]
    assert second.after["films"] == [{"id": b, "title": "Bells"}, {"id": a, "title": "Aurora"}]
    assert second.actor_id == org.id and second.at == clock.now()

    ops.save_awards(contest, org, [{"name": "Jury Prize", "kind": "jury", "film": a},
                                   {"name": "Special mention", "kind": "custom", "film": c}])
    ops.save_awards(contest, org, [{"name": "Jury Prize", "kind": "jury", "film": b},
                                   {"name": "Audience Award", "kind": "audience"}])
    changes = [(e.action, e.subject, e.before and e.before["film"], e.after and e.after["film"])
               for e in entries(db) if e.action.startswith("award.")]
    assert changes == [
        ("award.add", "Jury Prize", None, a),
        ("award.add", "Special mention", None, c),
        ("award.remove", "Special mention", c, None),
        ("award.set", "Jury Prize", a, b),
        ("award.add", "Audience Award", None, a),  # 9 votes: Aurora
    ]
    ops.save_awards(contest, org, [{"name": "Jury Prize", "kind": "jury", "film": b},
                                   {"name": "Audience Award", "kind": "audience"}])
    assert len([e for e in entries(db) if e.action.startswith("award.")]) == 5  # no change
    clock.set(CLOSED)
    ops.publish_results(contest, org)
    ops.retract_results(contest, org)
    published, retracted = entries(db, "results.publish")[0], entries(db, "results.retract")[0]
    assert published.after == {"published": True, "public_at": "2027-04-19T12:00:00Z"}
    assert retracted.before == published.after and retracted.after == {"published": False}

    login(client, org)
    page = client.get("/contests/n8/audit").get_data(as_text=True)
    for text in ("shortlist.confirm", "award.set", "results.retract", "Olga Organizer",
                 "Special mention", '<dt>film_title</dt><dd>"Bells"</dd>'):
        assert text in page, text
    assert page.index("results.retract") < page.index("shortlist.confirm")  # newest first


# --- the API ----------------------------------------------------------------------------------


def test_the_api_runs_the_round(client, cast, clock):
    headers = bearer(cast["organizer"])
    a, b, c = ids(cast, "A", "B", "C")
    response = client.put("/api/v1/contests/n8/shortlist", json={"films": [b, a]},
                          headers=headers)
    assert response.status_code == 200
    body = conforms(response.get_json(), "Results")
    assert [f["id"] for f in body["shortlist"]] == [b, a]
    assert body["shortlist_confirmed_at"] and body["published"] is False
    assert body["awards"] == []

    response = client.put("/api/v1/contests/n8/awards", headers=headers, json={
        "awards": [{"name": "Jury Prize", "kind": "jury", "film": b},
                   {"name": "Audience Award", "kind": "audience", "film": c}],  # film ignored
        "publish": True})
    assert response.status_code == 409  # voting is still open: nothing was saved
    assert ops.awards(cast["contest"])[0].saved is False
    clock.set(CLOSED)
    response = client.put("/api/v1/contests/n8/awards", headers=headers, json={
        "awards": [{"name": "Jury Prize", "kind": "jury", "film": b},
                   {"name": "Audience Award", "kind": "audience", "film": c}],
        "publish": True})
    body = conforms(response.get_json(), "Results")
    assert response.status_code == 200 and body["published"] and not body["public"]
    assert body["public_at"] == "2027-04-19T12:00:00Z"
    assert [(x["name"], x["kind"], x["film"]["title"]) for x in body["awards"]] == [
        ("Jury Prize", "jury", "Bells"), ("Audience Award", "audience", "Aurora")]
    assert body["awards"][0]["film"]["poster_url"].endswith("poster.jpg")

    clock.set(RESULTS)
    public = client.get("/api/v1/contests/n8/results")
    assert public.status_code == 200
    assert conforms(public.get_json(), "Results")["public"] is True

    again = client.put("/api/v1/contests/n8/awards", headers=headers, json={"publish": True})
    assert again.status_code == 200  # already published: nothing to do
    back = client.put("/api/v1/contests/n8/awards", headers=headers, json={
        "publish": False, "awards": [{"name": "Jury Prize", "kind": "jury", "film": a}]})
    assert back.status_code == 200
    assert back.get_json()["published"] is False
    assert client.get("/api/v1/contests/n8/results").status_code == 403


@pytest.mark.parametrize("path, body", [
    ("shortlist", {}),
    ("shortlist", {"films": "abc"}),
    ("shortlist", {"films": [1, 2]}),
    ("awards", {}),
    ("awards", {"publish": "yes"}),
    ("awards", {"awards": {"name": "x"}}),
    ("awards", {"awards": [{"name": "x", "film": 3}]}),
])
def test_the_api_refuses_bad_shapes(client, cast, path, body):
    ops.confirm_shortlist(cast["contest"], cast["organizer"], ids(cast, "A"))
    response = client.put(f"/api/v1/contests/n8/{path}", json=body,
                          headers=bearer(cast["organizer"]))
    assert response.status_code == 400
    assert conforms(response.get_json(), "Error")


def test_unknown_contests_are_404_everywhere(client, login, cast):
    login(client, cast["organizer"])
    for path in ("/contests/nope/standings", "/contests/nope/results", "/contests/nope/audit"):
        assert client.get(path).status_code == 404
    assert client.get("/api/v1/contests/nope/results").status_code == 404


# --- badges -----------------------------------------------------------------------------------


def badges(film):
    return render_template_string('{% include "results/_badges.html" %}', film=film)


def test_badges_show_once_the_results_are_public(app, db, cast, clock):
    films = cast["films"]
    with app.test_request_context():
        decided(cast, clock)
        assert badges(films["B"]).strip() == ""
        clock.set(RESULTS)
        jury = badges(films["B"])
        assert "Jury Prize" in jury and 'href="/contests/n8/results"' in jury
        assert [a.name for a in ops.awards_for_film(films["A"])] == ["Audience Award"]
        assert "Best use of the phone" in badges(films["C"])
        assert "Shortlisted" not in badges(films["C"])
        ops.retract_results(cast["contest"], cast["organizer"])
        ops.confirm_shortlist(cast["contest"], cast["organizer"], ids(cast, "A", "C"))
        ops.save_awards(cast["contest"], cast["organizer"], [
            {"name": "Audience Award", "kind": "audience"}])
        ops.publish_results(cast["contest"], cast["organizer"])
        assert "Shortlisted" in badges(films["C"]) and "Jury Prize" not in badges(films["B"])
        films["A"].withdrawn_at = clock.now()
        db.session.commit()
        assert badges(films["A"]).strip() == ""
