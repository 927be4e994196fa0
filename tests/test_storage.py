"""Storage: the same behaviour from the local folder and from S3 (moto over HTTP)."""
import json
import os
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from boto3.s3.transfer import TransferConfig

from contest.storage import (
    IMMUTABLE,
    PLAYLIST,
    PRIVATE,
    InvalidKey,
    get_storage,
)

# The s3_server and s3_app fixtures (until tests/conftest.py lists the module itself).
pytest_plugins = ["s3_server"]

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
MP4 = "films/abc123/v1/720.mp4"
PLAYLIST_KEY = "films/abc123/v1/hls/master.m3u8"
ORIGINAL = "originals/abc123/0f1e2d3c.mp4"


@pytest.fixture(params=["local", "s3"])
def storage(request, app):
    """Each behaviour test runs once per backend."""
    if request.param == "s3":
        request.getfixturevalue("s3_app")
    return get_storage(app)


@pytest.fixture
def src(tmp_path):
    """write(name, data): a local file to save."""

    def write(data=b"0123456789" * 10, name="in.bin"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def served(app, storage, key):
    """(status, headers) as a viewer gets the object: S3 HEAD, or the app's routes."""
    if storage.backend == "s3":
        head = storage.client.head_object(Bucket=storage.bucket, Key=key)
        return 200, {"Content-Type": head["ContentType"], "Cache-Control": head["CacheControl"]}
    with app.test_request_context():
        url = storage.signed_url(key) if key.startswith("originals/") else storage.url(key)
    response = app.test_client().get(urlsplit(url).path)
    return response.status_code, response.headers


# -- the same behaviour from both backends --------------------------------------------


def test_save_open_fetch_exists_size(storage, src, tmp_path):
    data = os.urandom(3000)
    assert not storage.exists(MP4)
    assert storage.save(MP4, src(data), "video/mp4", public=True) == 3000
    assert storage.exists(MP4) and storage.size(MP4) == 3000
    with storage.open(MP4) as f:
        assert f.read() == data
    storage.fetch(MP4, tmp_path / "copy.mp4")
    assert (tmp_path / "copy.mp4").read_bytes() == data


def test_saving_again_replaces_the_object(storage, src):
    storage.save(MP4, src(b"first version"), "video/mp4", public=True)
    storage.save(MP4, src(b"second"), "video/mp4", public=True)
    with storage.open(MP4) as f:
        assert f.read() == b"second"


def test_missing_objects_raise_file_not_found(storage, tmp_path):
    for call in (storage.open, storage.size, lambda key: storage.fetch(key, tmp_path / "x")):
        with pytest.raises(FileNotFoundError):
            call("films/nothing/here.mp4")
    assert not storage.exists("films/nothing/here.mp4")
    storage.delete("films/nothing/here.mp4")  # deleting what is gone is fine


def test_delete_and_delete_prefix(storage, src):
    keys = ["films/ab/v1/a.mp4", "films/ab/v1/hls/b.ts", "films/ab/v2/c.mp4", "films/abc/d.mp4"]
    for key in keys:
        storage.save(key, src(), "video/mp4", public=True)
    storage.delete("films/ab/v2/c.mp4")
    assert not storage.exists("films/ab/v2/c.mp4")
    # "films/ab/" must not touch "films/abc/": a prefix is a folder.
    assert storage.delete_prefix("films/ab/") == 2
    assert [k for k in keys if storage.exists(k)] == ["films/abc/d.mp4"]
    assert storage.delete_prefix("films/ab/") == 0


@pytest.mark.parametrize("prefix", ["", "/", "films", "films/../", "../"])
def test_delete_prefix_refuses_anything_but_a_folder(storage, prefix):
    with pytest.raises(InvalidKey):
        storage.delete_prefix(prefix)


def test_content_type_and_cache_control_on_every_object(app, storage, src):
    storage.save(MP4, src(), "video/mp4", public=True)
    storage.save(PLAYLIST_KEY, src(b"#EXTM3U\n"), "application/vnd.apple.mpegurl", public=True)
    storage.save("films/abc123/v1/poster.jpg", src(), "image/jpeg", public=True,
                 cache_control="public, max-age=60")
    storage.save(ORIGINAL, src(), "video/quicktime", public=False)
    expected = {
        MP4: ("video/mp4", IMMUTABLE),
        PLAYLIST_KEY: ("application/vnd.apple.mpegurl", PLAYLIST),
        "films/abc123/v1/poster.jpg": ("image/jpeg", "public, max-age=60"),
        ORIGINAL: ("video/quicktime", PRIVATE),
    }
    for key, (content_type, cache_control) in expected.items():
        status, headers = served(app, storage, key)
        assert status == 200
        assert headers["Content-Type"] == content_type
        assert headers["Cache-Control"] == cache_control


def test_public_flag_must_agree_with_the_key(storage, src):
    with pytest.raises(InvalidKey):
        storage.save(ORIGINAL, src(), "video/mp4", public=True)
    with pytest.raises(InvalidKey):
        storage.save(MP4, src(), "video/mp4", public=False)
    assert not storage.exists(ORIGINAL) and not storage.exists(MP4)


def test_url_refuses_originals(app, storage, src):
    storage.save(ORIGINAL, src(), "video/mp4", public=False)
    with app.test_request_context(), pytest.raises(InvalidKey):
        storage.url(ORIGINAL)


BAD_KEYS = ["../x.mp4", "films/../../x.mp4", "/etc/passwd", "films\\x.mp4", "films//x.mp4",
            "films/x/", "", ".meta/films/x.mp4.json", "films/.hidden", "films/a b.mp4",
            "films/é.mp4", "films/a..b.mp4", "films/x.mp4\x00", "a" * 256, "signed/x.mp4"]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_key_validation_refuses_traversal_and_odd_names(app, storage, src, key):
    with pytest.raises(InvalidKey):
        storage.save(key, src(), "video/mp4", public=True)
    for call in (storage.exists, storage.open, storage.delete):
        with pytest.raises(InvalidKey):
            call(key)
    assert not os.path.exists(os.path.join(app.config["MEDIA_ROOT"], "..", "x.mp4"))


# -- local folder ---------------------------------------------------------------------


def test_local_objects_are_files_under_media_root(app, src):
    storage = get_storage(app)
    storage.save(MP4, src(b"abc"), "video/mp4", public=True)
    folder = os.path.join(app.config["MEDIA_ROOT"], "films", "abc123", "v1")
    assert os.listdir(folder) == ["720.mp4"]  # no temporary file left beside it
    storage.delete(MP4)
    assert os.listdir(app.config["MEDIA_ROOT"]) == []  # empty folders pruned too


def test_local_ranged_get_and_conditional_requests(app, client, src):
    data = bytes(range(256)) * 4
    get_storage(app).save(MP4, src(data), "video/mp4", public=True)
    response = client.get("/media/" + MP4, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206
    assert response.data == data[100:200]
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "video/mp4"
    full = client.get("/media/" + MP4)
    assert full.status_code == 200 and full.data == data
    assert full.headers["ETag"] and full.headers["Last-Modified"]
    again = client.get("/media/" + MP4, headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304


def test_local_public_url(app, src):
    storage = get_storage(app)
    with app.test_request_context():
        assert storage.url(MP4) == "http://localhost/media/" + MP4
    assert storage.url(MP4) == "/media/" + MP4  # a worker, outside any request


@pytest.mark.parametrize("path", [
    "/media/" + ORIGINAL, "/media/originals/abc123/", "/media/.meta/" + ORIGINAL + ".json",
    "/media/.meta/" + MP4 + ".json", "/media/films/abc123", "/media/films/missing.mp4",
    "/media/films/../" + ORIGINAL, "/media/films/%2e%2e/" + ORIGINAL,
])
def test_local_originals_and_internals_are_never_served(app, client, src, path):
    storage = get_storage(app)
    storage.save(ORIGINAL, src(b"secret"), "video/mp4", public=False)
    storage.save(MP4, src(b"public"), "video/mp4", public=True)
    response = client.get(path)
    assert response.status_code == 404
    assert b"secret" not in response.data


def test_local_signed_link_serves_an_original_until_it_expires(app, client, src, clock):
    storage = get_storage(app)
    storage.save(ORIGINAL, src(b"the original"), "video/mp4", public=False)
    with app.test_request_context():
        path = urlsplit(storage.signed_url(ORIGINAL, expires_s=60)).path
    assert path.startswith("/media/signed/")
    response = client.get(path, headers={"Range": "bytes=4-11"})
    assert response.status_code == 206 and response.data == b"original"
    assert response.headers["Cache-Control"] == PRIVATE
    clock.advance(seconds=61)
    assert client.get(path).status_code == 403


def test_local_signed_link_cannot_be_forged(app, client, src):
    storage = get_storage(app)
    storage.save(ORIGINAL, src(b"the original"), "video/mp4", public=False)
    with app.test_request_context():
        token = urlsplit(storage.signed_url(ORIGINAL)).path.rsplit("/", 1)[1]
    payload, signature = token.rsplit(".", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for bad in (tampered, payload + ".x" + signature[1:], "nothing", payload):
        assert client.get("/media/signed/" + bad).status_code == 404


def test_no_local_media_routes_when_storage_is_s3(s3_app, src):
    get_storage(s3_app).save(MP4, src(), "video/mp4", public=True)
    client = s3_app.test_client()
    assert client.get("/media/" + MP4).status_code == 404


def test_get_storage_is_built_once_from_config(app):
    assert get_storage(app) is get_storage(app)
    assert get_storage(app).backend == "local"
    app.extensions.pop("storage")
    app.config["STORAGE"] = "ftp"
    with pytest.raises(RuntimeError):
        get_storage(app)


# -- S3 (moto's server over HTTP) -------------------------------------------------------


@pytest.fixture
def s3(s3_app):
    return get_storage(s3_app)


def with_public_url(app, base):
    app.config["S3_PUBLIC_URL"] = base
    app.extensions.pop("storage", None)
    return get_storage(app)


def test_s3_object_keys_and_metadata(s3, src):
    s3.save(MP4, src(), "video/mp4", public=True)
    s3.save(ORIGINAL, src(), "video/mp4", public=False)
    listed = s3.client.list_objects_v2(Bucket=s3.bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted([MP4, ORIGINAL])
    head = s3.client.head_object(Bucket=s3.bucket, Key=MP4)
    assert (head["ContentType"], head["CacheControl"]) == ("video/mp4", IMMUTABLE)


def test_s3_ranged_get_with_boto3_and_over_http(s3_app, s3_server, src):
    data = bytes(range(256)) * 4
    storage = get_storage(s3_app)
    storage.save(MP4, src(data), "video/mp4", public=True)
    part = storage.client.get_object(Bucket=storage.bucket, Key=MP4, Range="bytes=100-199")
    assert part["Body"].read() == data[100:200]
    assert part["ContentRange"] == f"bytes 100-199/{len(data)}"

    storage = with_public_url(s3_app, f"{s3_server}/{storage.bucket}")
    url = storage.url(MP4)
    assert url == f"{s3_server}/{storage.bucket}/{MP4}"
    request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.read() == data[10:20]
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.headers["Cache-Control"] == IMMUTABLE


def test_s3_originals_are_not_public_when_a_public_url_is_set(s3_app, src):
    storage = with_public_url(s3_app, "https://cdn.example.com/media/")
    storage.save(ORIGINAL, src(), "video/mp4", public=False)
    storage.save(MP4, src(), "video/mp4", public=True)
    assert not _public_grants(storage, ORIGINAL)
    assert _public_grants(storage, MP4) == ["READ"]
    assert storage.url(MP4) == "https://cdn.example.com/media/" + MP4
    with pytest.raises(InvalidKey):
        storage.url(ORIGINAL)
    # The organizers' link: presigned by our credentials, for five minutes, on the bucket.
    signed = urlsplit(storage.signed_url(ORIGINAL))
    query = parse_qs(signed.query)
    assert not signed.geturl().startswith("https://cdn.example.com")
    assert signed.path == f"/{storage.bucket}/{ORIGINAL}"
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith("testing/")
    assert len(query["X-Amz-Signature"][0]) == 64


def test_s3_url_is_presigned_without_a_public_url(s3, src):
    s3.save(MP4, src(), "video/mp4", public=True)
    query = parse_qs(urlsplit(s3.url(MP4)).query)
    assert query["X-Amz-Expires"] == ["86400"]
    assert "X-Amz-Signature" in query
    assert parse_qs(urlsplit(s3.signed_url(MP4, expires_s=42)).query)["X-Amz-Expires"] == ["42"]


def test_s3_bucket_without_acls_gets_a_read_policy_that_skips_originals(s3_app, src):
    s3_app.config.update(S3_OBJECT_ACLS=False, S3_BUCKET=s3_app.config["S3_BUCKET"] + "-p")
    s3_app.extensions.pop("storage")
    storage = get_storage(s3_app)
    try:
        assert storage.ensure_bucket() is True
        assert storage.ensure_bucket() is False
        storage.save(MP4, src(), "video/mp4", public=True)
        assert not _public_grants(storage, MP4)  # no ACL sent; the policy grants reads
        policy = json.loads(storage.client.get_bucket_policy(Bucket=storage.bucket)["Policy"])
        (statement,) = policy["Statement"]
        assert statement["Principal"] == "*" and statement["Action"] == "s3:GetObject"
        assert statement["NotResource"] == f"arn:aws:s3:::{storage.bucket}/originals/*"
    finally:
        storage.delete_prefix("films/")
        storage.client.delete_bucket(Bucket=storage.bucket)


def test_s3_big_file_goes_up_in_parts(s3, tmp_path):
    big = tmp_path / "big.mp4"
    with open(big, "wb") as f:
        for _ in range(12):
            f.write(os.urandom(1024 * 1024))
    mb = 1024 * 1024
    s3.transfer_config = TransferConfig(multipart_threshold=5 * mb, multipart_chunksize=5 * mb)
    try:
        assert s3.save(MP4, big, "video/mp4", public=True) == 12 * mb
        head = s3.client.head_object(Bucket=s3.bucket, Key=MP4)
        assert head["ETag"].strip('"').endswith("-3")  # 5 + 5 + 2 MB
        assert (head["ContentLength"], head["ContentType"]) == (12 * mb, "video/mp4")
        assert _public_grants(s3, MP4) == ["READ"]
        s3.fetch(MP4, tmp_path / "back.mp4")
        assert (tmp_path / "back.mp4").read_bytes() == big.read_bytes()
    finally:
        s3.delete(MP4)


def _public_grants(storage, key):
    acl = storage.client.get_object_acl(Bucket=storage.bucket, Key=key)
    return [g["Permission"] for g in acl["Grants"] if g["Grantee"].get("URI") == ALL_USERS]
