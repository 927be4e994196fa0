"""The judging API: panel, rubric, the queue, scores, nominations, conflicts; access; blind mode."""
# ruff: noqa: F811 (the fixtures come from test_judging)
import pytest
from test_api import conforms, error_of
from test_judging import (  # noqa: F401 (fixtures)
    EMAIL,
    FILE,
    LEAKS,
    NAME,
    add_film,
    contest,
    filmmaker,
    films,
    judge,
    make_user,
    organizer,
    other_contest,
    outsider_judge,
)

from contest.models import AuditEntry
from contest.operations import judging as ops
from contest.operations.users import issue_token


def auth(user):
    return {"Authorization": f"Bearer {issue_token(user)}"} if user else {}


@pytest.fixture
def as_(judge, outsider_judge, filmmaker, organizer):
    """Headers per role."""
    return {"judge": auth(judge), "outsider": auth(outsider_judge),
            "filmmaker": auth(filmmaker), "organizer": auth(organizer), "public": {}}


CRITERIA = [{"name": "Story", "description": "", "weight": 2, "min": 1, "max": 5}]


def routes(film):
    return {
        "get_judges": ("GET", "/api/v1/contests/n8/judges", None),
        "put_judges": ("PUT", "/api/v1/contests/n8/judges", {"judges": ["judge@example.com"]}),
        "get_rubric": ("GET", "/api/v1/contests/n8/rubric", None),
        "put_rubric": ("PUT", "/api/v1/contests/n8/rubric", {"criteria": CRITERIA}),
        "queue": ("GET", "/api/v1/judging/n8/films", None),
        "score": ("PUT", f"/api/v1/films/{film.public_id}/score", {"scores": {"Story": 4}}),
        "nominate": ("PUT", f"/api/v1/films/{film.public_id}/nomination", None),
        "unnominate": ("DELETE", f"/api/v1/films/{film.public_id}/nomination", None),
        "conflict": ("PUT", f"/api/v1/films/{film.public_id}/conflict", None),
    }


# Status per route for: judge of this contest, judge of another contest, the filmmaker,
# an organizer (not on the panel), the public (no token).
MATRIX = {
    "get_judges": (403, 403, 403, 200, 401),
    "put_judges": (403, 403, 403, 200, 401),
    "get_rubric": (200, 403, 403, 200, 401),
    "put_rubric": (403, 403, 403, 200, 401),
    "queue": (200, 403, 403, 200, 401),
    "score": (200, 403, 403, 403, 401),
    "nominate": (200, 403, 403, 403, 401),
    "unnominate": (200, 403, 403, 403, 401),
    "conflict": (200, 403, 403, 403, 401),
}


@pytest.mark.parametrize("route", MATRIX)
def test_access_matrix_of_the_api(client, as_, films, route):
    method, url, body = routes(films[0])[route]
    for who, expected in zip(("judge", "outsider", "filmmaker", "organizer", "public"),
                             MATRIX[route], strict=True):
        response = client.open(url, method=method, json=body, headers=as_[who])
        if expected == 200:
            assert response.status_code == 200, (route, who, response.get_data(as_text=True))
        else:
            error_of(response, expected)


def test_film_routes_answer_404_for_films_not_being_judged(client, as_, add_film, clock,
                                                           other_contest, judge):
    gone = add_film("Gone", withdrawn_at=clock.now())
    for url in (f"/api/v1/films/{gone.public_id}/score", "/api/v1/films/nope/score"):
        error_of(client.put(url, json={"scores": {}}, headers=as_["judge"]), 404)
        error_of(client.put(url, json={"scores": {}}, headers=as_["outsider"]), 404)
    own = add_film("Mine", owner=judge)
    error_of(client.put(f"/api/v1/films/{own.public_id}/nomination", headers=as_["judge"]), 403)
    elsewhere = add_film("Elsewhere", of=other_contest)
    error_of(client.put(f"/api/v1/films/{elsewhere.public_id}/nomination",
                        headers=as_["judge"]), 403)
    error_of(client.get("/api/v1/judging/nope/films", headers=as_["judge"]), 404)


def test_panel_round_trip_and_unknown_emails(client, as_, contest, judge, make_user):
    make_user("ana@example.com", name="Ana")
    put = client.put("/api/v1/contests/n8/judges", headers=as_["organizer"],
                     json={"judges": ["ana@example.com", "judge@example.com"]})
    body = conforms(put.get_json(), "Judges")
    assert [j["email"] for j in body["judges"]] == ["ana@example.com", "judge@example.com"]
    assert set(body["judges"][0]) == {"id", "email", "display_name"}
    message = error_of(client.put("/api/v1/contests/n8/judges", headers=as_["organizer"],
                                  json={"judges": ["ghost@example.com", "ana@example.com"]}),
                       422)
    assert "ghost@example.com" in message and "ana@example.com" not in message
    got = client.get("/api/v1/contests/n8/judges", headers=as_["organizer"]).get_json()
    assert got == body
    error_of(client.put("/api/v1/contests/n8/judges", headers=as_["organizer"],
                        json={"judges": "ana@example.com"}), 400)


