"""Calls through a simulated AWS service: kms:ViaService, service grants, invokedBy."""

import json
import uuid

import pytest

from kmsconsole.audit.models import Event
from kmsconsole.engine.errors import AccessDeniedException
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.identities import create_user
from kmsconsole.iam.identity_policies import put_inline_policy
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find
from kmsconsole.kms.services import via_service

pytestmark = pytest.mark.usefixtures("orm")


@pytest.fixture
def app_user():
    ws = create_workspace(f"svc-{uuid.uuid4().hex[:10]}").workspace
    account = ws.accounts.get(label="A")
    user = create_user(account, "app", now=ws.now())
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    put_inline_policy(user, "kms", json.dumps(allow_all))
    return user


def test_an_aws_managed_key_is_usable_only_through_its_service(app_user):
    caller = Caller(app_user, "us-east-1")
    with pytest.raises(AccessDeniedException):
        find("kms", "Encrypt")(caller, {"KeyId": "alias/aws/s3", "Plaintext": b"x"})
    blob = find("kms", "Encrypt")(via_service(caller, "s3"), {"KeyId": "alias/aws/s3", "Plaintext": b"x"})
    assert blob["KeyId"].startswith("arn:aws:kms:us-east-1:")
    with pytest.raises(AccessDeniedException):  # EBS's key is not S3's
        find("kms", "Encrypt")(via_service(caller, "s3"), {"KeyId": "alias/aws/ebs", "Plaintext": b"x"})
    find("kms", "Encrypt")(via_service(caller, "ebs"), {"KeyId": "alias/aws/ebs", "Plaintext": b"x"})


def test_cloudtrail_names_the_service_in_invoked_by(app_user):
    caller = via_service(Caller(app_user, "us-east-1"), "s3")
    find("kms", "GenerateDataKey")(caller, {"KeyId": "alias/aws/s3", "KeySpec": "AES_256"})
    record = Event.objects.filter(principal_arn=app_user.arn, event_name="GenerateDataKey").latest("id").record
    assert record["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
    assert record["sourceIPAddress"] == "s3.amazonaws.com"


def test_a_grant_for_an_aws_resource_needs_the_service(app_user):
    admin = Caller(Principal.objects.get(account=app_user.account, name="admin"), "us-east-1")
    root_arn = app_user.account.root_arn
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": root_arn}, "Action": "kms:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:CreateGrant",
                "Resource": "*",
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}},
            },
        ],
    }
    key = find("kms", "CreateKey")(admin, {"Policy": json.dumps(policy)})["KeyMetadata"]["KeyId"]
    grant = {"KeyId": key, "GranteePrincipal": app_user.arn, "Operations": ["Decrypt"]}
    caller = Caller(app_user, "us-east-1")
    with pytest.raises(AccessDeniedException) as raised:
        find("kms", "CreateGrant")(caller, grant)
    assert "explicit deny" in raised.value.message
    assert find("kms", "CreateGrant")(via_service(caller, "rds"), grant)["GrantId"]
