"""Helpers the test modules share (fixtures live in conftest.py).

Test modules import these with ``from support import ...``: a plain module with a name of
its own, where ``from conftest import ...`` would be ambiguous once a subdirectory has a
conftest.py of its own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from kmsconsole.iam.provisioning import ProvisionedWorkspace

REGION = "us-east-1"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KMSCONSOLE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"


@dataclass
class Identity:
    """One signed-in identity: an account's admin user, as createworkspace prints it."""

    account_id: str
    arn: str
    access_key_id: str
    secret_access_key: str

    def client(self, service: str, endpoint: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            config=NO_RETRIES,
        )


def identity_of(provisioned: ProvisionedWorkspace, label: str) -> Identity:
    summary = provisioned.as_json()
    account = next(a for a in summary["accounts"] if a["label"] == label)
    admin = account["admin"]
    return Identity(account["account_id"], admin["arn"], admin["access_key_id"], admin["secret_access_key"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], deadline_s: float = 30.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the live server did not listen on port {port} within {deadline_s} s")


def cli_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (the README shows some)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
