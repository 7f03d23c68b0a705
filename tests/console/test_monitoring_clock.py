"""The workspace clock's fast-forward in the console header."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kmsconsole.iam.models import Workspace
from kmsconsole.iam.provisioning import create_workspace

pytestmark = pytest.mark.django_db


def offset(workspace):
    return Workspace.objects.get(pk=workspace.pk).clock_offset


def test_every_console_page_has_the_fast_forward_form_in_the_clock(client, learner):
    for url in ("/dashboard/", "/keys/", "/monitoring/", "/costs/"):
        page = client.get(url).content.decode()
        clock = page.split('<div class="clock"', 1)[1].split("</div>", 1)[0]
        assert 'action="/clock/advance/"' in clock
        assert f'name="next" value="{url}"' in clock
        assert 'name="csrfmiddlewaretoken"' in clock


def test_fast_forwarding_moves_the_workspace_clock_and_goes_back(client, learner):
    response = client.post("/clock/advance/", {"days": "30", "next": "/keys/?q=abc"})
    assert response.status_code == 302
    assert response["Location"] == "/keys/?q=abc"
    assert offset(learner.workspace) == timedelta(days=30)
    page = client.get("/keys/").content.decode()
    assert "The workspace clock moved forward 30 days, to" in page
    expected = (learner.workspace.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    assert expected in page.split('id="workspace-clock"', 1)[1][:80]


@pytest.mark.parametrize("days", ["0", "-3", "abc", "3651"])
def test_a_bad_number_of_days_leaves_the_clock_alone(client, learner, days):
    response = client.post("/clock/advance/", {"days": days, "next": "/dashboard/"}, follow=True)
    assert "The clock did not move:" in response.content.decode()
    assert offset(learner.workspace) == timedelta(0)


def test_an_outside_next_address_is_replaced_by_the_dashboard(client, learner):
    response = client.post("/clock/advance/", {"days": "1", "next": "https://evil.example/"})
    assert response["Location"] == "/dashboard/"


def test_it_moves_only_a_workspace_the_user_may_use(client, learner):
    other = create_workspace(f"other-{uuid.uuid4().hex[:8]}").workspace
    session = client.session
    session["console_context"] = {"workspace": other.pk}
    session.save()
    client.post("/clock/advance/", {"days": "5"})
    assert offset(other) == timedelta(0)
    assert offset(learner.workspace) == timedelta(days=5)


def test_a_member_of_a_workspace_may_fast_forward_it(learner):
    member = User.objects.create_user(f"member-{uuid.uuid4().hex[:8]}", password="pw-for-tests-only")
    learner.workspace.members.add(member)
    browser = Client()
    browser.force_login(member)
    browser.post("/clock/advance/", {"days": "2"})
    assert offset(learner.workspace) == timedelta(days=2)


def test_fast_forwarding_requires_post_csrf_and_sign_in(client, learner):
    assert client.get("/clock/advance/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner.user)
    assert strict.post("/clock/advance/", {"days": "1"}).status_code == 403
    anonymous = Client().post("/clock/advance/", {"days": "1"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert offset(learner.workspace) == timedelta(0)
