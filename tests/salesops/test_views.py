import pytest
from django.urls import reverse
from django.utils import translation

from salesops import services


def test_home_redirects_anonymous_users_to_the_login_form(client):
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert b'type="password"' in response.content


def test_login_page_speaks_chinese_when_the_browser_asks(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    assert '<html lang="zh-hans">' in response.content.decode()


def test_wrong_password_shows_a_form_error(org, client):
    response = client.post(reverse("login"), {"username": "rep1", "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize(
    ("username", "title"),
    [
        ("rep1", "My sales desk"),
        ("m.east", "Team control"),
        ("presales", "Presales dispatch"),
        ("engineer1", "My presales assignments"),
        ("admin", "Administration overview"),
    ],
)
def test_each_role_lands_on_its_own_home_page(org, client, username, title):
    response = client.post(
        reverse("login"), {"username": username, "password": "secret-pass-123"}, follow=True
    )
    assert response.status_code == 200
    assert f'data-testid="home-title">{title}<' in response.content.decode()


def test_home_page_in_chinese_for_zh_hans(org, client):
    client.force_login(org.rep1)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    with translation.override("zh-hans"):
        expected = translation.gettext("My sales desk")
    assert expected != "My sales desk"
    assert expected in response.content.decode()


def test_language_switch_overrides_the_browser(org, client):
    client.force_login(org.rep1)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="zh-hans">' in response.content.decode()


def test_manager_home_shows_the_subtree_with_targets(org, client):
    import datetime

    from django.utils import timezone

    month = timezone.localdate().replace(day=1)
    services.target_set(by=org.admin, team=org.jiangsu, month=month, amount=1234567)
    client.force_login(org.manager_east)
    response = client.get("/")
    teams = [team.name for team in response.context["teams"]]
    assert teams == ["East China", "Jiangsu", "Shanghai"]
    assert "1,234,567" in response.content.decode()
    assert isinstance(response.context["month"], datetime.date)


def test_rep_home_names_their_manager_and_shows_the_empty_target_state(org, client):
    client.force_login(org.rep1)
    response = client.get("/")
    assert response.context["my_manager"] == org.manager_shanghai
    assert "No personal target has been set" in response.content.decode()


def test_rep_in_a_team_without_manager_reports_to_the_region_manager(org, client):
    client.force_login(org.rep4)
    assert client.get("/").context["my_manager"] == org.manager_north


def test_organisation_page_is_for_managers_only(org, client):
    client.force_login(org.rep1)
    assert client.get(reverse("organisation")).status_code == 403
    client.force_login(org.manager_east)
    response = client.get(reverse("organisation"))
    assert response.status_code == 200
    assert "rep3" in response.content.decode()
    assert "rep4" not in response.content.decode()


def test_navigation_depends_on_the_role(org, client):
    client.force_login(org.rep1)
    rep_nav = [item["label"] for item in client.get("/").context["nav_items"]]
    client.force_login(org.manager_east)
    manager_nav = [item["label"] for item in client.get("/").context["nav_items"]]
    assert "Organisation" not in rep_nav
    assert "Organisation" in manager_nav


def test_organisation_page_query_count_is_fixed(org, client, django_assert_max_num_queries):
    client.force_login(org.admin)
    with django_assert_max_num_queries(10):
        client.get(reverse("organisation"))


def test_healthz_reports_database_and_cache(client, db):
    assert client.get("/healthz/").json() == {"database": "ok", "cache": "ok"}


def test_logout_is_a_post_and_returns_to_login(org, client):
    client.force_login(org.rep1)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get("/").status_code == 302
