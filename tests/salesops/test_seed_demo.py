from io import StringIO

from django.contrib.auth import authenticate
from django.core.management import call_command

from salesops.choices import Role, TeamKind
from salesops.demo import DEMO_PASSWORD
from salesops.models import Target, Team, User


def test_seed_demo_builds_the_documented_company_and_is_idempotent(db):
    call_command("seed_demo", "--accounts", "20", stdout=StringIO())
    counts = {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "targets": Target.objects.count(),
    }
    assert Team.objects.filter(kind=TeamKind.REGION).count() >= 3
    assert Team.objects.filter(kind=TeamKind.SALES).count() >= 6
    assert User.objects.filter(role=Role.REP).count() >= 30
    assert User.objects.filter(role=Role.MANAGER).count() >= 6
    assert User.objects.filter(role=Role.PRESALES_LEAD).count() == 2
    assert User.objects.filter(role=Role.PRESALES_ENGINEER).count() >= 8
    # Every sales team has a manager, every rep a monthly target.
    assert not Team.objects.filter(manager__isnull=True).exists()
    assert not User.objects.filter(role=Role.REP).exclude(targets__isnull=False).exists()

    call_command("seed_demo", "--accounts", "20", stdout=StringIO())
    assert counts == {
        "users": User.objects.count(),
        "teams": Team.objects.count(),
        "targets": Target.objects.count(),
    }


def test_documented_demo_logins_work_for_each_role(db):
    call_command("seed_demo", "--accounts", "0", stdout=StringIO())
    expected = {
        "admin": Role.ADMIN,
        "manager": Role.MANAGER,
        "mgr.shanghai": Role.MANAGER,
        "rep": Role.REP,
        "presales": Role.PRESALES_LEAD,
        "engineer": Role.PRESALES_ENGINEER,
    }
    for username, role in expected.items():
        user = authenticate(username=username, password=DEMO_PASSWORD)
        assert user is not None, username
        assert user.role == role


def test_team_targets_add_up_their_reps(db):
    call_command("seed_demo", "--accounts", "0", stdout=StringIO())
    team = Team.objects.get(name="Shanghai Enterprise")
    target = Target.objects.filter(team=team).order_by("month").first()
    reps_total = sum(
        Target.objects.filter(user__team=team, month=target.month).values_list("amount", flat=True)
    )
    assert target.amount == reps_total > 0
