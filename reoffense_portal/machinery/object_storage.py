"""Uploaded files in an S3-compatible bucket, for several app servers (django-storages).

Every stored file (plan documents, meeting materials, a 案's document) is reached through Django's storage
API, never by a path on disk, so any app server reads what another one stored. With `S3_BUCKET` set
(settings.upload_storage), `ObjectStorage` is the default storage; without it, the disk under MEDIA_ROOT.
Residents never get an address of the bucket: they download through the portal's views, which check
publication before they read a byte (reoffense_portal/machinery/uploads.py). Imported only when configured.
"""

import posixpath
from urllib.parse import urljoin

from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.utils.crypto import get_random_string
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

MB = 1024 * 1024


class StoredStream:
    """A stored object read once from start to end as it arrives, never whole in memory; `size` from its header."""

    def __init__(self, body, size: int, name: str):
        self._body = body
        self.size = size
        self.name = name

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class ObjectStorage(S3Storage):
    """An S3-compatible bucket as Django's default storage, for any number of app servers.

    - An upload never takes the name of a stored file: a published version links its documents by name,
      so a replaced file must not change what residents read. Two app servers may choose a name at the
      same moment, and not every S3-compatible server honours a create-only write, so each name gets a
      random part as well as the check that it is free.
    - url() gives no address of the bucket: like the disk storage it names the file under MEDIA_URL,
      which no view serves. Residents read files through the views that check publication first.
    - open_stream() reads an object as it arrives, for the responses that send it on.
    - Reading a file whole (open()) keeps at most 2 MB in memory, the rest in a temporary file; an
      unreachable bucket is given up on within seconds rather than holding a server process for minutes.
    """

    def get_default_settings(self):
        return {
            **super().get_default_settings(),
            "file_overwrite": False,
            "max_memory_size": 2 * MB,
        }

    def __init__(self, **options):
        super().__init__(**options)
        self.client_config = self.client_config.merge(
            Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
        )

    def get_available_name(self, name, max_length=None):
        directory, filename = posixpath.split(clean_name(name))
        stem, extension = posixpath.splitext(filename)
        unique = posixpath.join(directory, f"{stem}_{get_random_string(7)}{extension}")
        return super().get_available_name(unique, max_length)

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(clean_name(name)))

    def open_stream(self, name: str) -> StoredStream:
        """The object `name` as a stream; FileNotFoundError when the bucket has no such object."""
        key = self._normalize_name(clean_name(name))
        try:
            answer = self.bucket.Object(key).get()
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
                raise FileNotFoundError(f"File does not exist: {name}") from error
            raise
        return StoredStream(answer["Body"], answer["ContentLength"], name)

