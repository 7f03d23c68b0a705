"""Forms of the console's keys area.

They shape HTML input (fields, choices, redisplay) and turn it into operation
parameters. KMS's own rules (alias names, description length, windows, periods, grant
operations per key type, policy grammar) are not repeated here: the operation decides,
and the view shows its error on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator

from kmsconsole.engine.enums import GrantOperation, KeySpec, KeyUsage, Origin
from kmsconsole.engine.keyspecs import ALLOWED_USAGES
from kmsconsole.kms.rotation import DEFAULT_ROTATION_PERIOD_DAYS

ALIAS_PREFIX = "alias/"
CONFIRMATION_WORD = "delete"

KEY_TYPES = (("symmetric", "Symmetric"), ("asymmetric", "Asymmetric"))
USAGE_LABELS = {
    KeyUsage.ENCRYPT_DECRYPT: "Encrypt and decrypt",
    KeyUsage.GENERATE_VERIFY_MAC: "Generate and verify MAC",
    KeyUsage.SIGN_VERIFY: "Sign and verify",
    KeyUsage.KEY_AGREEMENT: "Key agreement",
}
USAGES_BY_TYPE = {
    "symmetric": (KeyUsage.ENCRYPT_DECRYPT, KeyUsage.GENERATE_VERIFY_MAC),
    "asymmetric": (KeyUsage.ENCRYPT_DECRYPT, KeyUsage.SIGN_VERIFY, KeyUsage.KEY_AGREEMENT),
}
_SYMMETRIC_SPECS = (KeySpec.SYMMETRIC_DEFAULT, KeySpec.HMAC_224, KeySpec.HMAC_256, KeySpec.HMAC_384, KeySpec.HMAC_512)
# SM2 exists only in AWS's China Regions, so the console does not offer it.
_ASYMMETRIC_SPECS = tuple(spec for spec in ALLOWED_USAGES if spec not in _SYMMETRIC_SPECS and spec != KeySpec.SM2)
SPECS_BY_TYPE = {"symmetric": _SYMMETRIC_SPECS, "asymmetric": _ASYMMETRIC_SPECS}

_ACCOUNT_ID = RegexValidator(r"^\d{12}$", "An AWS account ID is 12 digits, such as 111122223333.")


def specs_for(key_type: str, key_usage: str) -> list[KeySpec]:
    """The key specs offered for a key type and usage, from the engine's spec table."""
    return [spec for spec in SPECS_BY_TYPE[key_type] if KeyUsage(key_usage) in ALLOWED_USAGES[spec]]


def alias_name(value: str) -> str:
    """The console adds the ``alias/`` prefix, as AWS's console does; CreateAlias judges the rest."""
    value = value.strip()
    return value if value.startswith(ALIAS_PREFIX) else ALIAS_PREFIX + value


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field, whose choices depend on the request."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class KeyFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=256, label="Filter keys")
    marker = forms.CharField(required=False, max_length=2048, widget=forms.HiddenInput)


