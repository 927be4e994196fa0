"""A real S3 endpoint for tests: moto's standalone server over HTTP on 127.0.0.1.

boto3 is never patched in-process; the code under test talks HTTP to the server
exactly as it would to MinIO or AWS. moto keeps objects in memory, so tests keep
them small and each test's bucket is emptied and removed afterwards.
"""
import logging
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

from contest.storage import get_storage

# Dummy credentials, and no reading of the developer's own AWS files.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


@pytest.fixture(scope="session")
def s3_server():
    """The endpoint URL of a moto S3 server running for the whole session."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in AWS_ENV.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        # The server logs each request through werkzeug; keep failure output readable.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()  # port 0: the OS picks a free port, no race with other runs
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def s3_app(app, s3_server):
    """The test app with STORAGE=s3 on the moto server and a fresh bucket of its own.

    To try other S3 settings (S3_PUBLIC_URL, S3_OBJECT_ACLS), change app.config and
    drop app.extensions["storage"]; the next get_storage() builds a new one.
    """
    bucket = f"test-{uuid.uuid4().hex[:16]}"
    app.config.update(STORAGE="s3", S3_BUCKET=bucket, S3_ENDPOINT_URL=s3_server,
                      S3_REGION="us-east-1", S3_PUBLIC_URL="")
    app.extensions.pop("storage", None)
    get_storage(app).ensure_bucket()
    yield app
    app.extensions.pop("storage", None)
    remove_bucket(s3_server, bucket)


def remove_bucket(endpoint, bucket):
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    client.delete_bucket(Bucket=bucket)
