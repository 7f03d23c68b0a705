"""The audit recorder's after-change extension point: one call per committed
transaction, with the events that survived."""

import pytest
from django.db import transaction

from kmsconsole.audit import recorder
from kmsconsole.audit.recorder import record_service_event


@pytest.fixture
def handed_over(orm):
    batches: list[list[str]] = []

    def remember(events):
        batches.append([event.key_arn for event in events])

    recorder.AFTER_CHANGE_CALLBACKS.append(remember)
    yield batches
    recorder.AFTER_CHANGE_CALLBACKS.remove(remember)


def deletion_event(workspace, name: str) -> None:
    account = workspace.workspace.accounts.get(label="A")
    record_service_event(
        workspace_id=workspace.workspace.pk, account_id=account.account_id, region="us-east-1",
        event_name="DeleteKey", key_arn=f"arn:aws:kms:us-east-1:{account.account_id}:key/{name}",
        event_time=workspace.workspace.now(),
    )  # fmt: skip


def names(batches: list[list[str]]) -> list[list[str]]:
    return [[arn.rsplit("/", 1)[1] for arn in batch] for batch in batches]


def test_one_transaction_makes_one_call_with_all_its_events(workspace, handed_over):
    with transaction.atomic():
        deletion_event(workspace, "first")
        deletion_event(workspace, "second")
    assert names(handed_over) == [["first", "second"]]


def test_events_of_a_rolled_back_transaction_never_reach_the_callbacks(workspace, handed_over):
    with pytest.raises(RuntimeError), transaction.atomic():
        deletion_event(workspace, "rolled-back")
        raise RuntimeError("the change failed")
    with transaction.atomic():
        deletion_event(workspace, "committed")
    assert names(handed_over) == [["committed"]]


def test_a_rolled_back_savepoint_drops_only_its_own_events(workspace, handed_over):
    with transaction.atomic():
        deletion_event(workspace, "kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            deletion_event(workspace, "undone")
            raise RuntimeError("the inner change failed")
    assert names(handed_over) == [["kept"]]
