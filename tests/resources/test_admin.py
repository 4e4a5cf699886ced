"""Admins set up skills, engineers and days off; requests are shown, never changed."""

import pytest
from django.urls import reverse

from resources.choices import RequestStatus


@pytest.mark.parametrize(
    "model",
    ["skill", "engineerprofile", "dayoff", "dispatchpolicy", "resourcerequest", "timeentry"],
)
def test_admin_lists_load(org, presales, make_request, client, model):
    make_request()
    client.force_login(org.admin)
    assert client.get(reverse(f"admin:resources_{model}_changelist")).status_code == 200


def test_engineer_page_edits_skills_and_days_off(org, presales, client):
    client.force_login(org.admin)
    url = reverse("admin:resources_engineerprofile_change", args=[presales.engineer1.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Engineer skills" in page.content.decode()


def test_requests_are_read_only(org, presales, make_request, bring_to, client):
    request = bring_to(make_request(), RequestStatus.DISPATCHED)
    client.force_login(org.admin)
    url = reverse("admin:resources_resourcerequest_change", args=[request.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert str(org.engineer) in page.content.decode()  # the assignment inline
    assert client.post(url, {"status": "done"}).status_code == 403
    request.refresh_from_db()
    assert request.status == RequestStatus.DISPATCHED
