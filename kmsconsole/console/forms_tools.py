"""Forms of the console's tools: event filters, the policy simulator, the crypto
playground, the blob inspector and the IAM pages.

Forms turn HTML input into the Python values operations take (text into bytes, base64
into bytes, key/value rows into an encryption context). They carry no KMS or IAM rule:
the operation called with the cleaned values decides, and the view shows its error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet

from kmsconsole.engine import shapes
from kmsconsole.engine.enums import MacAlgorithm, SigningAlgorithm
from kmsconsole.iam.models import Principal, PrincipalType

# Services a simulated request can come through (kms:ViaService), as the AWS managed
# keys of kmsconsole name them.
VIA_SERVICES = ("s3", "ebs", "rds", "lambda", "ssm", "secretsmanager")
DEFAULT_ALGORITHM = ""
TEXT_LIMIT = 4096


class Base64Field(forms.CharField):
    """Base64 text (whitespace and line breaks allowed) cleaned to bytes."""

    def to_python(self, value: Any) -> bytes:  # type: ignore[override]
        text = "".join(str(super().to_python(value)).split())
        if not text:
            return b""
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError("This is not valid base64 text.", code="base64") from None

    def validate(self, value: Any) -> None:
        if self.required and not value:  # b"" is not among Django's empty values
            raise forms.ValidationError(self.error_messages["required"], code="required")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class UTCDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` value read as UTC: the workspace clock and every event time
    are shown in UTC, whatever the browser's zone."""

    widget = DateTimeLocalInput

    def to_python(self, value: Any) -> datetime | None:
        moment = super().to_python(value)
        return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class ToolForm(forms.Form):
    """Several tools share a page, so each form's element ids start with its own
    ``id_prefix`` (``encrypt_key``, ``sign_key``); hidden-only forms get no ids."""

    id_prefix: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s" if self.id_prefix else False)
        super().__init__(*args, **kwargs)


# ---------------------------------------------------------------- encryption context rows


class EncryptionContextForm(ToolForm):
    """A form with key/value rows (``ec_key``/``ec_value``, repeated) that clean to an
    encryption context dict. Rows are plain repeated inputs, so they work without
    JavaScript; "Add a pair" re-renders the form with one more empty row."""

    add_row_name = "add_row"

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        keys = data.getlist("ec_key") if data is not None else []
        values = data.getlist("ec_value") if data is not None else []
        self.context_rows = [(k.strip(), v) for k, v in zip(keys, values, strict=False) if k.strip() or v]
        self.adding_row = data is not None and self.add_row_name in data

    @property
    def rows_to_show(self) -> list[tuple[str, str]]:
        return [*self.context_rows, ("", "")] + ([("", "")] if self.adding_row else [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        context: dict[str, str] = {}
        for key, value in self.context_rows:
            if not key:
                raise forms.ValidationError(f"The encryption context value {value!r} has no key.")
            if key in context:
                raise forms.ValidationError(f"The encryption context key {key!r} appears twice.")
            context[key] = value
        cleaned["encryption_context"] = context
        return cleaned


# ---------------------------------------------------------------- event history


class EventFilterForm(forms.Form):
    event_name = forms.CharField(required=False, max_length=64, label="Event name")
    principal = forms.CharField(required=False, max_length=256, label="Principal ARN")
    key = forms.CharField(required=False, max_length=160, label="Key ARN or key id")
    error_code = forms.CharField(required=False, max_length=64, label="Error code")
    only_errors = forms.BooleanField(required=False, label="Only errors and denials")
    start = UTCDateTimeField(required=False, label="From (UTC)")
    end = UTCDateTimeField(required=False, label="Until (UTC)")
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "The end of the range is before its start.")
        return cleaned

    def filter_query(self) -> str:
        """The filters as a query string, for the next-page link (no page marker)."""
        pairs = [(name, self.data.get(name, "")) for name in self.fields if name != "before"]
        return urlencode([(name, value) for name, value in pairs if value])


# ---------------------------------------------------------------- policy simulator


def kms_actions() -> list[str]:
    """Every KMS permission: one per operation, except ReEncrypt, which needs
    kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination."""
    names = set(shapes.operation_names("kms")) - {"ReEncrypt"} | {"ReEncryptFrom", "ReEncryptTo"}
    return sorted(f"kms:{name}" for name in names)


class PrincipalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Principal) -> str:
        kind = {PrincipalType.ROOT: "account root", PrincipalType.USER: "user", PrincipalType.ROLE: "role"}[
            PrincipalType(obj.kind)
        ]
        name = "" if obj.kind == PrincipalType.ROOT else f" {obj.name}"
        return f"{obj.account.label} ({obj.account.account_id}) · {kind}{name}"


