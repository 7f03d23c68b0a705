"""STS on the kmsconsole endpoint: GetCallerIdentity and AssumeRole."""

from __future__ import annotations

from kmsconsole.iam import sessions
from kmsconsole.iam.callers import Caller
from kmsconsole.kms.operations.registry import Request, Response, operation

from .common import refuse_unsupported

# AssumeRole members that change what a session may do (session policies, session tags,
# MFA, source identity). kmsconsole does not emulate them, and ignoring one would let a
# session do more, or less, than AWS would let it.
UNSUPPORTED_ASSUME_ROLE_MEMBERS = (
    "Policy",
    "PolicyArns",
    "Tags",
    "TransitiveTagKeys",
    "SerialNumber",
    "TokenCode",
    "SourceIdentity",
    "ProvidedContexts",
)


@operation("GetCallerIdentity", service="sts", read_only=True)
def get_caller_identity(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html

    Needs no permission: AWS answers it even under an explicit deny."""
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}


@operation("AssumeRole", service="sts")
def assume_role(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html"""
    refuse_unsupported(request, *UNSUPPORTED_ASSUME_ROLE_MEMBERS)
    session = sessions.assume_role(
        caller,
        request["RoleArn"],
        request["RoleSessionName"],
        request.get("DurationSeconds", sessions.DEFAULT_DURATION_SECONDS),
        external_id=request.get("ExternalId"),
    )
    return {
        "Credentials": {
            "AccessKeyId": session.access_key_id,
            "SecretAccessKey": session.secret_access_key,
            "SessionToken": session.session_token,
            "Expiration": session.expiration,
        },
        "AssumedRoleUser": {"AssumedRoleId": session.assumed_role_id, "Arn": session.assumed_role_arn},
    }
