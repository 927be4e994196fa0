"""Media storage: one interface, two backends (a local folder, or S3 through boto3).

Keys are made by the server ("films/<id>/720.mp4"); they are checked anyway, so a
key can never name a path outside MEDIA_ROOT. Everything under PRIVATE_PREFIX
(the filmmakers' originals) is private: no public URL, only short-lived signed
links. Every other key is public.
"""
import io
import json
import os
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import current_app, has_request_context, url_for
from itsdangerous import URLSafeSerializer

from contest import clock

PRIVATE_PREFIX = "originals/"
# The first segment the signed-link route uses (/media/signed/<token>).
RESERVED_SEGMENTS = ("signed",)
MAX_KEY_LENGTH = 255
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")  # never a leading dot

IMMUTABLE = "public, max-age=31536000, immutable"
# A playlist is rewritten when a film is processed again; let caches notice soon.
PLAYLIST = "public, max-age=300"
PRIVATE = "private, no-store"

# Presigned URLs for public objects when no CDN (S3_PUBLIC_URL) is configured.
PUBLIC_URL_EXPIRES_S = 24 * 3600
COPY_CHUNK = 1024 * 1024


class InvalidKey(ValueError):
    """A key that is not one the server would make."""


class LinkExpired(Exception):
    """A signed link that was genuine but is too old."""


def check_key(key):
    """Return key if it is a safe object key; raise InvalidKey otherwise."""
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH or ".." in key:
        raise InvalidKey(f"invalid storage key: {key!r}")
    segments = key.split("/")
    if segments[0] in RESERVED_SEGMENTS or not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


def check_prefix(prefix):
    """A prefix names a folder: a valid key followed by "/" (never "" = everything)."""
    if not isinstance(prefix, str) or not prefix.endswith("/"):
        raise InvalidKey(f"a prefix must end with '/': {prefix!r}")
    check_key(prefix[:-1])
    return prefix


def is_private(key):
    return key.startswith(PRIVATE_PREFIX)


def is_public_key(key):
    """True for a valid key that may be served to anyone."""
    try:
        check_key(key)
    except InvalidKey:
        return False
    return not is_private(key)


def default_cache_control(key):
    if is_private(key):
        return PRIVATE
    if key.endswith(".m3u8"):
        return PLAYLIST
    return IMMUTABLE


class Storage(ABC):
    """Where media objects live. Both backends behave the same way.

    save() streams a local file in (never whole into memory) and returns its size;
    ``public`` must agree with the key (True outside originals/, False inside), so the
    local folder and S3 can never disagree about who may read an object. Missing
    objects raise FileNotFoundError from open(), fetch(), size() and info().
    """

    backend = None

    @abstractmethod
    def save(self, key, path, content_type, *, public, cache_control=None):
        ...

    @abstractmethod
    def check(self):
        """Raise unless the backend answers (the readiness check)."""

    @abstractmethod
    def fetch(self, key, dest_path):
        ...

    @abstractmethod
    def open(self, key):
        ...

    @abstractmethod
    def info(self, key):
        """{"size", "content_type", "cache_control"} of a stored object."""

    @abstractmethod
    def exists(self, key):
        ...

    def size(self, key):
        return self.info(key)["size"]

    @abstractmethod
    def delete(self, key):
        """Remove an object; removing a missing one is not an error."""

    @abstractmethod
    def delete_prefix(self, prefix):
        """Remove every object under prefix (which ends with "/"); return how many."""

    def url(self, key):
        """The public URL of a public object; private keys have none."""
        check_key(key)
        if is_private(key):
            raise InvalidKey(f"{key!r} is private; use signed_url()")
        return self._public_url(key)

    @abstractmethod
    def signed_url(self, key, expires_s=300):
        """A link that works for expires_s seconds, for public and private keys."""

    @abstractmethod
    def _public_url(self, key):
        ...

    @staticmethod
    def _prepare(key, public, cache_control):
        check_key(key)
        if public == is_private(key):
            raise InvalidKey(f"{key!r}: objects are private exactly when under {PRIVATE_PREFIX}")
        return cache_control or default_cache_control(key)


