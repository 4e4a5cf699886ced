"""The visibility rule for the sales organisation, in one place.

Who sees whom (DESIGN.md, "Visibility"):
- an admin sees every team and user;
- a sales manager or presales lead sees the subtree of every team they lead;
- a rep or presales engineer sees their own team (for context) and only themselves.
Pages, API, exports and dashboards all start from these querysets; the other apps scope their
records by `team_ids_visible_to()` and `user_ids_visible_to()`.
"""

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from .choices import Role
from .models import Target, Team, User


def _led_subtrees_filter(user: User) -> Q | None:
    paths = list(Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True))
    if not paths:
        return None
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return condition


def team_list_visible_to(user: User) -> QuerySet[Team]:
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_admin:
        return Team.objects.all()
    condition = Q(pk=user.team_id) if user.team_id else Q(pk__in=[])
    if user.role in (Role.MANAGER, Role.PRESALES_LEAD):
        led = _led_subtrees_filter(user)
        if led is not None:
            condition |= led
    return Team.objects.filter(condition)


def user_list_visible_to(user: User) -> QuerySet[User]:
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if user.is_admin:
        return User.objects.all()
    condition = Q(pk=user.pk)
    if user.role in (Role.MANAGER, Role.PRESALES_LEAD):
        led = _led_subtrees_filter(user)
        if led is not None:
            condition |= Q(team__in=Team.objects.filter(led))
    return User.objects.filter(condition)


def team_tree_visible_to(user: User) -> QuerySet[Team]:
    """Visible teams in tree order, each with `parent_id` annotated in the same query."""
    parent = Team.objects.filter(
        path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Team.steplen)
    ).values("pk")[:1]
    return (
        team_list_visible_to(user)
        .select_related("manager")
        .annotate(parent_id=Subquery(parent))
        .order_by("path")
    )


def team_ids_visible_to(user: User) -> QuerySet:
    """A subquery of visible team ids, to scope other apps' records without a round trip."""
    return team_list_visible_to(user).values("pk")


def user_ids_visible_to(user: User) -> QuerySet:
    return user_list_visible_to(user).values("pk")


def can_manage_team(user: User, team: Team) -> bool:
    """Managers and leads run the teams they lead and everything below; admins run all."""
    if user.is_admin:
        return True
    if user.role not in (Role.MANAGER, Role.PRESALES_LEAD):
        return False
    led = _led_subtrees_filter(user)
    return led is not None and Team.objects.filter(led, pk=team.pk).exists()


def can_manage_user(user: User, subject: User) -> bool:
    if user.is_admin:
        return True
    return (
        subject.team_id is not None
        and subject.pk != user.pk
        and can_manage_team(user, subject.team)
    )


def target_list_visible_to(user: User) -> QuerySet[Target]:
    return Target.objects.filter(
        Q(team__in=team_ids_visible_to(user)) | Q(user__in=user_ids_visible_to(user))
    ).select_related("team", "user", "set_by")


def team_members_with_targets(*, team: Team, month) -> QuerySet[User]:
    """Members of a team subtree with their target for a month, for the managers' home page."""
    target = Target.objects.filter(user=OuterRef("pk"), month=month).values("amount")[:1]
    return (
        User.objects.filter(team__in=team.subtree(), is_active=True)
        .select_related("team")
        .annotate(month_target=Subquery(target))
        .order_by("team__path", "role", "username")
    )


def organisation_tree(*, user: User, month) -> list[Team]:
    """Visible teams in tree order, each with its month target, manager and active members
    (with their month targets). A fixed number of queries, whatever the organisation's size."""
    team_target = Target.objects.filter(team=OuterRef("pk"), month=month).values("amount")[:1]
    member_target = Target.objects.filter(user=OuterRef("pk"), month=month).values("amount")[:1]
    members = (
        User.objects.filter(is_active=True)
        .annotate(month_target=Subquery(member_target))
        .order_by("role", "username")
    )
    return list(
        team_tree_visible_to(user)
        .filter(is_active=True)
        .annotate(month_target=Subquery(team_target))
        .prefetch_related(Prefetch("members", queryset=members, to_attr="active_members"))
    )


def home_overview(*, user: User, month) -> dict:
    """What a user's home page shows about their place in the organisation."""
    my_targets = list(Target.objects.filter(user=user, month__gte=month).order_by("month")[:3])
    context = {
        "my_team": user.team,
        "my_manager": _manager_of(user),
        "my_targets": my_targets,
    }
    if user.is_admin or user.role in (Role.MANAGER, Role.PRESALES_LEAD):
        teams = organisation_tree(user=user, month=month)
        context["teams"] = teams
        context["led_teams"] = [team for team in teams if team.manager_id == user.pk]
        context["member_count"] = sum(len(team.active_members) for team in teams)
    if user.is_admin:
        context["role_counts"] = list(
            User.objects.filter(is_active=True)
            .values("role")
            .annotate(count=Count("pk"))
            .order_by("role")
        )
        for row in context["role_counts"]:
            row["label"] = Role(row["role"]).label
    return context


def _manager_of(user: User) -> User | None:
    """The nearest manager above the user: their team's manager, else an ancestor team's."""
    if not user.team_id:
        return None
    team = user.team
    ancestors = (
        Team.objects.filter(
            path__in=[
                team.path[:end] for end in range(Team.steplen, len(team.path) + 1, Team.steplen)
            ],
            manager__isnull=False,
        )
        .exclude(manager=user)
        .select_related("manager")
        .order_by("-depth")
    )
    nearest = ancestors.first()
    return nearest.manager if nearest else None