class KeyConfigurationForm(forms.Form):
    """Step 1: key type, usage and spec, and the advanced options."""

    key_type = forms.ChoiceField(choices=KEY_TYPES, widget=forms.RadioSelect, initial="symmetric")
    key_usage = forms.ChoiceField(widget=forms.RadioSelect, initial=KeyUsage.ENCRYPT_DECRYPT)
    key_spec = forms.ChoiceField(initial=KeySpec.SYMMETRIC_DEFAULT)
    origin = forms.ChoiceField(
        choices=[(Origin.AWS_KMS, "KMS (kmsconsole generates the key material)")],
        widget=forms.RadioSelect,
        initial=Origin.AWS_KMS,
        label="Key material origin",
    )
    regionality = forms.ChoiceField(
        choices=[("single", "Single-Region key")], widget=forms.RadioSelect, initial="single"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Offer only the usages of the chosen key type and the specs of the chosen usage.
        Without JavaScript every earlier choice arrives with the post, and a spec that no
        longer fits is reported; with htmx the choices narrow as the learner picks."""
        super().__init__(*args, **kwargs)
        key_type = self._current("key_type")
        if key_type not in USAGES_BY_TYPE:
            key_type = "symmetric"
        usages = USAGES_BY_TYPE[key_type]
        choice_field(self, "key_usage").choices = [(usage.value, USAGE_LABELS[usage]) for usage in usages]
        usage = self._current("key_usage")
        if usage not in usages:
            usage = usages[0]
        specs = [spec.value for spec in specs_for(key_type, usage)]
        choice_field(self, "key_spec").choices = [(spec, spec) for spec in specs]
        self.fields["key_spec"].error_messages["invalid_choice"] = (
            "Choose a key spec for this key type and usage; the list now shows the ones that fit."
        )
        if not self.is_bound:
            spec = self._current("key_spec")
            self.initial.update(key_type=key_type, key_usage=usage, key_spec=spec if spec in specs else specs[0])

    def _current(self, name: str) -> str:
        if self.is_bound and self.data.get(name):
            return str(self.data[name])
        return str(self.initial.get(name) or self.fields[name].initial)


class KeyLabelsForm(forms.Form):
    """Step 2: alias, description and tags (tags come from ``TagFormSet``)."""

    alias = forms.CharField(
        max_length=256,
        help_text="The console adds the alias/ prefix. Names starting with aws/ are reserved for AWS managed keys.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class TagForm(forms.Form):
    tag_key = forms.CharField(required=False, label="Tag key")
    tag_value = forms.CharField(required=False, label="Tag value")


TagFormSet = forms.formset_factory(TagForm, extra=1)


def tags_from(formset: Any) -> list[dict[str, str]]:
    """The filled-in rows of a valid ``TagFormSet``, as the Tags parameter."""
    return [
        {"TagKey": row["tag_key"], "TagValue": row.get("tag_value", "")}
        for row in formset.cleaned_data
        if row.get("tag_key")
    ]


class PrincipalsForm(forms.Form):
    """Steps 3 and 4 choose IAM users and roles of the account, by ARN."""

    principals = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, principal_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "principals").choices = principal_choices


class KeyAdministratorsForm(PrincipalsForm):
    allow_admin_delete = forms.BooleanField(
        required=False, initial=True, label="Allow key administrators to delete this key"
    )


class KeyUsersForm(PrincipalsForm):
    other_accounts = forms.CharField(
        required=False,
        label="Other AWS accounts",
        help_text="Account IDs, separated by spaces or commas. Their administrators must still allow their "
        "users and roles in IAM.",
    )

    def clean_other_accounts(self) -> list[str]:
        accounts = [part for part in self.cleaned_data["other_accounts"].replace(",", " ").split() if part]
        for account in accounts:
            _ACCOUNT_ID(account)
        return list(dict.fromkeys(accounts))


class KeyPolicyForm(forms.Form):
    policy = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}), strip=False, label="Key policy (JSON)"
    )


class DescriptionForm(forms.Form):
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), strip=False)


class ScheduleDeletionForm(forms.Form):
    pending_window_days = forms.IntegerField(
        initial=30, label="Waiting period (days)", help_text="Between 7 and 30 days."
    )
    confirmation = forms.CharField(
        label=f'Type "{CONFIRMATION_WORD}" to confirm',
        help_text="After the waiting period, the key and its material are deleted for good: "
        "data encrypted under it can never be decrypted again.",
    )

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"].strip()
        if typed.lower() != CONFIRMATION_WORD:
            raise forms.ValidationError(f'Type "{CONFIRMATION_WORD}" to confirm the deletion.')
        return typed


class NewTagForm(forms.Form):
    tag_key = forms.CharField(label="Tag key")
    tag_value = forms.CharField(required=False, label="Tag value")


class RotationForm(forms.Form):
    rotation_period_days = forms.IntegerField(
        initial=DEFAULT_ROTATION_PERIOD_DAYS, label="Rotation period (days)", help_text="Between 90 and 2560 days."
    )


class AliasForm(forms.Form):
    alias_name = forms.CharField(max_length=256, label="Alias name", help_text="The console adds the alias/ prefix.")

    def clean_alias_name(self) -> str:
        return alias_name(self.cleaned_data["alias_name"])


class TargetedAliasForm(AliasForm):
    """An alias and the key it is to point at (by key ID or key ARN)."""

    target_key_id = forms.CharField(max_length=2048, label="Target key ID or ARN")


class GrantForm(forms.Form):
    CONSTRAINT_CHOICES = (
        ("", "No encryption context constraint"),
        ("EncryptionContextSubset", "EncryptionContextSubset: the request's context must include these pairs"),
        ("EncryptionContextEquals", "EncryptionContextEquals: the request's context must be exactly these pairs"),
    )

    grantee_principal = forms.CharField(max_length=256, label="Grantee principal (ARN)")
    operations = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Operations")
    retiring_principal = forms.CharField(required=False, max_length=256, label="Retiring principal (ARN, optional)")
    name = forms.CharField(required=False, max_length=256, label="Grant name (optional)")
    constraint_type = forms.ChoiceField(required=False, choices=CONSTRAINT_CHOICES, label="Constraint")
    encryption_context = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Encryption context pairs",
        help_text="One key=value pair per line.",
    )

    def __init__(self, *args: Any, operations: list[GrantOperation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "operations").choices = [(operation.value, operation.value) for operation in operations]

    def clean_encryption_context(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for line in self.cleaned_data["encryption_context"].splitlines():
            if not line.strip():
                continue
            name, separator, value = line.partition("=")
            if not separator or not name.strip():
                raise forms.ValidationError(f"Write each pair as key=value; {line.strip()!r} is not.")
            pairs[name.strip()] = value.strip()
        return pairs

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("encryption_context") and not cleaned.get("constraint_type"):
            self.add_error("constraint_type", "Choose how the encryption context pairs constrain the grant.")
        return cleaned

    def request(self, key_arn: str) -> dict[str, Any]:
        """The CreateGrant parameters."""
        data = self.cleaned_data
        grant: dict[str, Any] = {
            "KeyId": key_arn,
            "GranteePrincipal": data["grantee_principal"].strip(),
            "Operations": data["operations"],
        }
        if data["retiring_principal"].strip():
            grant["RetiringPrincipal"] = data["retiring_principal"].strip()
        if data["name"].strip():
            grant["Name"] = data["name"].strip()
        if data["constraint_type"] and data["encryption_context"]:
            grant["Constraints"] = {data["constraint_type"]: data["encryption_context"]}
        return grant


class GrantChoiceForm(forms.Form):
    """Names one grant of the key, to retire or revoke it."""

    grant_id = forms.CharField(max_length=128)
