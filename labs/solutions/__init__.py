"""Lab solutions: each ``labs/solutions/<slug_with_underscores>.py`` defines
``solve(session: LabSession) -> None``, which completes its lab the way a learner would,
through boto3 and the aws CLI against a live server.

``manage.py labs run-solution`` and the tests build a ``LabRun``: a fresh workspace from
the lab's setup, a ``LabSession`` on it, and the checks to run afterwards.
"""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.models import Workspace
from kmsconsole.kms.scheduled import expire_pending_deletions, rotate_due_keys
from kmsconsole.monitoring.alarms import evaluate_due_alarms

from ..checks import CheckContext, CheckResult
from ..format import Lab
from ..progress import check_all
from ..provisioning import ProvisionedLab, provision, require_lab, secret_of

# One attempt per call: a solution that expects an error must see it at once.
_NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})

Solution = Callable[["LabSession"], None]


class CLIError(Exception):
    """An aws CLI line a solution ran failed unexpectedly."""

    def __init__(self, line: str, result: subprocess.CompletedProcess[str]) -> None:
        super().__init__(f"`{line}` exited with {result.returncode}: {result.stderr.strip()}")
        self.result = result


class LabSession:
    """A learner's terminal, for solutions: credentials, clients and the CLI for the lab's
    identities, the setup's refs, and the workspace clock."""

    def __init__(self, endpoint: str, workspace: Workspace, refs: Mapping[str, Any], *, workdir: Path) -> None:
        self.endpoint = endpoint
        self.workspace = workspace
        self.refs = refs
        self.region = str(refs["region"])
        self.workdir = workdir
        # What the learner pasted into steps' text boxes, by step id.
        self.submissions: dict[str, str] = {}

    # -- setup refs

    def account_id(self, label: str = "A") -> str:
        return str(self.refs["accounts"][label]["account_id"])

    def key_id(self, ref: str) -> str:
        return str(self.refs["keys"][ref]["key_id"])

    def key_arn(self, ref: str) -> str:
        return str(self.refs["keys"][ref]["arn"])

    def alias(self, ref: str) -> str:
        """The key's alias, or its id if the setup gave it none."""
        entry = self.refs["keys"][ref]
        return str(entry.get("alias") or entry["key_id"])

    def ciphertext(self, ref: str) -> bytes:
        return base64.b64decode(self.refs["ciphertexts"][ref]["blob"])

    def user_arn(self, ref: str) -> str:
        return str(self.refs["users"][ref]["arn"])

    def role_arn(self, ref: str) -> str:
        return str(self.refs["roles"][ref]["arn"])

    def submit(self, step_id: str, text: str) -> None:
        """Paste ``text`` into a step's text box, as a learner does on the lab page."""
        self.submissions[step_id] = text

    # -- credentials and clients

    def credentials(self, *, account: str = "A", user: str | None = None) -> dict[str, str]:
        """``{"AccessKeyId": ..., "SecretAccessKey": ...}`` of account ``account``'s admin,
        or of setup user ``user``."""
        if user is not None:
            access_key_id = str(self.refs["users"][user]["access_key_id"])
        else:
            access_key_id = str(self.refs["accounts"][account]["admin_access_key_id"])
        return {"AccessKeyId": access_key_id, "SecretAccessKey": secret_of(access_key_id)}

    def client(
        self,
        service: str,
        *,
        account: str = "A",
        user: str | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> Any:
        """A boto3 client against the live server, as account ``account``'s admin, setup
        user ``user``, or explicit ``credentials`` (an STS ``Credentials`` mapping)."""
        chosen = credentials or self.credentials(account=account, user=user)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=chosen["AccessKeyId"],
            aws_secret_access_key=chosen["SecretAccessKey"],
            aws_session_token=chosen.get("SessionToken"),
            config=_NO_RETRIES,
        )

    def cli_environment(
        self, *, account: str = "A", user: str | None = None, credentials: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The environment a learner's shell has after the lab page's ``export`` lines."""
        chosen = credentials or self.credentials(account=account, user=user)
        environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        environment.update(
            {
                "PATH": f"{self._aws_command_dir()}{os.pathsep}{os.environ.get('PATH', '')}",
                "AWS_ACCESS_KEY_ID": chosen["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": chosen["SecretAccessKey"],
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_CONFIG_FILE": str(self.workdir / "aws-config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(self.workdir / "aws-credentials"),
                "AWS_MAX_ATTEMPTS": "1",
                "AWS_PAGER": "",
            }
        )
        if chosen.get("SessionToken"):
            environment["AWS_SESSION_TOKEN"] = chosen["SessionToken"]
        return environment

    def run_cli(
        self,
        line: str,
        *,
        account: str = "A",
        user: str | None = None,
        credentials: Mapping[str, str] | None = None,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a shell line (``aws kms ... | jq ...``) in the session's working directory.
        With ``check`` a non-zero exit raises ``CLIError``; pass ``check=False`` to look at
        an error the lab wants the learner to meet."""
        result = subprocess.run(
            line,
            shell=True,
            cwd=self.workdir,
            env=self.cli_environment(account=account, user=user, credentials=credentials),
            input=input,
            capture_output=True,
            text=True,
        )
        if check and result.returncode != 0:
            raise CLIError(line, result)
        return result

    def _aws_command_dir(self) -> Path:
        """A directory with an ``aws`` command that runs this interpreter's awscli."""
        directory = self.workdir / "bin"
        command = directory / "aws"
        if not command.exists():
            directory.mkdir(parents=True, exist_ok=True)
            command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m awscli "$@"\n')
            command.chmod(0o755)
        return directory

    # -- time

    def advance_clock(self, days: float) -> datetime:
        """Move the workspace clock forward and run, in this process, the work that fell
        due: automatic rotations, deletions whose waiting period ended, then the alarms."""
        now = move_clock(self.workspace, timedelta(days=days))
        rotate_due_keys(workspace_id=self.workspace.pk)
        expire_pending_deletions(workspace_id=self.workspace.pk)
        evaluate_due_alarms(workspace_id=self.workspace.pk)
        return now


def solution_for(slug: str) -> Solution:
    """The ``solve`` function of lab ``slug``; LookupError if it has none."""
    return solution_of(require_lab(slug))


def solution_of(lab: Lab) -> Solution:
    try:
        module = importlib.import_module(lab.solution_module)
    except ModuleNotFoundError as missing:
        if missing.name != lab.solution_module:
            raise
        raise LookupError(f"Lab {lab.slug!r} has no solution module {lab.solution_module}.") from None
    solve = getattr(module, "solve", None)
    if not callable(solve):
        raise LookupError(f"{lab.solution_module} does not define solve(session).")
    return solve  # type: ignore[no-any-return]


@dataclass
class LabRun:
    """One lab provisioned in a fresh workspace, with a session on it and its checks."""

    lab: Lab
    provisioned: ProvisionedLab
    session: LabSession

    def context(self) -> CheckContext:
        return CheckContext(
            self.provisioned.workspace,
            self.provisioned.refs,
            started_at=self.provisioned.started_at,
            event_floor=self.provisioned.event_floor,
            submissions=self.session.submissions,
        )

    def check_all(self) -> dict[str, list[CheckResult]]:
        return check_all(self.lab, self.context())

    def solve(self) -> None:
        solution_of(self.lab)(self.session)


def start_run(slug: str, endpoint: str, *, workdir: Path | None = None) -> LabRun:
    lab = require_lab(slug)
    provisioned = provision(lab)
    directory = workdir or Path(tempfile.mkdtemp(prefix=f"lab-{slug}-"))
    directory.mkdir(parents=True, exist_ok=True)
    return LabRun(lab, provisioned, LabSession(endpoint, provisioned.workspace, provisioned.refs, workdir=directory))