def test_rubric_round_trip_and_validation(client, as_, contest, films, judge):
    got = conforms(client.get("/api/v1/contests/n8/rubric", headers=as_["judge"]).get_json(),
                   "Rubric")
    assert [c["name"] for c in got["criteria"]] == ["Story", "Craft", "Use of the phone",
                                                   "Originality"]
    put = client.put("/api/v1/contests/n8/rubric", headers=as_["organizer"],
                     json={"criteria": CRITERIA})
    assert conforms(put.get_json(), "Rubric") == {"criteria": [{**CRITERIA[0], "weight": 2.0}]}
    for bad in ([{**CRITERIA[0], "min": 5}], [CRITERIA[0], CRITERIA[0]], [{"name": ""}]):
        error_of(client.put("/api/v1/contests/n8/rubric", headers=as_["organizer"],
                            json={"criteria": bad}), 422)
    error_of(client.put("/api/v1/contests/n8/rubric", headers=as_["organizer"], json={}), 400)
    client.put(f"/api/v1/films/{films[0].public_id}/score", headers=as_["judge"],
               json={"scores": {"Story": 3}})
    error_of(client.put("/api/v1/contests/n8/rubric", headers=as_["organizer"],
                        json={"criteria": [{**CRITERIA[0], "name": "Plot"}]}), 409, "conflict")


def test_queue_scores_nominations_and_conflicts(client, as_, contest, films, judge):
    url = "/api/v1/judging/n8/films"
    queue = conforms(client.get(url, headers=as_["judge"]).get_json(), "JudgingQueue")
    assert queue["progress"] == {"scored": 0, "total": 3} and queue["on_panel"]
    film_id = queue["films"][0]["id"]
    score_url = f"/api/v1/films/{film_id}/score"
    full = {"Story": 8, "Craft": 7, "Use of the phone": 6, "Originality": 9}
    saved = client.put(score_url, headers=as_["judge"], json={"scores": full, "note": "Bold."})
    review = conforms(saved.get_json(), "Review")
    assert review == {"scores": full, "complete": True, "note": "Bold.", "nominated": False,
                      "conflict": False}
    for bad, status in [({"scores": {"Story": 11}}, 422), ({"scores": {"Plot": 1}}, 422),
                        ({"scores": {"Story": 2.5}}, 422), ({"note": "x"}, 400),
                        ({"scores": {}, "note": 5}, 400)]:
        error_of(client.put(score_url, headers=as_["judge"], json=bad), status)
    nominated = client.put(f"/api/v1/films/{film_id}/nomination", headers=as_["judge"])
    assert nominated.get_json()["nominated"] is True
    queue = client.get(url, headers=as_["judge"]).get_json()
    assert queue["progress"] == {"scored": 1, "total": 3}
    assert queue["films"][0]["my_review"] == {**review, "nominated": True}

    conflict = client.put(f"/api/v1/films/{film_id}/conflict", headers=as_["judge"])
    assert conforms(conflict.get_json(), "Review") == {
        "scores": {}, "complete": False, "note": "Bold.", "nominated": False, "conflict": True}
    queue = client.get(url, headers=as_["judge"]).get_json()
    assert film_id not in [f["id"] for f in queue["films"]] and queue["progress"]["total"] == 2
    error_of(client.put(score_url, headers=as_["judge"], json={"scores": full}), 403,
             "conflict_declared")
    back = client.put(f"/api/v1/films/{film_id}/conflict", headers=as_["judge"],
                      json={"conflict": False})
    assert back.get_json()["conflict"] is False
    error_of(client.put(f"/api/v1/films/{film_id}/conflict", headers=as_["judge"],
                        json={"conflict": "no"}), 400)
    actions = [e.action for e in AuditEntry.query.order_by(AuditEntry.id)]
    assert actions[-4:] == ["score.set", "nomination.set", "conflict.set", "conflict.set"]


def test_judges_only_see_their_own_reviews(client, as_, contest, films, judge, make_user,
                                           organizer):
    second = make_user("second@example.com", name="Second")
    ops.assign_judges(contest, [judge.email, second.email], organizer)
    ops.score_film(films[0], second, {"Story": 2}, note="Private to judge two")
    body = client.get("/api/v1/judging/n8/films", headers=as_["judge"]).get_data(as_text=True)
    assert "Private to judge two" not in body
    mine = client.get("/api/v1/judging/n8/films", headers=auth(second)).get_data(as_text=True)
    assert "Private to judge two" in mine
    as_organizer = client.get("/api/v1/judging/n8/films", headers=as_["organizer"]).get_json()
    assert not as_organizer["on_panel"]
    assert all(f["my_review"] is None for f in as_organizer["films"])


def test_scoring_closes_when_the_results_are_confirmed(client, as_, contest, films, db, clock):
    contest.results_confirmed_at = clock.now()
    db.session.commit()
    error_of(client.put(f"/api/v1/films/{films[0].public_id}/score", headers=as_["judge"],
                        json={"scores": {"Story": 5}}), 403, "judging_closed")
    queue = client.get("/api/v1/judging/n8/films", headers=as_["judge"]).get_json()
    assert queue["scoring_open"] is False


def test_blind_json_names_nobody(client, as_, contest, films, db, judge):
    url = "/api/v1/judging/n8/films"
    shown = client.get(url, headers=as_["judge"]).get_json()["films"][0]
    assert shown["filmmaker"]["display_name"] == NAME and shown["original_name"] == FILE
    contest.blind_judging = True
    db.session.commit()
    response = client.get(url, headers=as_["judge"])
    body = conforms(response.get_json(), "JudgingQueue")
    film_id = body["films"][0]["id"]
    score = client.put(f"/api/v1/films/{film_id}/score", headers=as_["judge"],
                       json={"scores": {"Story": 5}})
    text = response.get_data(as_text=True) + score.get_data(as_text=True)
    assert body["blind"] is True and body["films"][0]["filmmaker"] is None
    assert body["films"][0]["description"] is None
    assert [leak for leak in LEAKS if leak.lower() in text.lower()] == []
    assert EMAIL not in text and films[0].owner.public_id not in text