class LocalStorage(Storage):
    """A folder; the files blueprint serves it at /media/ with Range support.

    Content type and cache control are kept in a sidecar under MEDIA_ROOT/.meta/
    (no key can start with "." so no key can reach it).
    """

    backend = "local"

    def __init__(self, root, secret_key):
        self.root = Path(root).resolve()
        self._signer = URLSafeSerializer(secret_key, salt="contest.media.signed")

    def path(self, key):
        check_key(key)
        path = self.root / key
        # Keys cannot climb out; a symlink planted in the folder must not either.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKey(f"invalid storage key: {key!r}")
        return path

    def _meta_path(self, key):
        return self.root / ".meta" / (check_key(key) + ".json")

    def check(self):
        """Raise unless the folder can be written (the readiness check)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise PermissionError(f"{self.root} is not writable")

    def save(self, key, path, content_type, *, public, cache_control=None):
        cache_control = self._prepare(key, public, cache_control)
        meta = {"content_type": content_type, "cache_control": cache_control}
        with open(path, "rb") as source:
            _copy_atomic(io.BytesIO(json.dumps(meta).encode()), self._meta_path(key))
            _copy_atomic(source, self.path(key))
        return self.path(key).stat().st_size

    def fetch(self, key, dest_path):
        shutil.copyfile(self.path(key), dest_path)

    def open(self, key):
        return open(self.path(key), "rb")

    def info(self, key):
        if not self.path(key).is_file():  # a folder is not an object either
            raise FileNotFoundError(f"no stored object {key!r}")
        size = self.path(key).stat().st_size
        try:
            meta = json.loads(self._meta_path(key).read_text())
        except FileNotFoundError:
            meta = {"content_type": "application/octet-stream"}
        meta.setdefault("cache_control", default_cache_control(key))
        return {"size": size, **meta}

    def exists(self, key):
        return self.path(key).is_file()

    def delete(self, key):
        for path in (self.path(key), self._meta_path(key)):
            path.unlink(missing_ok=True)
            self._prune(path.parent)

    def delete_prefix(self, prefix):
        folder = self.path(check_prefix(prefix)[:-1])
        count = sum(1 for p in folder.rglob("*") if p.is_file() and _is_object(p, folder))
        for path in (folder, self.root / ".meta" / prefix[:-1]):
            shutil.rmtree(path, ignore_errors=True)
            self._prune(path.parent)
        return count

    def signed_url(self, key, expires_s=300):
        expires = clock.now() + timedelta(seconds=expires_s)
        token = self._signer.dumps([check_key(key), int(_timestamp(expires))])
        return _route_url("files.signed", token=token)

    def key_for_token(self, token):
        """The key a signed link names; BadSignature if forged, LinkExpired if old."""
        key, expires = self._signer.loads(token)
        if _timestamp(clock.now()) > expires:
            raise LinkExpired(key)
        return check_key(key)

    def _public_url(self, key):
        return _route_url("files.public", key=key)

    def _prune(self, folder):
        """Remove empty folders left behind, up to (not including) the root."""
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent


class S3Storage(Storage):
    """An S3 bucket (or MinIO, or moto): public objects get a public-read ACL.

    With use_acl=False (buckets with ACLs disabled) no ACL is sent and
    ensure_bucket() writes a bucket policy that lets anyone read all but originals/.
    """

    backend = "s3"

    def __init__(self, bucket, *, endpoint_url=None, region="us-east-1", public_url="",
                 use_acl=True, transfer_config=None):
        self.bucket = bucket
        self.region = region
        self.public_url = (public_url or "").rstrip("/")
        self.use_acl = use_acl
        self.transfer_config = transfer_config or TransferConfig(
            multipart_threshold=64 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024,
            max_concurrency=4,
        )
        # Path-style addressing for MinIO and moto, which have no per-bucket hostnames.
        style = "path" if endpoint_url else "auto"
        config = Config(signature_version="s3v4", s3={"addressing_style": style},
                        retries={"mode": "standard"})
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region,
                                   config=config)

    def save(self, key, path, content_type, *, public, cache_control=None):
        extra = {"ContentType": content_type,
                 "CacheControl": self._prepare(key, public, cache_control)}
        if self.use_acl:
            extra["ACL"] = "public-read" if public else "private"
        size = os.path.getsize(path)
        self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra,
                                Config=self.transfer_config)
        return size

    def fetch(self, key, dest_path):
        with _not_found(key):
            self.client.download_file(self.bucket, check_key(key), str(dest_path),
                                      Config=self.transfer_config)

    def open(self, key):
        with _not_found(key):
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"]

    def info(self, key):
        with _not_found(key):
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        return {"size": head["ContentLength"], "content_type": head.get("ContentType"),
                "cache_control": head.get("CacheControl")}

    def exists(self, key):
        try:
            self.info(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def delete_prefix(self, prefix):
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=check_prefix(prefix))
        count = 0
        for page in pages:  # at most 1000 keys a page, as delete_objects allows
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket,
                                           Delete={"Objects": keys, "Quiet": True})
                count += len(keys)
        return count

    def signed_url(self, key, expires_s=300):
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)},
            ExpiresIn=expires_s)

    def _public_url(self, key):
        if self.public_url:
            return f"{self.public_url}/{key}"  # keys need no quoting: see check_key
        return self.signed_url(key, PUBLIC_URL_EXPIRES_S)

    def check(self):
        self.client.head_bucket(Bucket=self.bucket)

    def ensure_bucket(self):
        """Create the bucket if missing, ready for public reads; True if created."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return False
        except ClientError as error:
            if _status(error) != 404:
                raise
        self._create_bucket()
        return True

    def _create_bucket(self):
        args = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        if self.use_acl:
            # New AWS buckets refuse ACLs unless objects stay owned by their writer.
            args["ObjectOwnership"] = "ObjectWriter"
        self.client.create_bucket(**args)
        # AWS blocks public ACLs and policies on new buckets by default.
        self.client.delete_public_access_block(Bucket=self.bucket)
        if not self.use_acl:
            self.client.put_bucket_policy(Bucket=self.bucket, Policy=self.public_policy())
        # Players on other origins (hls.js) read playlists and segments with XHR.
        self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
             "AllowedHeaders": ["Range"], "MaxAgeSeconds": 3600}]})

    def public_policy(self):
        """Anyone may read any object except the originals."""
        return json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "PublicReadExceptOriginals", "Effect": "Allow", "Principal": "*",
            "Action": "s3:GetObject",
            "NotResource": f"arn:aws:s3:::{self.bucket}/{PRIVATE_PREFIX}*"}]})


