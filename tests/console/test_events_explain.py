"""Turning authorization traces into plain language (kmsconsole/console/explain.py)."""

from kmsconsole.console.explain import explain

USER = "arn:aws:iam::111122223333:user/app"
ROOT = "arn:aws:iam::111122223333:root"
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def decision(allowed, reason, action="kms:Decrypt"):
    return {"source": "decision", "allowed": allowed, "action": action, "resource": KEY, "reason": reason}


def statement(source, sid, effect, matched, reason, index=1):
    return {"source": source, "index": index, "sid": sid, "effect": effect, "matched": matched, "reason": reason}


def test_no_trace_has_no_explanation():
    assert explain(None) is None
    assert explain([]) is None


def test_an_explicit_deny_is_named_and_wins():
    trace = [
        decision(False, "with an explicit deny in a resource-based policy"),
        statement("key policy", "DenyEveryone", "Deny", True, f"Denies kms:Decrypt for {USER}"),
        statement("inline policy App", None, "Allow", True, f"Allows kms:Decrypt for {USER}"),
    ]
    explanation = explain(trace, principal=USER)
    assert explanation.allowed is False
    assert explanation.headline == "Why it was denied"
    key_side = explanation.sides[0]
    assert key_side.name == "Key policy" and key_side.tone == "danger"
    assert key_side.verdict == "denies it explicitly (key policy “DenyEveryone”), and an explicit deny wins"
    assert explanation.summary.startswith(f"{USER} may not call kms:Decrypt: the key policy denies it explicitly")
    assert [row.matched for row in explanation.rows] == [True, True]
    assert explanation.rows[1].statement == "Statement 1"


def test_the_closing_note_of_a_denial_becomes_the_summary():
    note = f"the key policy has no statement that allows {USER} to call kms:Decrypt; a cross-account call needs both."
    trace = [
        decision(False, "because no resource-based policy allows the kms:Decrypt action"),
        statement("key policy", "Enable IAM User Permissions", "Allow", False, f"Principal {USER} is not {ROOT}"),
        {"source": "grants", "matched": False, "reason": f"no grant on the key names {USER}"},
        {"source": "decision", "matched": None, "reason": note},
    ]
    explanation = explain(trace, principal=USER)
    assert explanation.summary == note[0].upper() + note[1:]
    assert explanation.notes == ()
    assert explanation.aws_reason == "because no resource-based policy allows the kms:Decrypt action"
    assert explanation.rows[0].reason == f"Principal {USER} is not {ROOT}"
    assert [side.name for side in explanation.sides] == ["Key policy", "Identity policies", "Grants"]
    assert explanation.sides[1].verdict == "none: the caller has no identity-based policies"


def test_a_grant_that_allows_is_named():
    trace = [
        decision(True, "grant 0a1b allows it"),
        statement("key policy", "Admins", "Allow", False, f"Principal {USER} is not {ROOT}"),
        {"source": "grant 0a1b", "matched": True, "reason": "allows it"},
    ]
    explanation = explain(trace, principal=USER)
    assert explanation.allowed is True
    assert explanation.headline == "Why it was allowed"
    grants = next(side for side in explanation.sides if side.name == "Grants")
    assert grants.verdict == "grant 0a1b allows it" and grants.tone == "ok"
    assert explanation.rows[1].source == "grant" and explanation.rows[1].statement == "0a1b"


def test_delegation_to_iam_is_told_apart_from_a_direct_allow():
    through_account = (
        f"Allows kms:Decrypt for {USER} through the account principal {ROOT}: "
        "the caller's own IAM policies must allow it too"
    )
    trace = [
        decision(True, "the key policy delegates to IAM and an identity-based policy allows it"),
        statement("key policy", "Enable IAM User Permissions", "Allow", True, through_account),
        statement("managed policy arn:aws:iam::111122223333:policy/Readers", "Read", "Allow", True, "Allows it"),
    ]
    sides = {side.name: side for side in explain(trace, principal=USER).sides}
    assert sides["Key policy"].tone == "warn"
    assert sides["Key policy"].verdict.startswith("delegates it to IAM")
    assert (
        sides["Identity policies"].verdict
        == "allow it (managed policy arn:aws:iam::111122223333:policy/Readers “Read”)"
    )


def test_the_root_users_note_is_not_repeated():
    trace = [
        decision(False, "because no resource-based policy allows the kms:Decrypt action"),
        statement("key policy", "OnlyApp", "Allow", False, f"Principal {ROOT} is not {USER}"),
        {
            "source": "decision",
            "matched": None,
            "reason": "The account root user is allowed everything by IAM in its own account.",
        },
    ]
    explanation = explain(trace, principal=ROOT)
    identity = next(side for side in explanation.sides if side.name == "Identity policies")
    assert identity.verdict == "the account root user is allowed everything by IAM in its own account"
    assert explanation.notes == ()


def test_an_iam_denial_without_a_decision_entry_reads_its_error_code():
    trace = [statement("inline policy ReadKeys", None, "Allow", False, "Action iam:ListUsers is not kms:DescribeKey")]
    explanation = explain(trace, principal=USER, action="ListUsers", error_code="AccessDenied")
    assert explanation.allowed is False
    assert explanation.summary == f"{USER} may not call ListUsers: the identity-based policies do not allow it."


def test_a_trust_policy_is_its_own_side():
    trace = [
        statement("trust policy", None, "Allow", True, f"Allows sts:AssumeRole for {USER}"),
        statement("inline policy Assume", None, "Allow", False, "Action sts:AssumeRole is not in [iam:*]"),
    ]
    explanation = explain(trace, principal=USER, action="AssumeRole", error_code="AccessDenied")
    assert [side.name for side in explanation.sides] == ["Trust policy", "Identity policies"]
    assert explanation.sides[0].tone == "ok" and explanation.sides[1].tone == "danger"


def test_an_undecided_trace_says_only_what_each_side_said():
    trace = [statement("inline policy ReadKeys", None, "Allow", True, "Allows it")]
    explanation = explain(trace)
    assert explanation.allowed is None
    assert explanation.headline == "How the request was authorized"
    assert explanation.summary == "The identity-based policies allow it (inline policy ReadKeys “Statement 1”)."