class SimulatorForm(EncryptionContextForm):
    id_prefix = "simulator"
    principal = PrincipalChoiceField(queryset=Principal.objects.none(), label="Principal", empty_label=None)
    session_name = forms.CharField(
        required=False,
        max_length=64,
        initial="simulator",
        label="Role session name",
        help_text="A role acts through a session (arn:aws:sts::…:assumed-role/<role>/<session>).",
    )
    action = forms.ChoiceField(label="Action", initial="kms:Decrypt")
    key = forms.CharField(
        required=False,
        max_length=2048,
        label="Key",
        help_text="Key ARN, key id or alias name. Leave empty for account-level actions such as kms:CreateKey.",
    )
    via_service = forms.ChoiceField(
        required=False,
        label="Called through an AWS service",
        choices=[("", "No: called directly")] + [(service, service) for service in VIA_SERVICES],
    )

    def __init__(self, data: Any = None, *, principals: QuerySet[Principal], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["principal"].queryset = principals  # type: ignore[attr-defined]
        self.fields["action"].choices = [(action, action) for action in kms_actions()]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- crypto playground


class KeyChoiceForm(ToolForm):
    """A form whose ``key`` choices are given by the view (keys fit for the tool)."""

    key = forms.ChoiceField(label="KMS key")

    def __init__(self, data: Any = None, *, keys: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["key"].choices = list(keys)  # type: ignore[attr-defined]


class EncryptForm(EncryptionContextForm, KeyChoiceForm):
    id_prefix = "encrypt"
    plaintext = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LIMIT, strip=False)


class DecryptForm(EncryptionContextForm):
    id_prefix = "decrypt"
    ciphertext = Base64Field(widget=forms.Textarea(attrs={"rows": 3}), label="Ciphertext (base64)")


class EnvelopeForm(EncryptionContextForm, KeyChoiceForm):
    id_prefix = "envelope"
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LIMIT, strip=False, label="Your text"
    )


class EnvelopeSealForm(ToolForm):
    """Step 2 of the walk-through: what the application holds after GenerateDataKey."""

    key = forms.CharField(widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.HiddenInput, max_length=TEXT_LIMIT, strip=False)
    data_key = Base64Field(widget=forms.HiddenInput)
    encrypted_data_key = Base64Field(widget=forms.HiddenInput)
    context = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_context(self) -> dict[str, str]:
        return parse_context_json(self.cleaned_data.get("context") or "{}")


class EnvelopePackageForm(ToolForm):
    """Steps 3 to 5: the stored package (no plaintext key in it)."""

    key = forms.CharField(widget=forms.HiddenInput)
    encrypted_data_key = Base64Field(widget=forms.HiddenInput)
    nonce = Base64Field(widget=forms.HiddenInput)
    ciphertext = Base64Field(widget=forms.HiddenInput)
    context = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_context(self) -> dict[str, str]:
        return parse_context_json(self.cleaned_data.get("context") or "{}")


def parse_context_json(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise forms.ValidationError("The encryption context is not valid JSON.") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise forms.ValidationError("The encryption context must map strings to strings.")
    return value


def _algorithm_field(algorithms: Iterable[str], label: str) -> forms.ChoiceField:
    choices = [(DEFAULT_ALGORITHM, "The key's first algorithm")] + [(a, a) for a in algorithms]
    return forms.ChoiceField(required=False, choices=choices, label=label)


class SignForm(KeyChoiceForm):
    id_prefix = "sign"
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LIMIT, strip=False)
    algorithm = _algorithm_field(SigningAlgorithm, "Signing algorithm")


class VerifyForm(SignForm):
    id_prefix = "verify"
    signature = Base64Field(widget=forms.Textarea(attrs={"rows": 3}), label="Signature (base64)")


class MacForm(KeyChoiceForm):
    id_prefix = "mac"
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=TEXT_LIMIT, strip=False)
    algorithm = _algorithm_field(MacAlgorithm, "MAC algorithm")


class VerifyMacForm(MacForm):
    id_prefix = "verify_mac"
    mac = Base64Field(widget=forms.Textarea(attrs={"rows": 2}), label="MAC (base64)")


class BlobForm(forms.Form):
    blob = Base64Field(widget=forms.Textarea(attrs={"rows": 5}), label="Ciphertext blob (base64)")


# ---------------------------------------------------------------- IAM


def _trust_account_root(account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        indent=2,
    )


def _policy_textarea() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 14, "spellcheck": "false"})


class CreateUserForm(forms.Form):
    user_name = forms.CharField(max_length=64, label="User name")


class CreateRoleForm(forms.Form):
    role_name = forms.CharField(max_length=64, label="Role name")
    description = forms.CharField(max_length=1000, required=False)
    trust_policy = forms.CharField(widget=_policy_textarea(), label="Trust policy", strip=False)

    def __init__(self, data: Any = None, *, account_id: str, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["trust_policy"].initial = _trust_account_root(account_id)


class InlinePolicyForm(forms.Form):
    policy_name = forms.CharField(max_length=128, label="Policy name")
    document = forms.CharField(widget=_policy_textarea(), label="Policy document", strip=False)


class TrustPolicyForm(forms.Form):
    document = forms.CharField(widget=_policy_textarea(), label="Trust policy", strip=False)


class AttachPolicyForm(forms.Form):
    policy_arn = forms.ChoiceField(label="Customer managed policy")

    def __init__(self, data: Any = None, *, policies: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["policy_arn"].choices = list(policies)  # type: ignore[attr-defined]
