"""Entering and reading films through the JSON API, on local storage and on S3."""
import boto3
import pytest
from clips import NOKIA_N8, make_clip

from contest.jobs import thread_runner
from contest.operations.users import issue_token


@pytest.fixture
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("api") / "n8.mp4", tags=NOKIA_N8)


def bearer(user):
    return {"Authorization": f"Bearer {issue_token(user)}"}


def post_film(client, headers, path, slug="n8", title="Dawn"):
    data = {"title": title, "description": "Shot at dawn.", "file": (open(path, "rb"), "d.mp4")}
    return client.post(f"/api/v1/contests/{slug}/films", data=data, headers=headers,
                       content_type="multipart/form-data")


def test_enter_and_follow_a_film(app, client, make_user, make_contest, clip):
    make_contest("n8", min_height=120)
    owner = bearer(make_user())
    response = post_film(client, owner, clip)
    assert response.status_code == 202
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/films/{body['id']}"
    assert body["status"] == "processing" and body["contest"] == "n8"
    assert body["device"] == {"make": "Nokia", "model": "N8-00", "verdict": "verified"}
    assert body["width"] == 320 and body["height"] == 240 and body["duration_s"] > 1
    # Unpublished: only the filmmaker (and organizers) can read it.
    assert client.get(response.headers["Location"]).status_code == 404
    assert thread_runner(app).wait(120)
    film = client.get(response.headers["Location"]).get_json()
    assert film["status"] == "ready" and film["progress"] == 100 and film["error"] is None
    assert [(r["width"], r["height"]) for r in film["renditions"]] == [(320, 240)]
    assert film["renditions"][0]["bytes"] > 0
    for name in ("poster_url", "thumbnail_url", "hls_url", "url", "embed_url"):
        assert film[name], name
    assert client.get(film["renditions"][0]["url"]).status_code == 200
    assert client.get(film["hls_url"]).data.startswith(b"#EXTM3U")
    assert client.get(film["url"]).status_code == 200
    embed = client.get(film["embed_url"])
    assert embed.status_code == 200 and "X-Frame-Options" not in embed.headers
    assert client.get(film["url"]).headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("content, status", [(b"#EXTM3U\nother.mp4\n", 422), (b"", 422)])
def test_refused_files_answer_422_with_the_reason(client, make_user, make_contest, content,
                                                 status, tmp_path):
    make_contest("n8")
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    response = post_film(client, bearer(make_user()), path)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_entering_needs_a_token_and_an_open_contest(client, make_user, make_contest, clip,
                                                   clock):
    make_contest("n8")
    assert post_film(client, {}, clip).status_code == 401
    clock.advance(days=90)
    response = post_film(client, bearer(make_user()), clip)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "not_accepting"


def test_missing_file_field_is_a_400(client, make_user, make_contest):
    make_contest("n8")
    response = client.post("/api/v1/contests/n8/films", data={"title": "x"},
                           headers=bearer(make_user()), content_type="multipart/form-data")
    assert response.status_code == 400


def test_pipeline_on_s3(s3_app, make_user, make_contest, clip):
    """The same upload with STORAGE=s3: every output lands in the bucket with its type."""
    make_contest("n8", min_height=120)
    client = s3_app.test_client()
    response = post_film(client, bearer(make_user()), clip)
    assert response.status_code == 202
    assert thread_runner(s3_app).wait(120)
    film = client.get(response.headers["Location"], headers=bearer(make_user(
        roles=["organizer"]))).get_json()
    assert film["status"] == "ready", film["error"]
    s3 = boto3.client("s3", endpoint_url=s3_app.config["S3_ENDPOINT_URL"],
                      region_name="us-east-1")
    bucket = s3_app.config["S3_BUCKET"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    originals = [k for k in keys if k.startswith("originals/")]
    assert len(originals) == 1
    types = {k.rsplit(".", 1)[-1]: s3.head_object(Bucket=bucket, Key=k)["ContentType"]
             for k in keys if not k.startswith("originals/")}
    assert types["mp4"] == "video/mp4"
    assert types["m3u8"] == "application/vnd.apple.mpegurl"
    assert types["jpg"] == "image/jpeg"
    head = s3.head_object(Bucket=bucket, Key=next(k for k in keys if k.endswith(".mp4")
                                                   and not k.startswith("originals/")))
    assert "max-age" in head["CacheControl"]
