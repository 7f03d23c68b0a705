"""The policy simulator: would this principal be allowed this action on this key, with
this encryption context, called directly or through an AWS service?

It asks ``authz.decide`` exactly as an operation does, inside a draft of the simulated
request, and never calls the operation: nothing is performed and nothing is audited. The
whole simulation also runs in a transaction that is always rolled back, because naming an
AWS managed key's alias creates that key on first use, as AWS does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kmsconsole.audit.recorder import drafting
from kmsconsole.engine import keyspecs
from kmsconsole.engine.enums import KeySpec, KeyUsage
from kmsconsole.engine.errors import AWSError
from kmsconsole.engine.keystates import require_state
from kmsconsole.iam.callers import Caller
from kmsconsole.iam.models import AccessKey, Principal, PrincipalType
from kmsconsole.kms import authz
from kmsconsole.kms.keys import resolve_key
from kmsconsole.kms.models import Key
from kmsconsole.kms.services import via_service_value

from ..context import ConsoleContext
from ..decorators import console_page
from ..explain import Explanation, explain
from ..forms_tools import SimulatorForm

# Actions authorized by identity policies alone, with no key as the resource.
ACCOUNT_LEVEL_ACTIONS = frozenset(
    f"kms:{name}"
    for name in (
        "CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants", "CreateCustomKeyStore",
        "DeleteCustomKeyStore", "DescribeCustomKeyStores", "UpdateCustomKeyStore", "ConnectCustomKeyStore",
        "DisconnectCustomKeyStore",
    )
)  # fmt: skip
KEY_SUGGESTIONS = 300


@dataclass(frozen=True)
class Simulation:
    allowed: bool
    caller_arn: str
    action: str
    key_arn: str
    explanation: Explanation | None
    # What the call would still hit after authorization (a disabled key, a wrong usage).
    after_authorization: str


@console_page
def simulator(request: HttpRequest) -> HttpResponse:
    """A read-only form (GET): a simulation changes nothing, so it may be bookmarked."""
    context: ConsoleContext = request.console  # type: ignore[attr-defined]
    principals = Principal.objects.filter(account__workspace=context.workspace).select_related("account")
    principals = principals.order_by("account__label", "kind", "name")
    submitted = "action" in request.GET
    form = SimulatorForm(
        request.GET if submitted else None, principals=principals, initial={"principal": context.principal}
    )
    result = None
    if submitted and form.is_valid() and not form.adding_row:
        _require_key_where_needed(form)
    if submitted and form.is_valid() and not form.adding_row:
        try:
            result = simulate(context, form.cleaned_data)
        except AWSError as error:
            form.add_error("key", error.message or error.code)
    page = {"form": form, "result": result, "key_suggestions": _key_suggestions(context)}
    template = "console/simulator/simulator.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#simulator-body"
    return render(request, template, page)


def simulate(context: ConsoleContext, choice: dict[str, Any]) -> Simulation:
    """Decide the simulated request without performing it."""
    caller = _simulated_caller(context, choice)
    action: str = choice["action"]
    request = _simulated_request(action, choice)
    with transaction.atomic(), drafting(request):
        try:
            key = _key(caller, action, choice["key"])
            decision = authz.decide(caller, action, key)
            after = _after_authorization(key, action) if decision.allowed and key else ""
        finally:
            transaction.set_rollback(True)
    return Simulation(
        allowed=decision.allowed,
        caller_arn=caller.arn,
        action=action,
        key_arn=key.arn if key else "",
        explanation=explain(decision.trace, principal=caller.arn, action=action),
        after_authorization=after,
    )


def _simulated_caller(context: ConsoleContext, choice: dict[str, Any]) -> Caller:
    principal: Principal = choice["principal"]
    session = None
    if principal.kind == PrincipalType.ROLE:
        session = AccessKey(
            principal=principal,
            session_name=choice["session_name"] or "simulator",
            session_token_hash="simulated",
            created_at=context.workspace.now(),
        )
    via_service = via_service_value(choice["via_service"], context.region) if choice["via_service"] else ""
    return Caller(
        principal=principal,
        region=context.region,
        user_agent="kmsconsole-simulator",
        via_service=via_service,
        session=session,
    )


def _simulated_request(action: str, choice: dict[str, Any]) -> dict[str, Any]:
    """The request members the decision reads: the encryption context goes where the
    action reads it (ReEncryptFrom reads the source context, ReEncryptTo the destination)."""
    request: dict[str, Any] = {}
    if choice["encryption_context"]:
        member = {"kms:ReEncryptFrom": "SourceEncryptionContext", "kms:ReEncryptTo": "DestinationEncryptionContext"}
        request[member.get(action, "EncryptionContext")] = choice["encryption_context"]
    return request


def _require_key_where_needed(form: SimulatorForm) -> None:
    action = form.cleaned_data["action"]
    if action not in ACCOUNT_LEVEL_ACTIONS and not form.cleaned_data["key"]:
        form.add_error("key", f"{action} is authorized against a key's policy: choose a key.")


def _key(caller: Caller, action: str, key_ref: str) -> Key | None:
    """The key the simulated request names, resolved as the operation would (so an
    unknown key gets AWS's NotFoundException text); None for account-level actions."""
    if action in ACCOUNT_LEVEL_ACTIONS:
        return None
    return resolve_key(caller, key_ref, operation=_operation_of(action))


def _operation_of(action: str) -> str:
    name = action.removeprefix("kms:")
    return "ReEncrypt" if name.startswith("ReEncrypt") else name


def _after_authorization(key: Key, action: str) -> str:
    """The error the real call would still meet after an Allow: the key's state, then
    its key usage (as ``check_use`` orders them)."""
    operation = _operation_of(action)
    try:
        require_state(operation, key.key_state, key.arn)
        if operation in keyspecs.USAGE_BY_OPERATION:
            keyspecs.require_usage(KeySpec(key.key_spec), KeyUsage(key.key_usage), key.arn, operation)
    except AWSError as error:
        return f"{error.code}: {error.message}"
    return ""


def _key_suggestions(context: ConsoleContext) -> list[tuple[str, str]]:
    """Keys of the workspace's accounts in this region, newest first, for the datalist."""
    keys = (
        Key.objects.filter(account__workspace=context.workspace, region=context.region)
        .select_related("account")
        .order_by("-creation_date")
        .values_list("arn", "account__label", "key_spec", "description")[:KEY_SUGGESTIONS]
    )
    return [(arn, f"account {label} · {spec} · {description[:40]}") for arn, label, spec, description in keys]
