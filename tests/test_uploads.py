"""Resumable uploads: the protocol on a local folder and on S3 (moto over HTTP)."""
import re
import struct
import urllib.request
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from clips import NOKIA_N8, make_clip

from contest.extensions import db
from contest.jobs import thread_runner
from contest.models import Film, Upload
from contest.operations.users import issue_token
from contest.storage import get_storage
from contest.uploads.cli import register

MIB = 1024 * 1024
PART = 64 * 1024  # local parts in these tests; S3 never takes less than 5 MiB


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("uploads") / "n8.mp4", tags=NOKIA_N8)


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory):
    """The clip padded past S3's 5 MiB part minimum with an MP4 'free' box (still valid)."""
    path = make_clip(tmp_path_factory.mktemp("uploads-big") / "n8.mp4", tags=NOKIA_N8)
    return pad(path, 5 * MIB + 300 * 1024)


def pad(path, total):
    """Append a 'free' box so the file is `total` bytes; players and ffprobe skip it."""
    extra = total - path.stat().st_size
    with open(path, "ab") as f:
        f.write(struct.pack(">I", extra) + b"free" + bytes(extra - 8))
    return path


@pytest.fixture(autouse=True)
def jobs_finish(app):
    """Let a queued film's job end before the tables are emptied under it."""
    yield
    runner = app.extensions.get("job_runner")
    if runner is not None:
        runner.wait(120)


@pytest.fixture
def local_app(app):
    app.config["UPLOAD_PART_SIZE"] = PART
    register(app)
    return app


@pytest.fixture
def filmmaker(app, client, make_user, login):
    return login(client, make_user())


def create(client, path, slug="n8", fingerprint="fp-1", size=None, **kwargs):
    size = path.stat().st_size if size is None else size
    body = {"contest": slug, "file_name": path.name, "size": size,
            "type": "video/mp4", "fingerprint": fingerprint}
    return client.post("/uploads", json=body, **kwargs)


