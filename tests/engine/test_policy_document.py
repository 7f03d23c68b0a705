"""Parsing and validating key, identity and trust policy documents."""

from __future__ import annotations

import dataclasses
import json

import pytest

from kmsconsole.engine.errors import LimitExceededException, MalformedPolicyDocumentException
from kmsconsole.engine.policy import InvalidPolicyDocument, Policy, parse_policy

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."


def document(*statements: dict, version: str | None = "2012-10-17") -> str:
    body: dict = {"Statement": list(statements)}
    if version is not None:
        body = {"Version": version, **body}
    return json.dumps(body)


def key_statement(**overrides: object) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*", **overrides}


def identity_statement(**overrides: object) -> dict:
    return {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", **overrides}


def trust_statement(**overrides: object) -> dict:
    return {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole", **overrides}


def refusal(text: str, kind: str) -> InvalidPolicyDocument:
    with pytest.raises(InvalidPolicyDocument) as caught:
        parse_policy(text, kind=kind)  # type: ignore[arg-type]
    return caught.value


# The default key policy, as GetKeyPolicy returns it (kms-behaviour.md §6).
DEFAULT_KEY_POLICY = """{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::111122223333:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}"""


def test_the_default_key_policy_parses_into_one_normalised_statement():
    policy = parse_policy(DEFAULT_KEY_POLICY, kind="key")
    assert (policy.kind, policy.version, policy.id) == ("key", "2012-10-17", "key-default-1")
    (statement,) = policy.statements
    assert statement.index == 1
    assert statement.sid == "Enable IAM User Permissions"
    assert statement.effect == "Allow"
    assert statement.principal == (("AWS", ROOT),)
    assert statement.action == ("kms:*",)
    assert statement.resource == ("*",)
    assert statement.not_action is None and statement.conditions == ()


def test_a_single_statement_object_is_a_list_of_one():
    text = json.dumps({"Version": "2012-10-17", "Statement": key_statement()})
    assert len(parse_policy(text, kind="key").statements) == 1


def test_lists_become_tuples_without_duplicates():
    statement = parse_policy(
        document(key_statement(Action=["kms:Encrypt", "kms:Decrypt", "kms:Encrypt"], Resource=["*"])), kind="key"
    ).statements[0]
    assert statement.action == ("kms:Encrypt", "kms:Decrypt")
    assert statement.resource == ("*",)


@pytest.mark.parametrize(
    ("principal", "entries"),
    [
        ("*", (("AWS", "*"),)),
        ({"AWS": "*"}, (("AWS", "*"),)),
        ({"AWS": ACCOUNT}, (("AWS", ROOT),)),
        ({"AWS": ROOT}, (("AWS", ROOT),)),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, (("AWS", f"arn:aws:iam::{ACCOUNT}:user/alice"),)),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops/Admin"}, (("AWS", f"arn:aws:iam::{ACCOUNT}:role/ops/Admin"),)),
        (
            {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"},
            (("AWS", f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice"),),
        ),
        (
            {"AWS": [ACCOUNT, "444455556666"]},
            (("AWS", ROOT), ("AWS", "arn:aws:iam::444455556666:root")),
        ),
        ({"Service": "cloudtrail.amazonaws.com"}, (("Service", "cloudtrail.amazonaws.com"),)),
        ({"Federated": "cognito-identity.amazonaws.com"}, (("Federated", "cognito-identity.amazonaws.com"),)),
    ],
)
def test_every_principal_form_is_normalised(principal, entries):
    statement = parse_policy(document(key_statement(Principal=principal)), kind="key").statements[0]
    assert statement.principal == entries


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:iam::111122223333:root",  # a bare string other than "*"
        {},
        {"AWS": []},
        {"AWS": "alice"},
        {"AWS": "11112222333"},  # 11 digits
        {"AWS": "arn:aws:iam::111122223333:role/*"},  # wildcards name nobody
        {"AWS": "arn:aws:iam::111122223333:group/Admins"},  # groups are not principals
        {"AWS": 111122223333},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
        {"Service": "not a service"},
    ],
)
def test_an_unknown_principal_format_is_refused_with_kms_text(principal):
    error = refusal(document(key_statement(Principal=principal)), "key")
    assert isinstance(error, MalformedPolicyDocumentException)
    assert error.code == "MalformedPolicyDocumentException"
    assert error.message == INVALID_PRINCIPALS
    assert "Statement 1" in error.explanation


def test_a_trust_policy_names_the_invalid_principal_as_iam_does():
    error = refusal(document(trust_statement(Principal={"AWS": "arn:aws:iam::111122223333:role/*"})), "trust")
    assert error.message == 'Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"'


@pytest.mark.parametrize("text", ["not a real policy statement", "", "{", '{"Statement": [}', "[]", "null", "42"])
def test_text_that_is_not_a_policy_is_refused_with_a_message_naming_the_problem(text):
    error = refusal(text, "key")
    assert error.code == "MalformedPolicyDocumentException"
    assert error.explanation
    assert error.message == error.explanation


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "This policy contains invalid Json"),
        ("", "This policy contains invalid Json"),
        ("[]", "This policy contains invalid Json"),
        ("null", "This text appears not to be a policy"),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        ('{"Version": "2012-10-17", "Statement": []}', "Could not parse the policy: Statement is empty!"),
    ],
)
def test_identity_policies_get_iam_parser_messages(text, message):
    assert refusal(text, "identity").message == message


