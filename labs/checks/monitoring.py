"""Checks for the incident-response lab: the guide's runbooks for a disabled key and a
decrypt spike (the pending-deletion runbook reuses the deletion lab's checks).

CloudTrail lookups are not themselves recorded (CloudTrail does not log LookupEvents as
a management event), so "the learner investigated" cannot be read from the trail.
What the investigation leads to can: the right principal's access key is deactivated,
and the legitimate application's is not.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kmsconsole.engine.enums import KeyState
from kmsconsole.iam.models import AccessKey, AccessKeyStatus, Principal

from .base import CheckContext, CheckResult, check, describe_event, not_yet, passed


@check("key_enabled_again")
def key_enabled_again(ctx: CheckContext, key: str) -> CheckResult:
    row = ctx.key(key)
    if row is None:
        return not_yet(f"{ctx.key_arn(key)} no longer exists.")
    if row.key_state != KeyState.ENABLED:
        return not_yet(
            f"{ctx.alias(key)} is still {row.key_state}. Find it with the runbook's pipeline, then run "
            "enable-key --key-id <its id>."
        )
    enabled = ctx.events(event_name="EnableKey", key_arn=row.arn, succeeded=True).first()
    return passed(f"{describe_event(enabled) if enabled else ctx.alias(key) + ' was enabled'}; it is Enabled again.")


@check("spike_replayed")
def spike_replayed(ctx: CheckContext, key: str, principal: str, min_calls: int = 50) -> CheckResult:
    calls = ctx.events(event_name="Decrypt", key_arn=ctx.key_arn(key), by=principal).count()
    if calls >= min_calls:
        return passed(f"The audit trail holds {calls} Decrypt calls on {ctx.alias(key)} from one unusual principal.")
    return not_yet(
        f"Run the replay script once: it makes the spike of Decrypt calls you will investigate ({calls} so far)."
    )


@check("suspicious_access_key_deactivated")
def suspicious_access_key_deactivated(ctx: CheckContext, suspect: str, legitimate: str) -> CheckResult:
    """The suspect's long-term keys are inactive (or gone) and the legitimate application's
    are still active."""
    suspect_principal = ctx.principal(suspect)
    legitimate_principal = ctx.principal(legitimate)
    cut_off = _long_term_keys(legitimate_principal).exclude(status=AccessKeyStatus.ACTIVE).first()
    if cut_off is not None:
        return not_yet(
            f"You deactivated an access key of {legitimate_principal.name}, the nightly batch job: the legitimate "
            "application, which made only a handful of the Decrypt calls. That turns a security incident into an "
            f"outage. Re-activate it (update-access-key --user-name {legitimate_principal.name} --access-key-id "
            f"{cut_off.access_key_id} --status Active) and look again at who made most of the calls."
        )
    suspect_keys = _long_term_keys(suspect_principal)
    active = suspect_keys.filter(status=AccessKeyStatus.ACTIVE)
    if active.exists():
        return not_yet(
            "The principal behind the spike can still call KMS. Use lookup-events to find which user made most of "
            "the Decrypt calls, then deactivate its access key with update-access-key --status Inactive."
        )
    if not suspect_keys.exists():
        return passed(
            f"{suspect_principal.name} has no access key left: contained, though deleting it loses the option to "
            "re-activate it if it turns out to be legitimate. The runbook's choice is to deactivate."
        )
    return passed(f"{suspect_principal.name}'s access key is Inactive: its calls stop at once, and the evidence stays.")


def _long_term_keys(principal: Principal) -> QuerySet[AccessKey]:
    return AccessKey.objects.filter(principal=principal, session_name="")
