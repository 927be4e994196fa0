"""Resumable uploads: one protocol, whether the parts go straight to S3 or to the app.

start -> part targets (a presigned S3 URL, or the app's own part endpoint) -> list
parts (to resume) -> complete (the film and its job) or abort. With S3 the bytes
never pass through the app; with local storage each part is written at its offset
in one temporary file under MEDIA_ROOT/.uploads/ (no key can start with ".", so
nothing there is ever served), beside a marker file per received part.
"""
import os
import secrets
import shutil
from datetime import UTC, timedelta
from pathlib import Path

from botocore.exceptions import ClientError
from flask import current_app

from contest import clock
from contest.errors import DomainError
from contest.extensions import db
from contest.models import Upload
from contest.models.base import public_id as new_public_id
from contest.operations.films import (
    EXTENSIONS,
    check_can_enter,
    check_size,
    check_title,
    new_film,
    queue_film,
)
from contest.storage import PRIVATE_PREFIX, get_storage

MIB = 1024 * 1024
S3_MIN_PART = 5 * MIB  # S3 refuses smaller parts, except the last
MAX_PARTS = 10_000
SIGNED_PART_EXPIRES_S = 900
COPY_CHUNK = MIB


# --- settings -----------------------------------------------------------------


def part_size_for(size, backend):
    """Parts are fixed size except the last, and at most 10,000 of them (as on S3)."""
    base = int(current_app.config.get("UPLOAD_PART_SIZE", 8 * MIB))
    if backend == "s3":
        base = max(base, S3_MIN_PART)
    needed = -(-size // MAX_PARTS)
    return base if needed <= base else -(-needed // MIB) * MIB


def abandon_after():
    return timedelta(hours=float(current_app.config.get("UPLOAD_ABANDON_AFTER_H", 24)))


# --- the protocol ---------------------------------------------------------------


def start_upload(contest, user, *, file_name, size, fingerprint=None):
    """A new upload, or the open one of the same file (resume); rules checked first."""
    check_can_enter(contest, user)
    size = _check_declared(file_name, size)
    check_size(contest, size)
    fingerprint = (str(fingerprint)[:128] if fingerprint else None)
    if fingerprint:
        upload = _open_upload_of(contest, user, fingerprint, size)
        if upload is not None:
            upload.updated_at = clock.now()
            db.session.commit()
            return upload
    storage = get_storage()
    upload = Upload(user=user, contest=contest, backend=storage.backend, size=size,
                    file_name=(file_name or "")[:255] or None, fingerprint=fingerprint,
                    key=_original_key(file_name), public_id=new_public_id())
    if storage.backend == "s3":
        upload.s3_upload_id = _s3_create(storage, upload.key)
    else:
        _local_create(upload)
    db.session.add(upload)
    db.session.commit()
    return upload


def get_upload(public_id, user):
    """The user's own upload; anyone else's is a 404 (nothing to learn)."""
    upload = db.session.scalar(db.select(Upload).filter_by(public_id=str(public_id)))
    if upload is None or upload.user_id != user.id:
        raise DomainError("No upload has that address.", status=404)
    return upload


def part_count(upload):
    return max(1, -(-upload.size // upload_part_size(upload)))


def upload_part_size(upload):
    return part_size_for(upload.size, upload.backend)


def part_length(upload, number):
    """How many bytes part `number` (1-based) must have; DomainError if there is no such part."""
    count = part_count(upload)
    if not isinstance(number, int) or not 1 <= number <= count:
        raise DomainError(f"This upload has parts 1 to {count}.", status=404)
    return min(upload_part_size(upload), upload.size - (number - 1) * upload_part_size(upload))


def part_target(upload, number, local_url, local_headers=None):
    """Where and how to send part `number`: {url, method, headers, expires_in}.

    local_url is the app's own part endpoint, used when the storage is a local folder.
    """
    _check_open(upload)
    part_length(upload, number)
    upload.updated_at = clock.now()
    db.session.commit()
    if upload.backend != "s3":
        return {"url": local_url, "method": "PUT", "headers": dict(local_headers or {}),
                "expires_in": None}
    storage = get_storage()
    url = storage.client.generate_presigned_url(
        "upload_part", HttpMethod="PUT", ExpiresIn=SIGNED_PART_EXPIRES_S,
        Params={"Bucket": storage.bucket, "Key": upload.key, "UploadId": upload.s3_upload_id,
                "PartNumber": number})
    return {"url": url, "method": "PUT", "headers": {}, "expires_in": SIGNED_PART_EXPIRES_S}


def receive_part(upload, number, stream, length):
    """Local storage: write part `number` from stream at its offset; sending it twice is fine."""
    _check_open(upload)
    if upload.backend != "local":
        raise DomainError("Send the parts of this upload to the storage URL you were given.",
                          status=409)
    expected = part_length(upload, number)
    if length != expected:
        raise DomainError(f"Part {number} must be {expected} bytes, not {length}.",
                          status=413 if (length or 0) > expected else 422, code="part_size")
    folder = _local_folder(upload)
    with open(folder / "data", "r+b") as data:
        data.seek((number - 1) * upload_part_size(upload))
        written = _copy_exactly(stream, data, expected)
    if written != expected:
        raise DomainError(f"Part {number} arrived incomplete; send it again.", status=422,
                          code="part_size")
    marker = folder / "parts" / str(number)
    marker.write_text(str(written))
    upload.updated_at = clock.now()
    db.session.commit()
    return _etag(number, written)


def list_parts(upload):
    """The parts received so far: [{part_number, size, etag}], in order."""
    if upload.state != "open":
        return []
    if upload.backend == "s3":
        parts = _s3_parts(upload)
    else:
        parts = _local_parts(upload)
    upload.received = sum(p["size"] for p in parts)
    db.session.commit()
    return parts


def describe(upload, parts=None):
    """The state a client needs to go on: plain values for JSON."""
    parts = list_parts(upload) if parts is None else parts
    return {"id": upload.public_id, "state": upload.state, "size": upload.size,
            "file_name": upload.file_name, "part_size": upload_part_size(upload),
            "parts": part_count(upload), "received": upload.received,
            "received_parts": [p["part_number"] for p in parts],
            "etags": {str(p["part_number"]): p["etag"] for p in parts},
            "film": upload.film_id and _film_public_id(upload)}


def complete_upload(upload, *, title, description):
    """Assemble the parts, check the whole, and enter the film; its job probes it."""
    title = check_title(title)
    _check_open(upload)
    contest = upload.contest
    check_can_enter(contest, upload.user)
    parts = list_parts(upload)
    _check_all_parts(upload, parts)
    if upload.backend == "s3":
        _s3_complete(upload, parts)
    else:
        _local_complete(upload)
    film = new_film(contest, upload.user, title=title, description=description,
                    original_name=upload.file_name, size=upload.size,
                    public_id=upload.key.split("/")[1])
    film.original_key = upload.key
    upload.state, upload.film, upload.received = "complete", film, upload.size
    return queue_film(film)


def abort_upload(upload):
    """Drop the parts received so far; the upload cannot go on after this."""
    if upload.state != "open":
        raise DomainError("This upload is already finished.", status=409)
    _discard(upload)
    upload.state = "aborted"
    db.session.commit()


def cleanup_abandoned():
    """Abort open uploads idle for longer than UPLOAD_ABANDON_AFTER_H, and on S3 the
    multipart uploads in the bucket that no upload row knows. Returns (rows, orphans)."""
    cutoff = clock.now() - abandon_after()
    stale = db.session.scalars(db.select(Upload).where(
        Upload.state == "open", Upload.updated_at < cutoff)).all()
    for upload in stale:
        _discard(upload)
        upload.state = "aborted"
    db.session.commit()
    orphans = _s3_orphans(cutoff) if get_storage().backend == "s3" else 0
    return len(stale), orphans


# --- checks -------------------------------------------------------------------


def _check_declared(file_name, size):
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise DomainError("Give the file's size in bytes.", status=422, field="size")
    if Path(file_name or "").suffix.lower() not in EXTENSIONS:
        raise DomainError("Upload a video file: MP4, MOV, M4V, 3GP, MKV or WebM.", status=422,
                          field="file_name")
    return size


def _check_open(upload):
    if upload.state != "open":
        raise DomainError("This upload is already finished; start a new one.", status=409,
                          code="upload_closed")


def _check_all_parts(upload, parts):
    have = {p["part_number"]: p["size"] for p in parts}
    missing = [n for n in range(1, part_count(upload) + 1) if n not in have]
    if missing:
        raise DomainError(f"Parts {', '.join(map(str, missing[:10]))} have not arrived yet.",
                          status=409, code="parts_missing")
    if sum(have.values()) != upload.size:
        _refuse(upload, "The parts do not add up to the file's size; upload it again.", 422)


def _refuse(upload, message, status):
    """A finished upload that cannot be a film: drop it and say why."""
    _discard(upload)
    upload.state = "aborted"
    db.session.commit()
    raise DomainError(message, status=status, code="too_large" if status == 413 else None)


def _open_upload_of(contest, user, fingerprint, size):
    return db.session.scalar(db.select(Upload).filter_by(
        user_id=user.id, contest_id=contest.id, fingerprint=fingerprint, size=size,
        state="open").order_by(Upload.id.desc()).limit(1))


def _original_key(file_name):
    """originals/<the film's future public id>/<random><ext>, as films.original_key makes."""
    suffix = Path(file_name or "").suffix.lower()
    return f"{PRIVATE_PREFIX}{new_public_id()}/{secrets.token_hex(8)}{suffix}"


def _film_public_id(upload):
    return upload.key.split("/")[1]


def _etag(number, size):
    return f'"{number}-{size}"'


def _discard(upload):
    if upload.backend == "s3":
        storage = get_storage()
        try:
            storage.client.abort_multipart_upload(Bucket=storage.bucket, Key=upload.key,
                                                  UploadId=upload.s3_upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
    else:
        shutil.rmtree(_local_folder(upload), ignore_errors=True)


# --- S3 -------------------------------------------------------------------------


def _s3_create(storage, key):
    extra = {"ContentType": "application/octet-stream", "CacheControl": "private, no-store"}
    if storage.use_acl:
        extra["ACL"] = "private"
    answer = storage.client.create_multipart_upload(Bucket=storage.bucket, Key=key, **extra)
    return answer["UploadId"]


def _s3_parts(upload):
    storage = get_storage()
    pages = storage.client.get_paginator("list_parts").paginate(
        Bucket=storage.bucket, Key=upload.key, UploadId=upload.s3_upload_id)
    try:
        return [{"part_number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"]}
                for page in pages for p in page.get("Parts", [])]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
            _refuse(upload, "This upload expired; start it again.", 409)
        raise


def _s3_complete(upload, parts):
    """Complete with the ETags S3 itself lists, then check the object S3 assembled."""
    storage = get_storage()
    try:
        storage.client.complete_multipart_upload(
            Bucket=storage.bucket, Key=upload.key, UploadId=upload.s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": p["part_number"], "ETag": p["etag"]}
                                       for p in parts]})
    except ClientError as error:
        # Parts under S3's 5 MiB minimum (but the last) make the whole upload unusable.
        if error.response.get("Error", {}).get("Code") not in ("EntityTooSmall", "InvalidPart"):
            raise
        _refuse(upload, "The parts of this upload do not fit together; upload it again.", 422)
    size = storage.size(upload.key)
    _check_assembled(upload, size, lambda: storage.delete(upload.key))


def _check_assembled(upload, size, delete):
    contest = upload.contest
    if size > contest.max_size_mb * MIB:
        delete()
        _refuse(upload, f"This file is larger than the {contest.max_size_mb} MB this contest "
                        "allows.", 413)
    if size != upload.size:
        delete()
        _refuse(upload, "The file that arrived is not the size announced; upload it again.",
                422)


def _s3_orphans(cutoff):
    """Abort multipart uploads under originals/ older than cutoff that no open row knows."""
    storage = get_storage()
    known = set(db.session.scalars(db.select(Upload.s3_upload_id).where(
        Upload.state == "open", Upload.s3_upload_id.is_not(None))))
    pages = storage.client.get_paginator("list_multipart_uploads").paginate(
        Bucket=storage.bucket, Prefix=PRIVATE_PREFIX)
    aborted = 0
    for page in pages:
        for item in page.get("Uploads", []):
            started = item["Initiated"].astimezone(UTC).replace(tzinfo=None)
            if item["UploadId"] in known or started >= cutoff:
                continue
            storage.client.abort_multipart_upload(Bucket=storage.bucket, Key=item["Key"],
                                                  UploadId=item["UploadId"])
            aborted += 1
    return aborted


# --- local folder -------------------------------------------------------------------


def _local_folder(upload):
    return Path(get_storage().root) / ".uploads" / upload.public_id


def _local_create(upload):
    folder = _local_folder(upload)
    (folder / "parts").mkdir(parents=True, exist_ok=True)
    with open(folder / "data", "wb") as data:
        data.truncate(upload.size)  # sparse: parts fill it in any order


def _local_parts(upload):
    folder = _local_folder(upload) / "parts"
    if not folder.is_dir():
        _refuse(upload, "This upload expired; start it again.", 409)
    parts = []
    for marker in folder.iterdir():
        if marker.name.isdigit():
            size = int(marker.read_text() or 0)
            parts.append({"part_number": int(marker.name), "size": size,
                          "etag": _etag(int(marker.name), size)})
    return sorted(parts, key=lambda p: p["part_number"])


def _local_complete(upload):
    """Move the assembled file into storage: a rename, not a copy, on the same disk."""
    folder = _local_folder(upload)
    data = folder / "data"
    _check_assembled(upload, data.stat().st_size, lambda: None)
    dest = get_storage().path(upload.key)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(data, 0o644)
    os.replace(data, dest)
    shutil.rmtree(folder, ignore_errors=True)


def _copy_exactly(stream, dest, length):
    """Copy at most length bytes; the count tells whether the client sent them all."""
    written = 0
    while written < length:
        chunk = stream.read(min(COPY_CHUNK, length - written))
        if not chunk:
            break
        dest.write(chunk)
        written += len(chunk)
    return written


# --- bucket CORS ----------------------------------------------------------------------


def cors_rules(origins):
    """The bucket's CORS rules: players read from anywhere; browsers on the site's
    origins also PUT parts straight to S3 and must be able to read each part's ETag."""
    # S3 takes the first rule that matches origin and method; moto answers preflights
    # from the last rule matching the origin and other requests from the first. The
    # site's rule is last and complete, and both expose ETag, so all of them agree.
    return [
        {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
         "AllowedHeaders": ["Range"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3600},
        {"AllowedMethods": ["GET", "HEAD", "PUT"], "AllowedOrigins": list(origins),
         "AllowedHeaders": ["Content-Type", "Range"], "ExposeHeaders": ["ETag"],
         "MaxAgeSeconds": 3600},
    ]


def set_bucket_cors(origins):
    """Write cors_rules(origins) on the S3 bucket; returns the rules."""
    storage = get_storage()
    if storage.backend != "s3":
        raise DomainError("CORS rules are for S3 storage (STORAGE=s3).", status=409)
    if not origins:
        raise DomainError("Name the site's origin, e.g. https://films.example.org.", status=422)
    rules = cors_rules(origins)
    storage.client.put_bucket_cors(Bucket=storage.bucket,
                                   CORSConfiguration={"CORSRules": rules})
    return rules