def test_a_statement_without_effect_is_refused():
    statement = key_statement()
    del statement["Effect"]
    assert "no Effect" in refusal(document(statement), "key").message
    statement = identity_statement()
    del statement["Effect"]
    error = refusal(document(statement), "identity")
    assert error.message == "Missing required field Effect"
    assert "no Effect" in error.explanation


@pytest.mark.parametrize("effect", ["allow", "Permit", None, True])
def test_effect_is_allow_or_deny_exactly(effect):
    assert "Effect must be Allow or Deny" in refusal(document(key_statement(Effect=effect)), "key").explanation


def test_unknown_elements_are_refused_at_both_levels():
    error = refusal(document(key_statement(Condtion={})), "key")
    assert "unknown element 'Condtion'" in error.explanation
    error = refusal(json.dumps({"Version": "2012-10-17", "Statment": []}), "identity")
    assert error.message == "Syntax errors in policy."


@pytest.mark.parametrize("version", ["2012-10-17", "2008-10-17", None])
def test_both_policy_language_versions_and_none_are_accepted(version):
    assert parse_policy(document(key_statement(), version=version), kind="key").version == version


@pytest.mark.parametrize("version", ["2012-10-18", "2012-10-17 ", 2012])
def test_other_versions_are_refused(version):
    text = json.dumps({"Version": version, "Statement": [key_statement()]})
    assert "Version must be" in refusal(text, "key").message


def test_statement_must_be_an_object_or_list_of_objects():
    assert "must be a JSON object" in refusal(json.dumps({"Statement": ["kms:*"]}), "key").explanation
    assert "must be a JSON object" in refusal(json.dumps({"Statement": "kms:*"}), "key").explanation


def test_key_policy_statements_must_name_a_principal():
    statement = key_statement()
    del statement["Principal"]
    assert "must name a Principal" in refusal(document(statement), "key").explanation


def test_identity_policies_must_not_name_a_principal():
    error = refusal(document(identity_statement(Principal={"AWS": ROOT})), "identity")
    assert error.message == "Policy document should not specify a principal."
    error = refusal(document(identity_statement(NotPrincipal={"AWS": ROOT})), "identity")
    assert error.message == "Policy document should not specify a principal."


def test_identity_policies_need_actions_and_resources():
    statement = identity_statement()
    del statement["Action"]
    assert refusal(document(statement), "identity").message == "Policy statement must contain actions."
    statement = identity_statement()
    del statement["Resource"]
    assert refusal(document(statement), "identity").message == "Policy statement must contain resources."


def test_key_policy_statements_without_action_or_resource_are_accepted_but_inert():
    statement = key_statement()
    del statement["Action"], statement["Resource"]
    parsed = parse_policy(document(statement), kind="key").statements[0]
    assert parsed.action is None and parsed.resource is None


