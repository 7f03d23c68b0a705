"""Who is making a request: the principal, the region it addressed, and where it came from.

Every operation takes a ``Caller``. The API builds one from a verified SigV4 request, the
console from the signed-in user's chosen principal, labs and tasks from a principal of
their workspace, so every path is authorized and audited the same way.

A caller that signed with the temporary credentials of an assumed role carries that
session (the ``ASIA...`` access key row): its principal is the role, but it is named, as
AWS names it, by the session's ``arn:aws:sts::<account>:assumed-role/<role>/<session>``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from kmsconsole.engine.policy import PrincipalType as IdentityType

from .models import AccessKey, Account, Principal, PrincipalType, Workspace

_IDENTITY_TYPES: dict[str, IdentityType] = {
    PrincipalType.ROOT: "Root",
    PrincipalType.USER: "IAMUser",
    PrincipalType.ROLE: "Role",
}


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
    # The role session whose temporary key signed the request; ``principal`` is its role.
    session: AccessKey | None = None

    @property
    def invoked_by(self) -> str:
        """CloudTrail's name for the service: ``s3.amazonaws.com`` for the ViaService
        value ``s3.us-east-1.amazonaws.com``."""
        return f"{self.via_service.split('.', 1)[0]}.amazonaws.com" if self.via_service else ""

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
        if self.session is not None:
            return self.session.assumed_role_arn
        return self.principal.arn

    @property
    def identity_type(self) -> IdentityType:
        """CloudTrail's ``userIdentity.type``: ``Root``, ``IAMUser`` or ``AssumedRole``."""
        return "AssumedRole" if self.session is not None else _IDENTITY_TYPES[self.principal.kind]

    @property
    def user_id(self) -> str:
        """``aws:userid``, which GetCallerIdentity returns as ``UserId``."""
        if self.session is not None:
            return self.session.assumed_role_id
        if self.principal.kind == PrincipalType.ROOT:
            return self.account_id
        return self.principal.unique_id

    @cached_property
    def now(self) -> datetime:
        """The workspace clock, read once so that one request sees one instant."""
        return self.workspace.now()

    def user_identity(self) -> dict[str, object]:
        """CloudTrail's ``userIdentity`` block for this caller."""
        principal = self.principal
        identity: dict[str, object] = {
            "type": self.identity_type,
            "principalId": self.user_id,
            "arn": self.arn,
            "accountId": self.account_id,
        }
        if self.access_key_id:
            identity["accessKeyId"] = self.access_key_id
        if principal.kind == PrincipalType.USER:
            identity["userName"] = principal.name
        if self.session is not None:
            identity["sessionContext"] = self._session_context(self.session)
        if self.via_service:
            identity["invokedBy"] = self.invoked_by
        return identity

    def _session_context(self, session: AccessKey) -> dict[str, object]:
        """Who issued the session (the role) and when, as CloudTrail records assumed roles."""
        role = self.principal
        return {
            "sessionIssuer": {
                "type": PrincipalType.ROLE.value,
                "principalId": role.unique_id,
                "arn": role.arn,
                "accountId": self.account_id,
                "userName": role.name,
            },
            "attributes": {
                "creationDate": session.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mfaAuthenticated": "false",
            },
        }
