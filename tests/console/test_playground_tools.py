"""The crypto playground: Encrypt/Decrypt, the envelope walk-through, Sign/Verify,
GenerateMac/VerifyMac and the blob inspector, all through the real operations."""

import base64
import json
import logging
import uuid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.audit.models import Event
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner():
    return User.objects.create_user(f"learner-{uuid.uuid4().hex[:6]}", password="pw-for-tests-only")


@pytest.fixture
def world(client, learner):
    provisioned = create_workspace(f"ws-{uuid.uuid4().hex[:8]}", owner=learner)
    client.force_login(learner)
    return provisioned


def admin(world):
    return Caller(principal=world.accounts[0].admin, region="us-east-1")


def kms(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def new_key(world, **request):
    return kms(admin(world), "CreateKey", request)["KeyMetadata"]["Arn"]


def with_context(params, context):
    return {**params, "ec_key": list(context), "ec_value": list(context.values())}


def everything_recorded(world):
    """Every audit record and trace of the workspace, as one text."""
    events = Event.objects.filter(workspace=world.workspace).values_list("record", "trace")
    return json.dumps(list(events))


def test_encrypt_then_decrypt_with_an_encryption_context(client, world):
    key_arn = new_key(world)
    sealed = client.post("/playground/encrypt/", with_context({"key": key_arn, "plaintext": "hello"}, {"app": "demo"}))
    assert sealed.status_code == 200
    blob = sealed.context["encrypt_result"]["ciphertext"]
    opened = client.post("/playground/decrypt/", with_context({"ciphertext": blob}, {"app": "demo"}))
    assert opened.context["decrypt_result"]["text"] == "hello"
    assert "hello" in opened.content.decode()
    wrong = client.post("/playground/decrypt/", with_context({"ciphertext": blob}, {"app": "other"}))
    assert wrong.status_code == 200
    assert "InvalidCiphertextException" in wrong.content.decode()


def test_a_denied_encrypt_is_explained_on_the_spot(client, world):
    key_arn = new_key(world)
    only_admin = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyTheAdminUser",
                "Effect": "Allow",
                "Principal": {"AWS": world.accounts[0].admin.arn},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    kms(admin(world), "PutKeyPolicy", {"KeyId": key_arn, "PolicyName": "default", "Policy": json.dumps(only_admin)})
    response = client.post("/playground/encrypt/", {"key": key_arn, "plaintext": "hello"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "AccessDeniedException" in body
    root = f"arn:aws:iam::{world.accounts[0].account.account_id}:root"
    assert f"The key policy has no statement that allows {root} to call kms:Encrypt" in body
    assert "OnlyTheAdminUser" in body
    assert "Open this denied call in the event history" in body


def test_the_envelope_walk_through_never_shows_the_data_key_again(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    key_arn = new_key(world)
    generated = client.post(
        "/playground/envelope/generate/", with_context({"key": key_arn, "text": "pay day"}, {"app": "payroll"})
    )
    assert generated.status_code == 200
    assert "no-store" in generated["Cache-Control"]
    data_key = generated.context["generated"]["data_key"]
    assert len(base64.b64decode(data_key)) == 32
    assert data_key in generated.content.decode()

    sealed = client.post("/playground/envelope/seal/", generated.context["seal_form"].initial)
    package = sealed.context["package_form"].initial
    assert json.loads(sealed.context["stored_package"])["encryptedDataKey"] == package["encrypted_data_key"]
    discarded = client.post("/playground/envelope/discard/", package)
    assert "Plaintext data key discarded" in discarded.content.decode()
    opened = client.post("/playground/envelope/open/", discarded.context["package_form"].initial)
    assert opened.context["opened"]["text"] == "pay day"
    assert opened.context["opened"]["fingerprint"] == generated.context["generated"]["fingerprint"]

    for later in (sealed, discarded, opened, client.get("/playground/?tool=envelope"), client.get("/events/")):
        assert data_key not in later.content.decode()
    assert data_key not in everything_recorded(world)
    assert data_key not in caplog.text


def test_a_tampered_package_is_refused_locally(client, world):
    key_arn = new_key(world)
    generated = client.post("/playground/envelope/generate/", {"key": key_arn, "text": "secret"})
    sealed = client.post("/playground/envelope/seal/", generated.context["seal_form"].initial)
    package = dict(sealed.context["package_form"].initial)
    package["nonce"] = base64.b64encode(b"\x00" * 12).decode()
    response = client.post("/playground/envelope/open/", package)
    assert response.status_code == 200
    assert "AES-GCM refused the ciphertext" in response.content.decode()


def test_the_envelope_steps_answer_htmx_with_fragments(client, world):
    key_arn = new_key(world)
    htmx = {"HX-Request": "true"}
    generated = client.post("/playground/envelope/generate/", {"key": key_arn, "text": "x"}, headers=htmx)
    assert "<html" not in generated.content.decode() and "1. GenerateDataKey" in generated.content.decode()
    seal_data = client.post("/playground/envelope/generate/", {"key": key_arn, "text": "x"}).context["seal_form"]
    sealed = client.post("/playground/envelope/seal/", seal_data.initial)
    discarded = client.post("/playground/envelope/discard/", sealed.context["package_form"].initial, headers=htmx)
    assert "<html" not in discarded.content.decode()
    assert 'hx-swap-oob="true"' in discarded.content.decode()


def test_sign_and_verify_with_an_asymmetric_key(client, world):
    key_arn = new_key(world, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signed = client.post("/playground/sign/", {"key": key_arn, "message": "release 1.0", "algorithm": ""})
    result = signed.context["sign_result"]
    assert result["algorithm"] == "ECDSA_SHA_256"
    good = {"key": key_arn, "message": "release 1.0", "signature": result["signature"], "algorithm": "ECDSA_SHA_256"}
    assert client.post("/playground/verify/", good).context["verify_result"]["valid"] is True
    forged = client.post("/playground/verify/", {**good, "message": "release 6.6.6"})
    assert forged.context["verify_result"]["valid"] is False
    assert "KMSInvalidSignatureException" in forged.content.decode()


def test_a_wrong_signing_algorithm_shows_awss_message(client, world):
    key_arn = new_key(world, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    response = client.post("/playground/sign/", {"key": key_arn, "message": "m", "algorithm": "RSASSA_PSS_SHA_256"})
    assert response.status_code == 200
    assert "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256." in response.content.decode()


def test_generate_and_verify_a_mac(client, world):
    key_arn = new_key(world, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    made = client.post("/playground/mac/", {"key": key_arn, "message": "order 42", "algorithm": ""})
    mac = made.context["mac_result"]["mac"]
    good = {"key": key_arn, "message": "order 42", "mac": mac, "algorithm": "HMAC_SHA_256"}
    assert client.post("/playground/verify-mac/", good).context["verify_mac_result"]["valid"] is True
    tampered = client.post("/playground/verify-mac/", {**good, "message": "order 43"})
    assert tampered.context["verify_mac_result"]["valid"] is False


def test_each_tool_offers_only_keys_that_fit_it(client, world):
    symmetric = new_key(world)
    signing = new_key(world, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    encrypt_page = client.get("/playground/").content.decode()
    assert symmetric in encrypt_page and signing not in encrypt_page
    sign_page = client.get("/playground/?tool=sign").content.decode()
    assert signing in sign_page and symmetric not in sign_page


def test_the_blob_inspector_reads_the_header_without_decrypting(client, world):
    key_arn = new_key(world, Description="<script>alert(1)</script>")
    blob = kms(admin(world), "Encrypt", {"KeyId": key_arn, "Plaintext": b"twelve bytes"})["CiphertextBlob"]
    events = Event.objects.count()
    response = client.post("/blob-inspector/", {"blob": base64.b64encode(blob).decode()})
    inspection = response.context["inspection"]
    assert inspection["header"].key_id == key_arn.rsplit("/", 1)[1]
    assert inspection["header"].material_version == 1
    assert inspection["plaintext_size"] == 12
    assert inspection["size"] == len(blob) == 53 + 12 + 16
    body = response.content.decode()
    assert "twelve bytes" not in body
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert Event.objects.count() == events


def test_the_blob_inspector_explains_what_is_not_a_blob(client, world):
    short = client.post("/blob-inspector/", {"blob": base64.b64encode(b"\x01abc").decode()})
    assert "The blob is 4 bytes long" in short.content.decode()
    foreign = client.post("/blob-inspector/", {"blob": base64.b64encode(b"\x02" + b"x" * 100).decode()})
    assert "The first byte is 0x02" in foreign.content.decode()
    garbled = client.post("/blob-inspector/", {"blob": "not base64!"})
    assert garbled.status_code == 200
    assert "This is not valid base64 text." in garbled.content.decode()


def test_a_blob_of_another_workspace_names_no_key_here(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    stranger_admin = Caller(principal=stranger.accounts[0].admin, region="us-east-1")
    key_arn = kms(stranger_admin, "CreateKey", {"Description": "not yours"})["KeyMetadata"]["Arn"]
    blob = kms(stranger_admin, "Encrypt", {"KeyId": key_arn, "Plaintext": b"x"})["CiphertextBlob"]
    response = client.post("/blob-inspector/", {"blob": base64.b64encode(blob).decode()})
    assert response.context["inspection"]["key"] is None
    assert "not a key of this workspace" in response.content.decode()
    assert "not yours" not in response.content.decode()


def test_another_workspaces_key_cannot_be_chosen(client, world):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    foreign = kms(Caller(principal=stranger.accounts[0].admin, region="us-east-1"), "CreateKey")["KeyMetadata"]["Arn"]
    response = client.post("/playground/encrypt/", {"key": foreign, "plaintext": "x"})
    assert response.status_code == 200
    assert response.context["encrypt_result"] is None
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/playground/encrypt/",
        "/playground/decrypt/",
        "/playground/envelope/generate/",
        "/playground/envelope/seal/",
        "/playground/envelope/discard/",
        "/playground/envelope/open/",
        "/playground/sign/",
        "/playground/verify/",
        "/playground/mac/",
        "/playground/verify-mac/",
        "/blob-inspector/",
    ],
)
def test_every_playground_form_requires_csrf(world, learner, path):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(path, {}).status_code == 403


def test_the_playground_requires_sign_in():
    anonymous = Client()
    assert anonymous.get("/playground/").status_code == 302
    assert anonymous.get("/blob-inspector/").status_code == 302
    assert anonymous.post("/playground/encrypt/").status_code == 302
