"""The visibility rule (DESIGN.md): one place answers which teams and users a user can see."""

import pytest

from salesops import selectors
from salesops.choices import Role
from salesops.models import Team
from tests.factories import UserFactory


def names(queryset):
    return sorted(team.name for team in queryset)


def usernames(queryset):
    return sorted(user.username for user in queryset)


def test_admin_sees_every_team_and_user(org):
    assert names(selectors.team_list_visible_to(org.admin)) == [
        "Beijing",
        "East China",
        "Jiangsu",
        "North China",
        "Presales Centre",
        "Shanghai",
        "Solutions",
    ]
    assert selectors.user_list_visible_to(org.admin).count() == 11


def test_regional_manager_sees_the_whole_region_subtree(org):
    assert names(selectors.team_list_visible_to(org.manager_east)) == [
        "East China",
        "Jiangsu",
        "Shanghai",
    ]
    assert usernames(selectors.user_list_visible_to(org.manager_east)) == [
        "m.east",
        "m.jiangsu",
        "m.shanghai",
        "rep1",
        "rep2",
        "rep3",
    ]


def test_team_manager_sees_only_their_team_not_siblings_or_the_region(org):
    assert names(selectors.team_list_visible_to(org.manager_shanghai)) == ["Shanghai"]
    assert usernames(selectors.user_list_visible_to(org.manager_shanghai)) == [
        "m.shanghai",
        "rep1",
        "rep2",
    ]


def test_rep_sees_only_themselves_and_their_own_team(org):
    assert names(selectors.team_list_visible_to(org.rep1)) == ["Shanghai"]
    assert usernames(selectors.user_list_visible_to(org.rep1)) == ["rep1"]


def test_presales_lead_sees_the_presales_subtree_and_engineer_only_themselves(org):
    assert names(selectors.team_list_visible_to(org.lead)) == ["Presales Centre", "Solutions"]
    assert usernames(selectors.user_list_visible_to(org.lead)) == ["engineer1", "presales"]
    assert usernames(selectors.user_list_visible_to(org.engineer)) == ["engineer1"]


def test_manager_leading_no_team_sees_only_themselves(org):
    lonely = UserFactory(username="m.lonely", role=Role.MANAGER, team=org.beijing)
    assert usernames(selectors.user_list_visible_to(lonely)) == ["m.lonely"]
    assert names(selectors.team_list_visible_to(lonely)) == ["Beijing"]


def test_inactive_led_team_grants_nothing(org):
    org.shanghai.is_active = False
    org.shanghai.save(update_fields=["is_active"])
    assert usernames(selectors.user_list_visible_to(org.manager_shanghai)) == ["m.shanghai"]


def test_deactivated_user_sees_nothing(org):
    org.manager_east.is_active = False
    assert selectors.team_list_visible_to(org.manager_east).count() == 0
    assert selectors.user_list_visible_to(org.manager_east).count() == 0


def test_team_moved_into_a_region_becomes_visible_to_its_manager(org):
    Team.objects.move(org.beijing, org.east, pos="sorted-child")
    assert "Beijing" in names(selectors.team_list_visible_to(org.manager_east))
    assert "rep4" in usernames(selectors.user_list_visible_to(org.manager_east))
    assert "rep4" not in usernames(selectors.user_list_visible_to(org.manager_north))


@pytest.mark.parametrize(
    ("actor", "subject", "allowed"),
    [
        ("manager_east", "rep3", True),
        ("manager_shanghai", "rep3", False),
        ("manager_shanghai", "manager_shanghai", False),  # nobody sets their own quota
        ("rep1", "rep2", False),
        ("admin", "rep4", True),
        ("lead", "engineer", True),
        ("lead", "rep1", False),
    ],
)
def test_can_manage_user(org, actor, subject, allowed):
    assert selectors.can_manage_user(getattr(org, actor), getattr(org, subject)) is allowed


def test_team_tree_annotates_parents_in_one_query(org, django_assert_num_queries):
    with django_assert_num_queries(2):  # the led teams' paths, then the tree itself
        tree = list(selectors.team_tree_visible_to(org.manager_east))
    by_name = {team.name: team for team in tree}
    assert by_name["East China"].parent_id is None
    assert by_name["Shanghai"].parent_id == org.east.pk
    assert [team.name for team in tree] == ["East China", "Jiangsu", "Shanghai"]
