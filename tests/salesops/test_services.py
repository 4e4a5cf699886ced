import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from salesops import services
from salesops.choices import Role
from salesops.exceptions import OrganisationRuleError, PermissionRefused
from salesops.models import Target, Team
from tests.factories import TeamFactory, UserFactory

NOV = datetime.date(2026, 11, 1)


def test_manager_sets_a_rep_target_normalised_to_the_first_of_the_month(org):
    target = services.target_set(
        by=org.manager_east, user=org.rep3, month=datetime.date(2026, 11, 17), amount=800000
    )
    assert (target.month, target.amount, target.set_by) == (NOV, Decimal(800000), org.manager_east)


def test_setting_again_replaces_the_amount_instead_of_duplicating(org):
    services.target_set(by=org.manager_shanghai, user=org.rep1, month=NOV, amount=100)
    services.target_set(by=org.manager_shanghai, user=org.rep1, month=NOV, amount=250)
    assert list(Target.objects.values_list("amount", flat=True)) == [Decimal(250)]


def test_manager_cannot_set_targets_outside_their_subtree(org):
    with pytest.raises(PermissionRefused):
        services.target_set(by=org.manager_shanghai, user=org.rep3, month=NOV, amount=1)
    with pytest.raises(PermissionRefused):
        services.target_set(by=org.manager_shanghai, team=org.east, month=NOV, amount=1)
    assert not Target.objects.exists()


def test_rep_cannot_set_their_own_target(org):
    with pytest.raises(PermissionRefused):
        services.target_set(by=org.rep1, user=org.rep1, month=NOV, amount=1)


def test_target_needs_exactly_one_subject_and_no_negative_amount(org):
    with pytest.raises(OrganisationRuleError):
        services.target_set(by=org.admin, month=NOV, amount=1)
    with pytest.raises(OrganisationRuleError):
        services.target_set(by=org.admin, team=org.east, user=org.rep1, month=NOV, amount=1)
    with pytest.raises(OrganisationRuleError):
        services.target_set(by=org.admin, team=org.east, month=NOV, amount=-5)


def test_database_refuses_a_target_for_both_team_and_user(org):
    with pytest.raises(IntegrityError):
        Target.objects.create(team=org.east, user=org.rep1, month=NOV, amount=1)


def test_model_validation_refuses_a_month_that_is_not_the_first(org):
    target = Target(user=org.rep1, month=datetime.date(2026, 11, 2), amount=1)
    with pytest.raises(ValidationError) as error:
        target.full_clean()
    assert "first day" in str(error.value)


def test_team_manager_role_must_fit_the_team_kind(org):
    org.solutions.manager = org.manager_east
    with pytest.raises(ValidationError) as error:
        org.solutions.full_clean()
    assert "manager" in error.value.message_dict


def test_team_names_are_unique_ignoring_case(org):
    duplicate = Team(name="shanghai", kind="sales", path="0009", depth=1)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "name" in error.value.message_dict
    with pytest.raises(IntegrityError):
        TeamFactory(name="SHANGHAI")


def test_rep_must_belong_to_a_team(db):
    rep = UserFactory.build(username="homeless", role=Role.REP, team=None)
    with pytest.raises(ValidationError) as error:
        rep.full_clean()
    assert "team" in error.value.message_dict


def test_target_delete_checks_permission(org):
    target = services.target_set(by=org.admin, user=org.rep3, month=NOV, amount=1)
    with pytest.raises(PermissionRefused):
        services.target_delete(by=org.manager_shanghai, target=target)
    services.target_delete(by=org.manager_jiangsu, target=target)
    assert not Target.objects.exists()
