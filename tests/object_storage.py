"""A real S3 API on loopback for the tests: moto's standalone server, started once per test session.

`s3_server` starts `python -m moto.server` on a free port of 127.0.0.1, waits until it answers and stops
it at the end. `object_storage` points Django's default storage at a new bucket of it, through the same
environment variables an operator sets (settings.upload_storage); `s3_server.environment(bucket)` gives
them for a server started in another process.
"""

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import boto3
import pytest

from reoffense_portal.settings import upload_storage

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "portal-test", "AWS_SECRET_ACCESS_KEY": "portal-test-secret"}
REGION = "ap-northeast-1"
# The machine's own AWS settings must not decide where the tests' files go.
AWS_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_S3_ACCESS_KEY_ID", "AWS_S3_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 — our own loopback server
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:  # not listening yet
        return False


@dataclass
class S3Server:
    endpoint_url: str

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def new_bucket(self) -> str:
        bucket = f"portal-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        return bucket

    def keys(self, bucket: str) -> list[str]:
        return sorted(item["Key"] for item in self.client().list_objects_v2(Bucket=bucket).get("Contents", []))

    def environment(self, bucket: str) -> dict[str, str]:
        """The variables an operator sets for the portal to keep its files in `bucket`."""
        return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint_url, "S3_REGION": REGION, **CREDENTIALS}


@pytest.fixture(scope="session")
def s3_server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = S3Server(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        while not answers(f"{server.endpoint_url}/moto-api/"):
            assert process.poll() is None, "the S3 server did not start"
            assert time.monotonic() < deadline, "the S3 server did not answer"
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        process.wait(10)


@dataclass
class Bucket:
    server: S3Server
    name: str

    def keys(self) -> list[str]:
        return self.server.keys(self.name)


@pytest.fixture
def object_storage(settings, s3_server, monkeypatch) -> Bucket:
    """Uploads go to a new bucket of the S3 server, configured as settings.py reads the environment."""
    bucket = s3_server.new_bucket()
    environment = s3_server.environment(bucket)
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": upload_storage(environment)}
    return Bucket(s3_server, bucket)
