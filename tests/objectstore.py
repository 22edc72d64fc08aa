"""A real S3-compatible object store for the tests: moto's server mode, a separate
process on 127.0.0.1 (not an in-process mock), so boto3 and django-storages speak HTTP
to it exactly as they would to the LA's store."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ACCESS_KEY = "portal-test-key"
SECRET_KEY = "portal-test-secret"
REGION = "eu-west-2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_endpoint() -> str:
    """An address nothing listens on: a store that is down."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class ObjectStoreServer:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ObjectStoreServer:
        env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the object-store server (moto) exited on start")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the object-store server did not listen on {self.url}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def client(endpoint_url: str):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def s3_storage_setting(bucket: str, endpoint_url: str, **options) -> dict:
    """``STORAGES["private"]`` as portal/settings.py builds it from STORAGE_S3_*."""
    import botocore.config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": REGION,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
            "client_config": botocore.config.Config(
                connect_timeout=1, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}
            ),
            **options,
        },
    }


@dataclass
class Bucket:
    """One test's bucket on the server, and what is in it."""

    name: str
    endpoint_url: str

    def create(self) -> Bucket:
        client(self.endpoint_url).create_bucket(
            Bucket=self.name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return self

    def names(self) -> list[str]:
        answer = client(self.endpoint_url).list_objects_v2(Bucket=self.name)
        return sorted(o["Key"] for o in answer.get("Contents", []))

    def read(self, key: str) -> bytes:
        return client(self.endpoint_url).get_object(Bucket=self.name, Key=key)["Body"].read()

    def grants(self, key: str) -> list[str]:
        acl = client(self.endpoint_url).get_object_acl(Bucket=self.name, Key=key)
        return sorted(
            f"{g['Grantee'].get('URI') or g['Grantee'].get('ID')}:{g['Permission']}"
            for g in acl["Grants"]
        )
