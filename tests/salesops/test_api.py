import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from salesops.models import Target


def test_token_endpoint_exchanges_credentials_for_a_token(org, api_client):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "rep1", "password": "secret-pass-123"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=org.rep1).key

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "rep1"


def test_token_endpoint_refuses_wrong_password_with_a_field_message(org, api_client):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "rep1", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["non_field_errors"]
    missing = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"username", "password"}


def test_api_root_needs_authentication_and_lists_endpoints(org, api_client):
    assert api_client.get("/api/v1/").status_code == 401
    api_client.force_authenticate(org.rep1)
    body = api_client.get("/api/v1/").json()
    assert {"users", "teams", "targets"} <= set(body)


def test_users_endpoint_applies_the_visibility_rule(org, api_client):
    api_client.force_authenticate(org.manager_shanghai)
    body = api_client.get("/api/v1/users/").json()
    assert body["count"] == 3
    assert sorted(row["username"] for row in body["results"]) == ["m.shanghai", "rep1", "rep2"]
    assert api_client.get(f"/api/v1/users/{org.rep3.pk}/").status_code == 404


def test_users_filter_by_role_and_subtree(org, api_client):
    api_client.force_authenticate(org.admin)
    body = api_client.get("/api/v1/users/", {"role": "rep", "in_team": org.east.pk}).json()
    assert sorted(row["username"] for row in body["results"]) == ["rep1", "rep2", "rep3"]


def test_teams_endpoint_returns_the_tree_with_parents(org, api_client):
    api_client.force_authenticate(org.manager_east)
    rows = api_client.get("/api/v1/teams/").json()["results"]
    assert [(row["name"], row["parent"], row["depth"]) for row in rows] == [
        ("East China", None, 1),
        ("Jiangsu", org.east.pk, 2),
        ("Shanghai", org.east.pk, 2),
    ]


def test_manager_creates_and_updates_a_target_through_the_service(org, api_client):
    api_client.force_authenticate(org.manager_east)
    created = api_client.post(
        "/api/v1/targets/",
        {"user": org.rep3.pk, "month": "2026-11-01", "amount": "600000"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["set_by"] == org.manager_east.pk
    updated = api_client.patch(
        f"/api/v1/targets/{created.json()['id']}/", {"amount": "650000.00"}, format="json"
    )
    assert updated.status_code == 200
    assert Target.objects.get().amount == 650000


def test_target_for_an_invisible_user_is_a_field_error(org, api_client):
    api_client.force_authenticate(org.manager_shanghai)
    response = api_client.post(
        "/api/v1/targets/",
        {"user": org.rep3.pk, "month": "2026-11-01", "amount": "1"},
        format="json",
    )
    assert response.status_code == 400
    assert "user" in response.json()
    assert not Target.objects.exists()


def test_rep_setting_own_target_gets_403_with_reasons_shape(org, api_client):
    api_client.force_authenticate(org.rep1)
    response = api_client.post(
        "/api/v1/targets/",
        {"user": org.rep1.pk, "month": "2026-11-01", "amount": "1"},
        format="json",
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "reasons"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"month": "2026-11-01", "amount": "1"}, "detail"),
        ({"team": "EAST", "month": "2026-11-01", "amount": "1"}, "team"),
        ({"team": 1, "month": "not-a-date", "amount": "1"}, "month"),
        ({"team": 1, "month": "2026-11-01", "amount": "lots"}, "amount"),
    ],
)
def test_bad_target_payloads_get_400_with_a_message(org, api_client, payload, field):
    api_client.force_authenticate(org.admin)
    response = api_client.post("/api/v1/targets/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Target.objects.exists()


def test_changing_the_subject_of_a_target_is_refused(org, api_client):
    api_client.force_authenticate(org.admin)
    target = api_client.post(
        "/api/v1/targets/",
        {"user": org.rep1.pk, "month": "2026-11-01", "amount": "1"},
        format="json",
    ).json()
    response = api_client.patch(
        f"/api/v1/targets/{target['id']}/", {"user": org.rep2.pk}, format="json"
    )
    assert response.status_code == 400
    assert "user" in response.json()


def test_schema_and_docs_are_served_without_login(client):
    schema = client.get(reverse("schema"))
    assert schema.status_code == 200
    assert b"/api/v1/targets/" in schema.content
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    assert b"http" not in docs.content.split(b"<script")[1].split(b">")[0]  # local assets


def test_users_list_query_count_does_not_grow(org, api_client, django_assert_max_num_queries):
    api_client.force_authenticate(org.admin)
    with django_assert_max_num_queries(4):
        response = api_client.get("/api/v1/users/")
    assert response.json()["count"] == 11
