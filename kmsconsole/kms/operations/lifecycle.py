"""Creating, describing and listing keys."""

from __future__ import annotations

from kmsconsole.audit.recorder import current_draft
from kmsconsole.engine import keyspecs
from kmsconsole.engine.enums import KeySpec, KeyUsage, Origin
from kmsconsole.engine.errors import UnsupportedOperationException, ValidationException
from kmsconsole.iam.callers import Caller

from .. import authz
from ..creation import create_key_row
from ..key_policy_rules import check_key_policy
from ..metadata import key_metadata
from ..models import Key, Tag
from ..pagination import paginate
from ..policies import default_key_policy
from ..tagging import check_new_tags
from .common import key_for
from .registry import Request, Response, operation


@operation("CreateKey")
def create_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html"""
    spec = _requested_spec(request)
    usage = keyspecs.check_spec_and_usage(spec, _optional_usage(request))
    origin = request.get("Origin", Origin.AWS_KMS)
    if origin in (Origin.AWS_CLOUDHSM, Origin.EXTERNAL_KEY_STORE) or request.get("CustomKeyStoreId"):
        raise UnsupportedOperationException("Custom key stores are not supported by kmsconsole.")
    if request.get("MultiRegion"):
        raise UnsupportedOperationException("Multi-Region keys are not supported by kmsconsole yet.")
    policy = request.get("Policy") or default_key_policy(caller.account_id)
    tags = check_new_tags(request.get("Tags", []))
    authz.decide(caller, "kms:CreateKey").enforce()
    if request.get("Policy"):
        check_key_policy(
            caller, policy, key_arn="*", bypass_lockout_check=bool(request.get("BypassPolicyLockoutSafetyCheck"))
        )
    key = create_key_row(
        caller.account,
        caller.region,
        key_spec=spec,
        key_usage=usage,
        policy=policy,
        now=caller.now,
        description=request.get("Description", ""),
        origin=origin,
    )
    Tag.objects.bulk_create(Tag(key=key, tag_key=k, tag_value=v) for k, v in tags.items())
    current_draft().note_key(key.arn, caller.account_id)
    return {"KeyMetadata": key_metadata(key)}


def _requested_spec(request: Request) -> KeySpec:
    key_spec = request.get("KeySpec")
    legacy_spec = request.get("CustomerMasterKeySpec")
    if key_spec and legacy_spec:
        raise ValidationException(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. "
            "CustomerMasterKeySpec is deprecated."
        )
    return KeySpec(key_spec or legacy_spec or KeySpec.SYMMETRIC_DEFAULT)


def _optional_usage(request: Request) -> KeyUsage | None:
    usage = request.get("KeyUsage")
    return KeyUsage(usage) if usage else None


@operation("DescribeKey", read_only=True)
def describe_key(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html"""
    key = key_for(caller, request["KeyId"], operation="DescribeKey")
    return {"KeyMetadata": key_metadata(key)}


@operation("ListKeys", read_only=True)
def list_keys(caller: Caller, request: Request) -> Response:
    """https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html"""
    authz.decide(caller, "kms:ListKeys").enforce()
    rows = Key.objects.filter(account=caller.account, region=caller.region).only("key_id", "arn")
    page = paginate(rows, order_field="key_id", request=request, default_limit=100, max_limit=1000)
    return {"Keys": [{"KeyId": key.key_id, "KeyArn": key.arn} for key in page.items], **page.envelope()}
