"""Who is making a request: the principal, the region it addressed, and where it came from.

Every operation takes a ``Caller``. The API builds one from a verified SigV4 request, the
console from the signed-in user's chosen principal, labs and tasks from a principal of
their workspace, so every path is authorized and audited the same way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from .models import Account, Principal, PrincipalType, Workspace


@dataclass
class Caller:
    principal: Principal
    region: str
    access_key_id: str = ""
    source_ip: str = "127.0.0.1"
    user_agent: str = "kmsconsole"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Set when a simulated AWS service (s3.amazonaws.com, ...) calls on the principal's behalf.
    via_service: str = ""

    @property
    def account(self) -> Account:
        return self.principal.account

    @property
    def account_id(self) -> str:
        return self.principal.account.account_id

    @property
    def workspace(self) -> Workspace:
        return self.principal.account.workspace

    @property
    def arn(self) -> str:
        return self.principal.arn

    @cached_property
    def now(self) -> datetime:
        """The workspace clock, read once so that one request sees one instant."""
        return self.workspace.now()

    def user_identity(self) -> dict[str, object]:
        """CloudTrail's ``userIdentity`` block for this caller."""
        principal = self.principal
        identity: dict[str, object] = {
            "type": principal.kind,
            "principalId": self.account_id if principal.kind == PrincipalType.ROOT else principal.unique_id,
            "arn": principal.arn,
            "accountId": self.account_id,
        }
        if self.access_key_id:
            identity["accessKeyId"] = self.access_key_id
        if principal.kind == PrincipalType.USER:
            identity["userName"] = principal.name
        if self.via_service:
            identity["invokedBy"] = self.via_service
        return identity
