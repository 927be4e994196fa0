"""JSON API v1: tokens, sign-up, contests, errors, and the OpenAPI spec that describes them."""
import re
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import PASSWORD

from contest import create_app
from contest.models import ApiToken, Contest, User
from contest.operations.users import issue_token

SPEC = yaml.safe_load((Path(__file__).parent.parent / "docs" / "openapi.yaml").read_text())
SCHEDULE = {
    "submissions_open_at": "2027-03-01T00:00:00Z",
    "submissions_close_at": "2027-03-10T00:00:00Z",
    "voting_open_at": "2027-03-12T00:00:00Z",
    "voting_close_at": "2027-03-20T00:00:00Z",
    "results_at": "2027-03-25T00:00:00Z",
}
CONTEST_FIELDS = {
    "slug", "title", "tagline", "rules", "prizes", "phase", "accepting_entries", "voting_open",
    "accepted_phones", "device_policy", "max_duration_s", "max_size_mb", "min_height",
    "max_entries_per_filmmaker", "votes_per_account", "voting_requires_verified_email",
    "hide_votes_until_close", "blind_judging", "blind_show_descriptions", *SCHEDULE, "url",
}


def conforms(body, schema_name):
    """Check a response body against a schema of docs/openapi.yaml (JSON Schema 2020-12)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    return body


def error_of(response, status, code=None):
    """Assert a JSON error of this status; return its message."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = conforms(response.get_json(), "Error")
    if code:
        assert body["error"]["code"] == code
    return body["error"]["message"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, user, password=PASSWORD):
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": password})
    assert response.status_code == 201, response.get_data(as_text=True)
    return conforms(response.get_json(), "Token")["token"]


@pytest.fixture
def organizer(make_user):
    """Headers of an organizer's token (issued directly: sign-in is tested on its own)."""
    return bearer(issue_token(make_user(roles=("organizer",))))


# --- tokens -------------------------------------------------------------------------------


def test_token_is_issued_used_and_revoked(client, make_user, db):
    user = make_user(name="Ana")
    token = sign_in(client, user)
    stored = db.session.scalar(db.select(ApiToken).filter_by(user_id=user.id))
    assert stored.token_hash == ApiToken.hash(token) != token

    me = client.get("/api/v1/users/me", headers=bearer(token))
    assert me.status_code == 200
    assert conforms(me.get_json(), "User") == {
        "id": user.public_id, "email": user.email, "display_name": "Ana",
        "roles": [], "email_verified": True,
    }
    assert client.delete("/api/v1/tokens/current", headers=bearer(token)).status_code == 204
    revoked = client.get("/api/v1/users/me", headers=bearer(token))
    error_of(revoked, 401, "unauthorized")
    assert revoked.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoking_one_token_keeps_the_others(client, make_user):
    user = make_user()
    first, second = issue_token(user), issue_token(user)
    client.delete("/api/v1/tokens/current", headers=bearer(first))
    assert client.get("/api/v1/users/me", headers=bearer(second)).status_code == 200


