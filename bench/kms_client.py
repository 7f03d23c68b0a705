"""A minimal AWS JSON 1.1 client for the benchmark: a SigV4 signer and one keep-alive connection.

The benchmark signs its own requests instead of using boto3 so that, with clients and
server sharing two cores, the clients spend as little CPU as possible and the server's
figures stay honest. Written from the public SigV4 description; only what a KMS
``POST /`` needs: no query strings, no session tokens, no chunked payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
CONTENT_TYPE = "application/x-amz-json-1.1"
SIGNED_HEADERS = "content-type;host;x-amz-date;x-amz-target"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Signer:
    """Signs requests for one access key, region and service.

    The signing key depends only on the day, so it is derived once per day rather than
    per request (four HMACs saved per call).
    """

    def __init__(self, access_key_id: str, secret_access_key: str, region: str = "us-east-1", service: str = "kms"):
        self.access_key_id = access_key_id
        self._secret = secret_access_key
        self.region = region
        self.service = service
        self._day = ""
        self._signing_key = b""

    def _key_for(self, day: str) -> bytes:
        if day != self._day:
            key = _hmac(f"AWS4{self._secret}".encode(), day)
            for part in (self.region, self.service, "aws4_request"):
                key = _hmac(key, part)
            self._day, self._signing_key = day, key
        return self._signing_key

    def headers(self, host: str, target: str, body: bytes) -> dict[str, str]:
        """The headers of a signed ``POST /`` carrying ``body`` for ``X-Amz-Target: target``."""
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        day = amz_date[:8]
        canonical_request = "\n".join([
            "POST", "/", "",
            f"content-type:{CONTENT_TYPE}", f"host:{host}", f"x-amz-date:{amz_date}", f"x-amz-target:{target}", "",
            SIGNED_HEADERS, hashlib.sha256(body).hexdigest(),
        ])  # fmt: skip
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
        signature = hmac.new(self._key_for(day), string_to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-Amz-Date": amz_date,
            "X-Amz-Target": target,
            "Authorization": (
                f"{ALGORITHM} Credential={self.access_key_id}/{scope}, "
                f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
            ),
        }


class KMSConnection:
    """One persistent HTTP/1.1 connection to a KMS endpoint, signing every call."""

    def __init__(self, endpoint_url: str, signer: Signer, timeout_s: float = 30.0):
        parts = urlsplit(endpoint_url)
        self.host = parts.netloc
        self.signer = signer
        self.reconnects = 0
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)

    def call_raw(self, operation: str, body: bytes) -> tuple[int, bytes]:
        """Send one already-encoded request; return the status and body.

        A keep-alive connection the server has closed in the meantime is reopened once.
        """
        headers = self.signer.headers(self.host, f"TrentService.{operation}", body)
        try:
            return self._send(headers, body)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._connection.close()
            self.reconnects += 1
            return self._send(headers, body)

    def _send(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        self._connection.request("POST", "/", body=body, headers=headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Call ``operation`` with a JSON payload; raise ``KMSCallFailed`` on any non-200."""
        status, body = self.call_raw(operation, json.dumps(payload).encode())
        if status != 200:
            raise KMSCallFailed(operation, status, body)
        return json.loads(body) if body else {}

    def close(self) -> None:
        self._connection.close()


class KMSCallFailed(Exception):
    def __init__(self, operation: str, status: int, body: bytes):
        self.operation = operation
        self.status = status
        try:
            error = json.loads(body)
            self.code = str(error.get("__type", "")).rpartition("#")[2]
            self.message = str(error.get("message") or error.get("Message") or "")
        except ValueError:
            self.code, self.message = "", body[:200].decode(errors="replace")
        super().__init__(f"{operation} answered HTTP {status}: {self.code} {self.message}".strip())