def send_part(client, upload, path, number, prefix="/uploads", **kwargs):
    """Ask where part `number` goes, then send it there (the app, or S3 directly)."""
    target = client.get(f"{prefix}/{upload['id']}/parts/{number}/target", **kwargs).get_json()
    target["url"] = target["url"].removeprefix("http://localhost")
    start = (number - 1) * upload["part_size"]
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(upload["part_size"])
    if target["url"].startswith("http") and "/uploads/" not in target["url"]:
        answer = requests.put(target["url"], data=data, headers=target["headers"], timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.headers["ETag"]
    headers = {**kwargs.pop("headers", {}), **target["headers"]}
    answer = client.put(target["url"], data=data, headers=headers, **kwargs)
    assert answer.status_code == 200, answer.get_json()
    return answer.headers["ETag"]


def complete(client, upload, prefix="/uploads", agree=True, **kwargs):
    body = {"title": "Dawn", "description": "Shot at dawn."}
    if agree is not None:
        body["agree"] = agree
    return client.post(f"{prefix}/{upload['id']}/complete", json=body, **kwargs)


# --- local folder -------------------------------------------------------------


def test_local_upload_in_parts_becomes_a_film(local_app, client, filmmaker, make_contest, clip):
    make_contest("n8", min_height=120)
    response = create(client, clip)
    assert response.status_code == 201
    upload = response.get_json()
    assert upload["part_size"] == PART and upload["received_parts"] == []
    assert upload["parts"] == -(-clip.stat().st_size // PART) >= 3
    for number in reversed(range(1, upload["parts"] + 1)):  # any order
        assert send_part(client, upload, clip, number) == f'"{number}-' + (
            f'{min(PART, clip.stat().st_size - (number - 1) * PART)}"')
    refused = complete(client, upload, agree=None)
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "agree"
    done = complete(client, upload)
    assert done.status_code == 202
    body = done.get_json()
    assert body["redirect"] == f"/films/{body['id']}/status"
    film = Film.query.filter_by(public_id=body["id"]).one()
    storage = get_storage()
    assert storage.open(film.original_key).read() == clip.read_bytes()
    assert not (storage.root / ".uploads" / upload["id"]).exists()
    assert thread_runner(local_app).wait(120)
    db.session.expire_all()  # the job ran in another session
    assert client.get(body["progress_url"]).get_json()["status"] == "ready"
    assert film.original_size == clip.stat().st_size and film.width == 320


def test_local_resume_skips_parts_already_there(local_app, client, filmmaker, make_contest,
                                               clip):
    make_contest("n8")
    upload = create(client, clip).get_json()
    send_part(client, upload, clip, 1)
    send_part(client, upload, clip, 1)  # sending a part twice is harmless
    send_part(client, upload, clip, 3)
    missing = complete(client, upload)
    assert missing.status_code == 409 and missing.get_json()["error"]["code"] == "parts_missing"
    # The same file picked again (same fingerprint) resumes the same upload.
    again = create(client, clip).get_json()
    assert again["id"] == upload["id"] and again["received_parts"] == [1, 3]
    assert again["received"] == PART + clip.stat().st_size - 2 * PART  # part 3 is the last
    listed = client.get(f"/uploads/{upload['id']}/parts").get_json()["parts"]
    assert [p["part_number"] for p in listed] == [1, 3]
    for number in range(1, upload["parts"] + 1):
        if number not in again["received_parts"]:
            send_part(client, upload, clip, number)
    assert complete(client, upload).status_code == 202
    # Another file (another fingerprint) is another upload.
    assert create(client, clip, fingerprint="fp-2").get_json()["id"] != upload["id"]


def test_local_part_sizes_are_checked(local_app, client, filmmaker, make_contest, clip):
    make_contest("n8")
    upload = create(client, clip).get_json()
    url = f"/uploads/{upload['id']}/parts/1"
    assert client.put(url, data=b"x" * (PART - 1)).status_code == 422
    assert client.put(url, data=b"x" * (PART + 1)).status_code == 413
    assert client.put(f"/uploads/{upload['id']}/parts/{upload['parts'] + 1}",
                      data=b"x").status_code == 404
    assert client.get(f"/uploads/{upload['id']}/parts").get_json()["parts"] == []


def test_not_a_video_is_rejected_by_the_job(local_app, client, filmmaker, make_contest,
                                            tmp_path):
    make_contest("n8")
    path = tmp_path / "fake.mp4"
    path.write_bytes(b"not a video at all" * 1000)
    upload = create(client, path).get_json()
    for number in range(1, upload["parts"] + 1):
        send_part(client, upload, path, number)
    body = complete(client, upload).get_json()
    assert thread_runner(local_app).wait(60)
    db.session.expire_all()
    film = Film.query.filter_by(public_id=body["id"]).one()
    assert film.status == "rejected" and film.error
    assert not get_storage().exists(film.original_key)


def test_limits_are_checked_before_anything(local_app, client, filmmaker, make_contest, clip,
                                            clock):
    make_contest("n8", max_size_mb=1)
    too_big = create(client, clip, size=MIB + 1)
    assert too_big.status_code == 413 and too_big.get_json()["error"]["code"] == "too_large"
    assert create(client, clip, size=0).status_code == 422
    bad_name = client.post("/uploads", json={"contest": "n8", "file_name": "notes.txt",
                                             "size": 10})
    assert bad_name.status_code == 422
    assert client.post("/uploads", json={"contest": "nope", "file_name": "a.mp4",
                                         "size": 10}).status_code == 404
    clock.advance(days=90)
    closed = create(client, clip)
    assert closed.status_code == 403 and closed.get_json()["error"]["code"] == "not_accepting"
    assert Upload.query.count() == 0
    assert not (get_storage().root / ".uploads").exists()


def test_limit_lowered_during_the_upload(local_app, client, filmmaker, make_contest, clip):
    contest = make_contest("n8")
    upload = create(client, clip).get_json()
    for number in range(1, upload["parts"] + 1):
        send_part(client, upload, clip, number)
    contest.max_size_mb = 0
    too_big = complete(client, upload)
    assert too_big.status_code == 413
    assert Upload.query.one().state == "aborted" and Film.query.count() == 0


def test_another_user_cannot_touch_my_upload(local_app, app, client, filmmaker, make_user,
                                             make_contest, login, clip):
    make_contest("n8")
    upload = create(client, clip).get_json()
    other = app.test_client()
    login(other, make_user())
    base = f"/uploads/{upload['id']}"
    assert other.get(base).status_code == 404
    assert other.get(base + "/parts").status_code == 404
    assert other.get(base + "/parts/1/target").status_code == 404
    assert other.put(base + "/parts/1", data=b"x" * PART).status_code == 404
    assert complete(other, upload).status_code == 404
    assert other.delete(base).status_code == 404
    anonymous = app.test_client()
    for response in (anonymous.get(base), create(anonymous, clip), anonymous.delete(base)):
        assert response.status_code == 401
    assert client.get(base).get_json()["state"] == "open"


def test_state_changes_need_the_csrf_token(local_app, client, filmmaker, make_contest, clip):
    make_contest("n8")
    local_app.config["WTF_CSRF_ENABLED"] = True
    refused = create(client, clip)
    assert refused.status_code == 400 and Upload.query.count() == 0
    page = client.get("/contests/n8/enter").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    upload = create(client, clip, headers={"X-CSRFToken": token}).get_json()
    target = client.get(f"/uploads/{upload['id']}/parts/1/target").get_json()
    assert target["headers"]["X-CSRFToken"]  # the part endpoint needs it too
    assert client.put(target["url"], data=b"x" * PART).status_code == 400
    assert client.put(target["url"], data=b"x" * PART,
                      headers=target["headers"]).status_code == 200


def test_abort_removes_the_parts(local_app, client, filmmaker, make_contest, clip):
    make_contest("n8")
    upload = create(client, clip).get_json()
    send_part(client, upload, clip, 1)
    assert client.delete(f"/uploads/{upload['id']}").status_code == 204
    assert not (get_storage().root / ".uploads" / upload["id"]).exists()
    assert client.get(f"/uploads/{upload['id']}/parts/2/target").status_code == 409
    assert client.delete(f"/uploads/{upload['id']}").status_code == 409


def test_api_protocol_with_a_bearer_token(local_app, client, make_user, make_contest, clip):
    make_contest("n8")
    headers = {"Authorization": f"Bearer {issue_token(make_user())}"}
    response = client.post(
        "/api/v1/uploads", headers=headers,
        json={"contest": "n8", "file_name": "n8.mp4", "size": clip.stat().st_size,
              "fingerprint": "api-1"})
    assert response.status_code == 201
    upload = response.get_json()
    assert response.headers["Location"] == f"/api/v1/uploads/{upload['id']}"
    target = client.get(f"/api/v1/uploads/{upload['id']}/parts/1/target",
                        headers=headers).get_json()
    assert target["url"].endswith(f"/api/v1/uploads/{upload['id']}/parts/1")
    for number in range(1, upload["parts"] + 1):
        send_part(client, upload, clip, number, prefix="/api/v1/uploads", headers=headers)
    assert client.get(f"/api/v1/uploads/{upload['id']}", headers=headers).get_json()[
        "received"] == clip.stat().st_size
    done = complete(client, upload, prefix="/api/v1/uploads", headers=headers)
    assert done.status_code == 202
    assert done.headers["Location"] == f"/api/v1/films/{done.get_json()['id']}"
    assert done.get_json()["status"] == "processing"
    assert client.post("/api/v1/uploads", json={}).status_code == 401
    thread_runner(local_app).wait(120)


def test_cleanup_aborts_abandoned_local_uploads(local_app, client, filmmaker, make_contest,
                                                clip, clock, runner):
    make_contest("n8")
    old = create(client, clip).get_json()
    clock.advance(hours=23)
    fresh = create(client, clip, fingerprint="fp-2").get_json()
    clock.advance(hours=2)
    result = runner.invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "Aborted 1 abandoned upload(s)" in result.output
    states = {u.public_id: u.state for u in Upload.query}
    assert states == {old["id"]: "aborted", fresh["id"]: "open"}
    assert not (get_storage().root / ".uploads" / old["id"]).exists()
    assert (get_storage().root / ".uploads" / fresh["id"]).exists()


def test_cors_command_needs_s3(local_app, runner):
    result = runner.invoke(args=["storage", "cors", "--origin", "https://films.example.org"])
    assert result.exit_code == 1 and "S3" in result.output


# --- S3 -------------------------------------------------------------------------


@pytest.fixture
def s3(s3_app):
    register(s3_app)
    return s3_app


def multipart_uploads(bucket):
    storage = get_storage()
    return storage.client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def test_s3_parts_go_straight_to_the_bucket(s3, client, filmmaker, make_contest, big_clip):
    make_contest("n8", min_height=120)
    upload = create(client, big_clip).get_json()
    assert upload["part_size"] == 8 * MIB and upload["parts"] == 1
    s3.config["UPLOAD_PART_SIZE"] = 5 * MIB  # S3's minimum; two parts for this file
    upload = create(client, big_clip, fingerprint="fp-2").get_json()
    assert upload["part_size"] == 5 * MIB and upload["parts"] == 2
    target = client.get(f"/uploads/{upload['id']}/parts/2/target").get_json()
    check_presigned(target, s3.config["S3_BUCKET"], part=2)
    send_part(client, upload, big_clip, 2)
    send_part(client, upload, big_clip, 1)
    listed = client.get(f"/uploads/{upload['id']}/parts").get_json()["parts"]
    assert [(p["part_number"], p["size"]) for p in listed] == [
        (1, 5 * MIB), (2, big_clip.stat().st_size - 5 * MIB)]
    done = complete(client, upload)
    assert done.status_code == 202, done.get_json()
    film = Film.query.filter_by(public_id=done.get_json()["id"]).one()
    storage = get_storage()
    assert storage.size(film.original_key) == big_clip.stat().st_size
    assert storage.client.head_object(Bucket=storage.bucket, Key=film.original_key)[
        "ContentType"] == "application/octet-stream"
    assert thread_runner(s3).wait(120)
    db.session.expire_all()
    assert client.get(done.get_json()["progress_url"]).get_json()["status"] == "ready"


def check_presigned(target, bucket, part):
    """moto checks no signatures, so check what was signed instead."""
    url = urlsplit(target["url"])
    query = parse_qs(url.query)
    assert target["method"] == "PUT" and target["headers"] == {}
    assert url.path.startswith(f"/{bucket}/originals/")
    assert query["partNumber"] == [str(part)] and query["uploadId"][0]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"] == [str(target["expires_in"])]
    assert query["X-Amz-SignedHeaders"] == ["host"] and len(query["X-Amz-Signature"][0]) == 64
    # A presigned GET would be a different signature: the method is part of what is signed.
    storage = get_storage()
    key = url.path.split("/", 2)[2]
    other = storage.client.generate_presigned_url("upload_part", HttpMethod="GET",
                                                  ExpiresIn=900, Params={
        "Bucket": bucket, "Key": key, "UploadId": query["uploadId"][0], "PartNumber": part})
    assert parse_qs(urlsplit(other).query)["X-Amz-Signature"] != query["X-Amz-Signature"]


def test_s3_resume_after_a_missing_part(s3, client, filmmaker, make_contest, big_clip):
    make_contest("n8")
    s3.config["UPLOAD_PART_SIZE"] = 5 * MIB
    upload = create(client, big_clip).get_json()
    send_part(client, upload, big_clip, 1)
    assert complete(client, upload).status_code == 409
    again = create(client, big_clip).get_json()
    assert again["id"] == upload["id"] and again["received_parts"] == [1]
    assert again["received"] == 5 * MIB
    send_part(client, upload, big_clip, 2)
    assert complete(client, upload).status_code == 202
    assert multipart_uploads(s3.config["S3_BUCKET"]) == []


def test_s3_size_mismatch_is_refused(s3, client, filmmaker, make_contest, big_clip):
    make_contest("n8")
    s3.config["UPLOAD_PART_SIZE"] = 5 * MIB
    # Announce one byte more than is sent: the parts cannot add up.
    upload = create(client, big_clip, size=big_clip.stat().st_size + 1).get_json()
    send_part(client, upload, big_clip, 1)
    send_part(client, upload, big_clip, 2)
    refused = complete(client, upload)
    assert refused.status_code == 422
    assert Upload.query.one().state == "aborted" and Film.query.count() == 0
    assert multipart_uploads(s3.config["S3_BUCKET"]) == []
    storage = get_storage()
    assert "Contents" not in storage.client.list_objects_v2(Bucket=storage.bucket)


def test_s3_object_over_the_limit_is_deleted(s3, client, filmmaker, make_contest, big_clip):
    contest = make_contest("n8")
    s3.config["UPLOAD_PART_SIZE"] = 5 * MIB
    upload = create(client, big_clip).get_json()
    send_part(client, upload, big_clip, 1)
    send_part(client, upload, big_clip, 2)
    contest.max_size_mb = 5  # lowered by the organizer while the parts were on their way
    refused = complete(client, upload)
    assert refused.status_code == 413
    storage = get_storage()
    assert "Contents" not in storage.client.list_objects_v2(Bucket=storage.bucket)
    assert multipart_uploads(s3.config["S3_BUCKET"]) == []


def test_s3_abort_and_cleanup(s3, client, filmmaker, make_contest, clip, clock, runner):
    make_contest("n8")
    bucket = s3.config["S3_BUCKET"]
    aborted = create(client, clip).get_json()
    assert len(multipart_uploads(bucket)) == 1
    assert client.delete(f"/uploads/{aborted['id']}").status_code == 204
    assert multipart_uploads(bucket) == []
    create(client, clip, fingerprint="fp-2")
    storage = get_storage()
    # A multipart upload the app lost track of (a crash between S3 and the database).
    storage.client.create_multipart_upload(Bucket=bucket, Key="originals/lost/x.mp4")
    storage.client.create_multipart_upload(Bucket=bucket, Key="films/other/x.mp4")
    # moto dates every multipart upload 2010-11-10, so the lost one is already old; the
    # one an open row knows stays, and nothing outside originals/ is touched.
    result = runner.invoke(args=["uploads", "cleanup"])
    assert "Aborted 0 abandoned upload(s) and 1 unknown" in result.output
    assert len(multipart_uploads(bucket)) == 2
    clock.advance(hours=25)
    result = runner.invoke(args=["uploads", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "Aborted 1 abandoned upload(s) and 0 unknown" in result.output
    assert [u["Key"] for u in multipart_uploads(bucket)] == ["films/other/x.mp4"]
    assert {u.state for u in Upload.query} == {"aborted"}


def test_s3_cors_command(s3, runner, s3_server):
    result = runner.invoke(args=["storage", "cors", "--origin", "https://films.example.org",
                                 "--origin", "http://localhost:5000/"])
    assert result.exit_code == 0, result.output
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    rules = client.get_bucket_cors(Bucket=s3.config["S3_BUCKET"])["CORSRules"]
    put = next(r for r in rules if "PUT" in r["AllowedMethods"])
    assert put["AllowedOrigins"] == ["https://films.example.org", "http://localhost:5000"]
    assert put["ExposeHeaders"] == ["ETag"]
    assert any(r["AllowedMethods"] == ["GET", "HEAD"] for r in rules)
    # The preflight a browser sends before PUTting a part is answered with PUT allowed.
    url = f"{s3_server}/{s3.config['S3_BUCKET']}/originals/x/a.mp4?partNumber=1&uploadId=u"
    preflight = urllib.request.Request(url, method="OPTIONS", headers={
        "Origin": "https://films.example.org", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type"})
    with urllib.request.urlopen(preflight) as answer:
        assert "PUT" in answer.headers["Access-Control-Allow-Methods"]
        assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
    bad = runner.invoke(args=["storage", "cors", "--origin", "films.example.org"])
    assert bad.exit_code == 2