def test_trust_policies_name_a_principal_and_no_resource():
    statement = trust_statement()
    del statement["Principal"]
    assert refusal(document(statement), "trust").message == "Missing required field Principal"
    assert refusal(document(trust_statement(Resource="*")), "trust").message == "Has prohibited field Resource"
    statement = trust_statement(NotPrincipal={"AWS": ROOT})
    del statement["Principal"]
    assert refusal(document(statement), "trust").message == "Has prohibited field NotPrincipal"


@pytest.mark.parametrize(("first", "second"), [("Action", "NotAction"), ("Resource", "NotResource")])
def test_an_element_and_its_negation_are_exclusive(first, second):
    error = refusal(document(key_statement(**{first: "*", second: "*"})), "key")
    assert f"has both {first} and {second}" in error.explanation


def test_principal_and_not_principal_are_exclusive():
    error = refusal(document(key_statement(NotPrincipal={"AWS": ROOT}, Effect="Deny")), "key")
    assert "has both Principal and NotPrincipal" in error.explanation


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("Decrypt", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        (":Decrypt", "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
        ("kms:Decrypt:Now", "Actions/Condition can contain only one colon."),
    ],
)
def test_actions_need_one_service_prefix(action, message):
    assert refusal(document(identity_statement(Action=action)), "identity").message == message


@pytest.mark.parametrize("action", [[], [42], 7, None])
def test_action_must_be_a_string_or_a_list_of_strings(action):
    assert "non-empty list of strings" in refusal(document(key_statement(Action=action)), "key").explanation


def test_resources_are_arns_or_a_star():
    error = refusal(document(identity_statement(Resource="key/1234")), "identity")
    assert error.message == 'Resource key/1234 must be in ARN format or "*".'


def test_iam_sids_are_alphanumeric_and_unique_but_key_policy_sids_may_have_spaces():
    assert refusal(document(identity_statement(Sid="Allow use")), "identity").message.startswith(
        "Statement IDs (SID) must be alpha-numeric."
    )
    twice = document(identity_statement(Sid="Use"), identity_statement(Sid="Use"))
    assert refusal(twice, "identity").message == "Statement IDs (SID) in a single policy must be unique."
    assert parse_policy(document(key_statement(Sid="Allow use of the key")), kind="key")


def test_a_key_policy_over_32_kb_exceeds_the_quota():
    padding = "x" * (32 * 1024)
    with pytest.raises(LimitExceededException):
        parse_policy(document(key_statement(Sid=padding)), kind="key")


def test_a_key_policy_of_exactly_32_kb_is_accepted():
    text = document(key_statement(Sid=""))
    text = text.replace('"Sid": ""', '"Sid": "' + "x" * (32 * 1024 - len(text)) + '"')
    assert len(text.encode()) == 32 * 1024
    assert parse_policy(text, kind="key")


def test_parsing_is_cached_by_text_and_kind():
    text = document(key_statement(Sid="cached"))
    assert parse_policy(text, kind="key") is parse_policy(text, kind="key")
    statement = identity_statement(Principal={"AWS": ROOT})
    with pytest.raises(InvalidPolicyDocument):
        parse_policy(document(statement), kind="identity")


def test_parsed_policies_are_immutable():
    policy = parse_policy(DEFAULT_KEY_POLICY, kind="key")
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.statements[0].effect = "Deny"  # type: ignore[misc]
    assert isinstance(policy, Policy)


def test_named_principal_arns_lists_every_aws_principal_for_an_existence_check():
    text = document(
        key_statement(Principal={"AWS": [ACCOUNT, "arn:aws:iam::111122223333:role/Admin", "*"]}),
        key_statement(Effect="Deny", Principal=None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:user/alice"}),
        key_statement(Principal={"Service": "cloudtrail.amazonaws.com"}),
    )
    text = text.replace('"Principal": null, ', "")
    assert parse_policy(text, kind="key").named_principal_arns() == {
        ROOT,
        "arn:aws:iam::111122223333:role/Admin",
        "arn:aws:iam::111122223333:user/alice",
    }


def test_the_explanation_names_the_statement_by_index_and_sid():
    error = refusal(document(key_statement(), key_statement(Sid="Users", Action="Decrypt")), "key")
    assert error.explanation.startswith("Statement 2 (Users):")
    assert error.message == error.explanation