def test_wrong_credentials_get_one_message(client, make_user, db):
    user = make_user(email="ana@example.com")
    suspended = make_user(email="sus@example.com")
    suspended.suspended_at = datetime(2027, 1, 1)
    db.session.commit()
    attempts = [
        {"email": "ana@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "not an email", "password": PASSWORD},
        {"email": "sus@example.com", "password": PASSWORD},
    ]
    responses = [client.post("/api/v1/tokens", json=body) for body in attempts]
    messages = {error_of(r, 401, "unauthorized") for r in responses}
    assert len(messages) == 1
    assert all(r.headers["WWW-Authenticate"].startswith("Bearer") for r in responses)
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0
    assert user.tokens == []


@pytest.mark.parametrize("body", [{"email": "a@example.com"}, {"email": 1, "password": "x"}])
def test_token_request_needs_email_and_password_strings(client, body):
    assert "string" in error_of(client.post("/api/v1/tokens", json=body), 400, "bad_request")


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("not-a-token"), {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer "}],
)
def test_missing_or_bad_token_is_401_json(client, make_user, headers):
    make_user()
    response = client.get("/api/v1/users/me", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_does_not_authenticate(client, make_user, login):
    login(client, make_user(roles=("organizer",)))
    error_of(client.get("/api/v1/users/me"), 401)
    error_of(client.post("/api/v1/contests", json={"slug": "x1", "title": "T"}), 401)


def test_suspended_users_token_stops_working(client, make_user, db):
    user = make_user()
    token = issue_token(user)
    user.suspended_at = datetime(2027, 1, 1)
    db.session.commit()
    error_of(client.get("/api/v1/users/me", headers=bearer(token)), 401)


# --- sign-up ------------------------------------------------------------------------------


def test_sign_up_creates_an_account_and_sends_verification(client, app, db):
    response = client.post("/api/v1/users", json={
        "email": "New@Example.com", "display_name": "Newbie", "password": PASSWORD})
    assert response.status_code == 201
    body = conforms(response.get_json(), "User")
    user = db.session.scalar(db.select(User).filter_by(email="new@example.com"))
    assert body == {"id": user.public_id, "email": "new@example.com",
                    "display_name": "Newbie", "roles": [], "email_verified": False}
    outbox = getattr(app.extensions["mailman"], "outbox", [])
    assert any(message.to == ["new@example.com"] for message in outbox)
    token = sign_in(client, user)
    assert client.get("/api/v1/users/me", headers=bearer(token)).get_json() == body


def test_sign_up_with_a_taken_email_is_409_whatever_the_case(client, make_user, db):
    make_user(email="taken@example.com")
    response = client.post("/api/v1/users", json={
        "email": "TAKEN@example.com", "display_name": "Copy", "password": PASSWORD})
    error_of(response, 409, "conflict")
    assert response.get_json()["error"]["field"] == "email"
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


@pytest.mark.parametrize(
    "body, status",
    [
        ({"email": "not-an-email", "password": PASSWORD}, 422),
        ({"email": "short@example.com", "password": "short"}, 422),
        ({"email": "long@example.com", "display_name": "x" * 81, "password": PASSWORD}, 422),
        ({"password": PASSWORD}, 400),
        ({"email": ["a@example.com"], "password": PASSWORD}, 400),
        ({"email": "n@example.com", "display_name": 5, "password": PASSWORD}, 400),
        ({"email": "n@example.com", "password": 12345678}, 400),
    ],
)
def test_invalid_sign_up_is_refused_and_creates_nothing(client, db, body, status):
    error_of(client.post("/api/v1/users", json=body), status)
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


# --- contests: reading --------------------------------------------------------------------


def test_contests_list_and_get_follow_the_clock(client, make_contest, clock):
    clock.set(datetime(2027, 3, 2))
    make_contest("n8", title="Shot on N8", tagline="One phone", **SCHEDULE,
                 accepted_phones=[{"make": "Nokia", "model": "N8-00", "aliases": ["N8"]}])
    make_contest("later", **{k: v.replace("2027-03", "2027-05") for k, v in SCHEDULE.items()})

    listed = client.get("/api/v1/contests").get_json()["contests"]
    assert [(c["slug"], c["phase"]) for c in listed] == [("n8", "submissions"),
                                                         ("later", "upcoming")]
    contest = conforms(client.get("/api/v1/contests/n8").get_json(), "Contest")
    assert set(contest) == CONTEST_FIELDS
    assert contest["accepting_entries"] is True and contest["voting_open"] is False
    assert contest["accepted_phones"] == [{"make": "Nokia", "model": "N8-00", "aliases": ["N8"]}]
    assert contest["submissions_open_at"] == "2027-03-01T00:00:00Z"
    assert contest["votes_per_account"] is None
    assert contest["url"] == "http://localhost/contests/n8"

    clock.set(datetime(2027, 3, 15))
    contest = client.get("/api/v1/contests/n8").get_json()
    assert (contest["phase"], contest["accepting_entries"], contest["voting_open"]) == (
        "voting", False, True)


def test_unknown_contest_is_404_json(client):
    error_of(client.get("/api/v1/contests/nope"), 404, "not_found")


# --- contests: organizers -----------------------------------------------------------------


def test_organizer_creates_a_contest(client, organizer, db):
    response = client.post("/api/v1/contests", headers=organizer, json={
        "slug": "pixel-week", "title": "Pixel week", "accepted_phones": ["Google Pixel 8"],
        "votes_per_account": 3, "device_policy": "flag", **SCHEDULE})
    assert response.status_code == 201
    body = conforms(response.get_json(), "Contest")
    assert response.headers["Location"] == "http://localhost/api/v1/contests/pixel-week"
    assert client.get(response.headers["Location"]).get_json() == body
    assert body["accepted_phones"] == [{"make": "Google", "model": "Pixel 8", "aliases": []}]
    assert (body["votes_per_account"], body["device_policy"]) == (3, "flag")
    contest = db.session.scalar(db.select(Contest).filter_by(slug="pixel-week"))
    assert contest.created_by_id == db.session.scalar(
        db.select(User.id).filter_by(is_organizer=True))


def test_organizer_patches_only_the_given_fields(client, organizer, make_contest):
    make_contest("n8", **SCHEDULE)
    before = client.get("/api/v1/contests/n8").get_json()
    response = client.patch("/api/v1/contests/n8", headers=organizer, json={
        "tagline": "New tagline", "voting_close_at": "2027-03-21T12:00:00+02:00",
        "votes_per_account": None, "blind_judging": True})
    assert response.status_code == 200
    after = conforms(response.get_json(), "Contest")
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"tagline", "voting_close_at", "blind_judging"}
    assert after["voting_close_at"] == "2027-03-21T10:00:00Z"
    assert client.get("/api/v1/contests/n8").get_json() == after


REFUSED_PATCHES = [
    ({"max_duration_s": "long"}, 400),
    ({"max_duration_s": 0}, 400),
    ({"blind_judging": "yes"}, 400),
    ({"device_policy": "maybe"}, 400),
    ({"title": ""}, 400),
    ({"title": 7}, 400),
    ({"accepted_phones": []}, 400),
    ({"accepted_phones": ["Nokia"]}, 400),
    ({"submissions_open_at": "next tuesday"}, 400),
    ({"slug": "renamed"}, 400),
    ({"colour": "red"}, 400),
    ({"tagline": "Kept?", "results_at": "2027-03-01T00:00:00Z"}, 422),
]
REFUSED_CREATES = [
    ({"title": "No slug", "accepted_phones": ["Nokia N8-00"]}, 400),
    ({"slug": "Bad Slug!", "title": "T", "accepted_phones": ["Nokia N8-00"]}, 400),
    ({"slug": "taken", "title": "T", "accepted_phones": ["Nokia N8-00"]}, 409),
    ({"slug": "no-title", "accepted_phones": ["Nokia N8-00"]}, 400),
    ({"slug": "num-title", "title": 5, "accepted_phones": ["Nokia N8-00"]}, 400),
    ({"slug": "no-phone", "title": "T"}, 400),
    ({"slug": "late", "title": "T", "accepted_phones": ["Nokia N8-00"],
     **SCHEDULE, "results_at": "2027-01-01T00:00:00Z"}, 422),
]


def test_refused_patch_changes_nothing(client, organizer, make_contest):
    # One test for all cases: each account costs a deliberately slow password hash.
    make_contest("n8", **SCHEDULE)
    before = client.get("/api/v1/contests/n8").get_json()
    for change, status in REFUSED_PATCHES:
        response = client.patch("/api/v1/contests/n8", headers=organizer, json=change)
        assert response.status_code == status, change
        error_of(response, status)
        assert client.get("/api/v1/contests/n8").get_json() == before, change


def test_refused_create_creates_nothing(client, organizer, make_contest, db):
    make_contest("taken")
    for body, status in REFUSED_CREATES:
        response = client.post("/api/v1/contests", headers=organizer, json=body)
        assert response.status_code == status, body
        error_of(response, status)
        assert db.session.scalars(db.select(Contest.slug)).all() == ["taken"], body


@pytest.mark.parametrize("method, path", [("post", "/api/v1/contests"),
                                          ("patch", "/api/v1/contests/n8")])
def test_only_organizers_change_contests(client, make_user, make_contest, method, path):
    make_contest("n8", **SCHEDULE)
    body = {"slug": "mine", "title": "Mine", "accepted_phones": ["Nokia N8-00"]}
    judge = bearer(issue_token(make_user(roles=("judge",))))
    error_of(getattr(client, method)(path, json=body), 401, "unauthorized")
    error_of(getattr(client, method)(path, json=body, headers=judge), 403, "forbidden")
    assert [c["slug"] for c in client.get("/api/v1/contests").get_json()["contests"]] == ["n8"]
    assert client.get("/api/v1/contests/n8").get_json()["title"] == "Shot on N8"


# --- errors are always JSON ---------------------------------------------------------------


def test_malformed_or_non_json_bodies(client, organizer, make_contest, app):
    make_contest("n8")
    url = "/api/v1/contests/n8"
    error_of(client.patch(url, headers=organizer, data="{not json",
                          content_type="application/json"), 400, "bad_request")
    error_of(client.patch(url, headers=organizer, json=["title", "x"]), 400, "bad_request")
    error_of(client.patch(url, headers=organizer, data="title=x"), 415)
    error_of(client.post("/api/v1/tokens", data="email=a&password=b"), 415)
    app.config["API_MAX_JSON_BYTES"] = 100
    error_of(client.patch(url, headers=organizer, json={"rules": "x" * 200}), 413, "too_large")


def test_wrong_method_and_unknown_path_are_json(client):
    error_of(client.delete("/api/v1/contests"), 405, "method_not_allowed")
    error_of(client.put("/api/v1/tokens"), 405)
    error_of(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_server_error_is_json(app, client):
    def boom():
        raise RuntimeError("broken")

    app.add_url_rule("/api/v1/test-boom", "api_test_boom", boom)
    error_of(client.get("/api/v1/test-boom"), 500, "server_error")


def test_token_requests_are_rate_limited(app, base_config, make_user):
    limited = create_app({**base_config, "RATELIMIT_ENABLED": True,
                          "API_TOKEN_RATE_LIMIT": "2 per minute"})
    client = limited.test_client()
    body = {"email": "ana@example.com", "password": "wrong password"}
    assert [client.post("/api/v1/tokens", json=body).status_code for _ in range(2)] == [401] * 2
    response = client.post("/api/v1/tokens", json=body)
    error_of(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_api_needs_no_csrf_token(app, base_config, make_user):
    """The web forms need CSRF tokens; the API, which reads no cookies, does not."""
    user = make_user()
    strict = create_app({**base_config, "WTF_CSRF_ENABLED": True})
    client = strict.test_client()
    assert client.post("/auth/logout").status_code == 400  # CSRF is on for the site
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201


# --- the OpenAPI document -----------------------------------------------------------------


def test_openapi_document_is_well_formed():
    assert SPEC["openapi"].startswith("3.1")
    assert SPEC["components"]["securitySchemes"]["bearer"] == {
        **SPEC["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["responses"], f"{method} {path} has no responses"
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status)
                assert "$ref" in response or "description" in response
    jsonschema.Draft202012Validator.check_schema(
        {"$defs": SPEC["components"]["schemas"]})


def test_openapi_document_passes_the_validator():
    import openapi_spec_validator

    openapi_spec_validator.validate(SPEC)


def test_every_api_route_is_in_the_openapi_document(app):
    prefix = SPEC["servers"][0]["url"]
    documented = {
        (prefix + path, method.upper())
        for path, item in SPEC["paths"].items()
        for method in item if method != "parameters"
    }
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routed == documented
    assert ("/api/v1/tokens", "POST") in routed


def test_spec_schemas_match_the_code():
    """The Contest schema lists exactly the fields the API returns."""
    assert set(SPEC["components"]["schemas"]["Contest"]["properties"]) == CONTEST_FIELDS
    assert set(SPEC["components"]["schemas"]["Contest"]["required"]) == CONTEST_FIELDS
    from contest.operations.contests import FIELDS

    settings = SPEC["components"]["schemas"]["ContestSettings"]["properties"]
    assert set(settings) == set(FIELDS)

