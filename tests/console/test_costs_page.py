"""The cost estimator page: the monthly cost of the workspace's real usage, the what-if,
the S3 Bucket Key comparison, the guide's examples and the chart."""

import uuid
from datetime import timedelta

import pytest

from kmsconsole.iam.callers import Caller
from kmsconsole.iam.clock import move_clock
from kmsconsole.iam.models import Principal
from kmsconsole.iam.provisioning import create_workspace
from kmsconsole.kms.operations import find

pytestmark = pytest.mark.django_db


def admin_of(provisioned, label="A"):
    account = next(item for item in provisioned.accounts if item.account.label == label)
    return Caller(principal=Principal.objects.get(pk=account.admin.pk), region="us-east-1")


def call(caller, name, request=None):
    return find("kms", name)(caller, request or {})


def estimate_section(response):
    return response.content.decode().split('id="estimate"', 1)[1].split("</section>", 1)[0]


def test_the_page_prices_the_workspaces_keys_and_calls(client, learner):
    admin = admin_of(learner)
    key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    call(admin_of(learner, "B"), "CreateKey")
    blob = call(admin, "Encrypt", {"KeyId": key_id, "Plaintext": b"x"})["CiphertextBlob"]
    call(admin, "Decrypt", {"CiphertextBlob": blob})

    response = client.get("/costs/")

    assert response.status_code == 200
    section = estimate_section(response)
    assert '<span class="figure" id="current-total">$2.00</span>' in section
    assert "Customer managed keys" in section
    assert "2 SYMMETRIC_DEFAULT" in section
    assert "Decrypt 1 · Encrypt 1" in section
    assert "$0.03 per 10,000 requests" in section
    assert "what-if-total" not in section


def test_the_chart_is_an_inline_svg_without_script(client, learner):
    call(admin_of(learner), "CreateKey")
    page = client.get("/costs/").content.decode()
    chart = page.split('<figure class="cost-chart">', 1)[1].split("</figure>", 1)[0]
    assert '<svg viewBox="0 0 760' in chart
    assert 'role="img"' in chart
    assert '<rect class="bar current"' in chart
    assert "Customer managed keys: $1.00" in chart
    assert "<script" not in page.replace("htmx.min.js", "").split("</head>", 1)[1]


def test_the_what_if_shows_a_second_total_and_a_second_series(client, learner):
    admin = admin_of(learner)
    key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
    for _ in range(2):
        call(admin, "GenerateDataKey", {"KeyId": key_id, "KeySpec": "AES_256"})

    response = client.get("/costs/", {"window_days": 30, "volume_multiplier": "10", "data_key_reuse": "4",
                                      "s3_puts_per_month": "0"})  # fmt: skip

    section = estimate_section(response)
    assert '<span class="figure" id="what-if-total">$1.00</span>' in section
    assert "What-if: GenerateDataKey 5" in section
    assert '<rect class="bar what-if"' in section


def test_ten_million_s3_puts_cost_30_dollars_or_3_tenths_of_a_cent_with_a_bucket_key(client, learner):
    response = client.get("/costs/", {"window_days": 30, "volume_multiplier": "1", "data_key_reuse": "1",
                                      "s3_puts_per_month": "10000000", "s3_bucket_key": "on"})  # fmt: skip
    section = estimate_section(response)
    assert "10,000,000 GenerateDataKey calls, <strong>$30.00</strong>" in section
    assert "about 1,000 calls, <strong>$0.003</strong>" in section
    assert "(99.99% less)" in section
    assert '<span class="figure" id="what-if-total">$0.003</span>' in section


def test_the_guides_worked_examples_come_out_as_the_guide_says(client, learner):
    page = client.get("/costs/").content.decode()
    examples = page.split("The guide's worked examples", 1)[1]
    for amount in ("$0.30", "$300.00", "$30.00", "$0.003"):
        assert examples.count(f'<td class="money">{amount}</td>') == 2


def test_the_window_counts_only_the_calls_of_its_days_on_the_workspace_clock(client, learner):
    call(admin_of(learner), "GenerateRandom", {"NumberOfBytes": 8})
    move_clock(learner.workspace, timedelta(days=3))
    call(admin_of(learner), "GenerateRandom", {"NumberOfBytes": 8})
    day = estimate_section(client.get("/costs/", {"window_days": 1, "volume_multiplier": "1", "data_key_reuse": "1",
                                                  "s3_puts_per_month": "0"}))  # fmt: skip
    month = estimate_section(client.get("/costs/"))
    assert "GenerateRandom 30" in day  # one call in a day, projected to 30 days
    assert "GenerateRandom 2" in month


def test_an_impossible_what_if_is_explained_and_todays_estimate_stays(client, learner):
    response = client.get("/costs/", {"window_days": 30, "volume_multiplier": "-1", "data_key_reuse": "0",
                                      "s3_puts_per_month": "0"})  # fmt: skip
    assert response.status_code == 200
    section = estimate_section(response)
    assert "Check the what-if" in section
    assert "Ensure this value is greater than or equal to 0." in section
    assert 'id="current-total"' in section
    assert "what-if-total" not in section


def test_htmx_gets_only_the_estimate(client, learner):
    response = client.get("/costs/", {"volume_multiplier": "2"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="estimate"')
    assert "<html" not in body


def test_another_workspaces_keys_are_not_counted(client, learner):
    stranger = create_workspace(f"other-{uuid.uuid4().hex[:8]}")
    call(admin_of(stranger), "CreateKey")
    assert '<span class="figure" id="current-total">$0.00</span>' in estimate_section(client.get("/costs/"))


def test_the_page_requires_sign_in(client):
    response = client.get("/costs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_query_count_stays_flat_as_keys_and_calls_grow(client, learner, django_assert_max_num_queries):
    admin = admin_of(learner)

    def grow(count):
        for _ in range(count):
            key_id = call(admin, "CreateKey")["KeyMetadata"]["KeyId"]
            call(admin, "DescribeKey", {"KeyId": key_id})

    grow(2)
    with django_assert_max_num_queries(20) as small:
        client.get("/costs/")
    grow(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/costs/")
