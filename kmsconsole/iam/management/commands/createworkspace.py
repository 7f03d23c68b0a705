"""``manage.py createworkspace NAME [--json]``: a workspace with accounts A and B.

The ``--json`` output is an interface other tools parse; keep its shape exactly.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kmsconsole.iam.provisioning import WorkspaceExists, create_workspace


class Command(BaseCommand):
    help = "Create a workspace with two accounts (A and B), each with an IAM user 'admin'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="A unique workspace name")
        parser.add_argument("--json", action="store_true", help="Print the credentials as one JSON object")
        parser.add_argument("--region", default="us-east-1", help="Home region (default us-east-1)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            provisioned = create_workspace(options["name"], region=options["region"])
        except WorkspaceExists as exists:
            raise CommandError(str(exists)) from None
        summary = provisioned.as_json()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(_aws_profiles(summary))


def _aws_profiles(summary: dict[str, Any]) -> str:
    """Ready-to-paste ``aws configure`` commands, one profile per account."""
    lines = [f"# Workspace {summary['name']}: paste these to create one aws CLI profile per account."]
    for account in summary["accounts"]:
        profile = f"{summary['name']}-{account['label'].lower()}"
        admin = account["admin"]
        lines += [
            "",
            f"# Account {account['label']} ({account['account_id']}), user {admin['arn']}",
            f"aws configure set aws_access_key_id {admin['access_key_id']} --profile {profile}",
            f"aws configure set aws_secret_access_key {admin['secret_access_key']} --profile {profile}",
            f"aws configure set region {summary['region']} --profile {profile}",
        ]
    lines += [
        "",
        "# Then, for example:",
        f"aws --profile {summary['name']}-a --endpoint-url http://127.0.0.1:8000 kms list-keys",
    ]
    return "\n".join(lines) + "\n"
