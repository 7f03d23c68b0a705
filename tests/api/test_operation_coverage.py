"""Every operation in botocore's KMS model is registered: implemented, or deliberately
refused with a reason (``kms/operations/unsupported.py``)."""

from kmsconsole.engine.shapes import operation_names
from kmsconsole.kms.operations import REGISTRY


def test_every_kms_operation_in_the_botocore_model_is_registered():
    registered = {name for service, name in REGISTRY if service == "kms"}
    model = set(operation_names("kms"))
    assert len(model) == 54
    assert sorted(model - registered) == []
    assert sorted(registered - model) == []