def get_storage(app=None):
    """The app's storage, built once from its configuration."""
    app = app or current_app._get_current_object()
    storage = app.extensions.get("storage")
    if storage is None:
        storage = app.extensions["storage"] = _build(app.config)
    return storage


def _build(config):
    backend = config.get("STORAGE", "local")
    if backend == "local":
        return LocalStorage(config["MEDIA_ROOT"], config["SECRET_KEY"])
    if backend == "s3":
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE=s3 needs S3_BUCKET")
        return S3Storage(
            config["S3_BUCKET"], endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region=config.get("S3_REGION") or "us-east-1",
            public_url=config.get("S3_PUBLIC_URL", ""),
            use_acl=config.get("S3_OBJECT_ACLS", True),
        )
    raise RuntimeError(f"unknown STORAGE {backend!r}: use 'local' or 's3'")


def _route_url(endpoint, **values):
    """An absolute URL in a request (or with SERVER_NAME), else a site-relative path."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    return current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)


def _timestamp(naive_utc):
    return naive_utc.replace(tzinfo=UTC).timestamp()


def _is_object(path, folder):
    return not any(part.startswith(".") for part in path.relative_to(folder).parts)


def _copy_atomic(source, dest):
    """Stream source into dest through a temporary file, so readers never see half."""
    # The dot name keeps the temporary file out of reach of any key.
    with _temporary_beside(dest) as tmp:
        try:
            shutil.copyfileobj(source, tmp, COPY_CHUNK)
        except BaseException:
            os.unlink(tmp.name)
            raise
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, dest)


def _temporary_beside(dest, tries=3):
    """A temporary file in dest's folder, which a concurrent delete may have just pruned."""
    for attempt in range(tries):
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.NamedTemporaryFile(dir=dest.parent, prefix=".", delete=False)
        except FileNotFoundError:
            if attempt == tries - 1:
                raise


@contextmanager
def _not_found(key):
    """Turn S3's 404 into FileNotFoundError, as the local backend raises."""
    try:
        yield
    except ClientError as error:
        if _status(error) == 404:
            raise FileNotFoundError(f"no stored object {key!r}") from error
        raise


def _status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
