"""Reads of opportunities, scoped by the visibility rule first (DESIGN.md, "Visibility"):
a rep sees their own opportunities and those of accounts whose account team they serve on;
a manager sees their team subtree; admins see all. Presales see the opportunities they are
asked to support: an engineer the deals with an assignment of theirs, a presales lead the deals
with a submitted resource request (they run the dispatch)."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import AccountTeamMember
from salesops.choices import Role
from salesops.models import Team, User
from salesops.selectors import can_manage_team, team_ids_visible_to

from .choices import OpportunityStatus
from .models import (
    Activity,
    Gate,
    GateRule,
    Milestone,
    MilestoneCheck,
    Opportunity,
    SalesProcess,
    Stage,
    StageAid,
)


def opportunity_list_visible_to(user: User) -> QuerySet[Opportunity]:
    if not user.is_authenticated or not user.is_active:
        return Opportunity.objects.none()
    if user.is_admin:
        return Opportunity.objects.all()
    condition = Q(owner=user) | Q(
        account__in=AccountTeamMember.objects.filter(user=user).values("account_id")
    )
    if user.role in (Role.MANAGER, Role.PRESALES_LEAD):
        condition |= Q(team__in=team_ids_visible_to(user))
    if user.role in (Role.PRESALES_ENGINEER, Role.PRESALES_LEAD):
        # resources depends on opportunities, not the other way round: import at call time.
        from resources.models import Assignment, ResourceRequest

        if user.role == Role.PRESALES_ENGINEER:
            supported = Assignment.objects.filter(engineer__user=user)
            condition |= Q(pk__in=supported.values("request__opportunity"))
        else:
            supported = ResourceRequest.objects.filter(submitted_at__isnull=False)
            condition |= Q(pk__in=supported.values("opportunity"))
    return Opportunity.objects.filter(condition)


def can_work_on(user: User, opportunity: Opportunity) -> bool:
    """Who may log progress on a deal: its owner, the account team, the team's managers."""
    return (
        user.is_admin
        or opportunity.owner_id == user.pk
        or AccountTeamMember.objects.filter(account_id=opportunity.account_id, user=user).exists()
        or can_manage_team(user, opportunity.team)
    )


def can_manage(user: User, opportunity: Opportunity) -> bool:
    """Managers of the owner's team (and admins) override, decide gates and reopen."""
    return can_manage_team(user, opportunity.team)


def with_board_relations(queryset: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    return queryset.select_related("account", "owner", "team", "stage", "customer_stage", "process")


def default_process() -> SalesProcess:
    return SalesProcess.objects.filter(is_default=True, is_active=True).first()


def missing_milestones(opportunity: Opportunity, stages: list[Stage]) -> list[Milestone]:
    """Required milestones of the given stages that the opportunity has not checked."""
    checked = MilestoneCheck.objects.filter(
        opportunity=opportunity, milestone=OuterRef("pk"), is_checked=True
    )
    return list(
        Milestone.objects.filter(stage__in=stages, is_required=True)
        .annotate(is_checked=Exists(checked))
        .filter(is_checked=False)
        .select_related("stage")
        .order_by("stage__order", "order", "pk")
    )


def gates_needed(opportunity: Opportunity, stages: list[Stage]) -> list[GateRule]:
    """Gate rules guarding the way out of the given stages that apply to this deal."""
    rules = GateRule.objects.filter(
        process_id=opportunity.process_id, leaving_stage__in=stages, is_active=True
    ).select_related("leaving_stage")
    return [rule for rule in rules if rule.applies_to(opportunity)]


def passed_gate_kinds(opportunity: Opportunity) -> set[str]:
    from .choices import GATE_PASSED

    return set(
        Gate.objects.filter(opportunity=opportunity, status__in=GATE_PASSED).values_list(
            "kind", flat=True
        )
    )


def pending_gates_for(user: User) -> QuerySet[Gate]:
    """Gate requests the user may decide: those of teams they manage, not their own."""
    gates = Gate.objects.filter(status="requested").select_related(
        "opportunity__account", "opportunity__owner", "opportunity__stage", "requested_by"
    )
    if user.is_admin:
        return gates
    if user.role not in (Role.MANAGER, Role.PRESALES_LEAD):
        return gates.none()
    led = Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True)
    condition = Q(pk__in=[])
    for path in led:
        condition |= Q(opportunity__team__path__startswith=path)
    return gates.filter(condition).exclude(requested_by=user)


def agenda_for(user: User) -> QuerySet[Activity]:
    """The rep's open next steps, soonest first."""
    return (
        Activity.objects.filter(owner=user, next_step_done=False)
        .exclude(next_step="")
        .filter(opportunity__status=OpportunityStatus.OPEN)
        .select_related("opportunity__account")
        .order_by("next_step_due", "pk")
    )


def stage_path(opportunity: Opportunity) -> list[dict]:
    """The stages of the deal's process with milestones, tasks and the aids for the account's
    industry, and which are done: what the deal page draws."""
    done_tasks = {done.task_id: done for done in opportunity.tasks_done.select_related("done_by")}
    checks = {
        check.milestone_id: check
        for check in opportunity.milestone_checks.filter(is_checked=True).select_related(
            "checked_by", "activity"
        )
    }
    stages = Stage.objects.filter(process_id=opportunity.process_id).prefetch_related(
        "milestones",
        "tasks",
        "collaborators",
        Prefetch(
            "aids",
            queryset=StageAid.objects.filter(
                Q(industry="") | Q(industry=opportunity.account.industry)
            ),
        ),
    )
    path = []
    for stage in stages:
        path.append(
            {
                "stage": stage,
                "is_current": stage.pk == opportunity.stage_id,
                "is_done": stage.order < opportunity.stage.order,
                "is_customer": stage.pk == opportunity.customer_stage_id,
                "milestones": [
                    {"milestone": milestone, "check": checks.get(milestone.pk)}
                    for milestone in stage.milestones.all()
                ],
                "tasks": [
                    {"task": task, "done": done_tasks.get(task.pk)} for task in stage.tasks.all()
                ],
                "aids": list(stage.aids.all()),
                "collaborators": list(stage.collaborators.all()),
            }
        )
    return path


def stage_change_list_visible_to(user: User) -> QuerySet:
    """Stage history of the opportunities the user may see."""
    from .models import StageChange

    return StageChange.objects.filter(opportunity__in=opportunity_list_visible_to(user))


def gate_list_visible_to(user: User) -> QuerySet[Gate]:
    """Gate reviews of the opportunities the user may see (a manager: those of the team
    subtree they lead). The ones a manager may decide are pending_gates_for()."""
    return Gate.objects.filter(opportunity__in=opportunity_list_visible_to(user))


def activity_list_visible_to(user: User) -> QuerySet[Activity]:
    """Activities logged on the opportunities the user may see."""
    return Activity.objects.filter(opportunity__in=opportunity_list_visible_to(user))


def process_list_with_stages() -> QuerySet[SalesProcess]:
    """Sales processes with their stages and everything a stage carries, in a fixed number of
    queries. Processes are company configuration: every signed-in user may read them."""
    return SalesProcess.objects.prefetch_related(
        Prefetch(
            "stages",
            queryset=Stage.objects.order_by("order").prefetch_related(
                "milestones", "tasks", "aids", "collaborators"
            ),
        ),
        Prefetch("gates", queryset=GateRule.objects.select_related("leaving_stage")),
    )


def decision_chain_gaps(opportunity: Opportunity) -> list[str]:
    """What the decision chain of a deal lacks (DESIGN.md §1.4): no economic buyer mapped; no
    champion or supporter among the high-influence people; one mapped contact or none
    (single-threaded). Reads `opportunity.decision_chain`, prefetched or not. The alerts
    decide from the stage whether a gap is worth raising."""
    from django.utils.translation import gettext as _

    from accounts.choices import Attitude, Influence, PurchaseRole

    links = list(opportunity.decision_chain.all())
    gaps = []
    if not any(link.role == PurchaseRole.ECONOMIC_BUYER for link in links):
        gaps.append(_("No economic buyer is mapped: find out who signs off the budget."))
    if not any(
        link.influence == Influence.HIGH
        and link.attitude in (Attitude.CHAMPION, Attitude.SUPPORTER)
        for link in links
    ):
        gaps.append(_("No champion or supporter among the high-influence people."))
    if len(links) == 0:
        gaps.append(_("Nobody is mapped in the decision chain yet."))
    elif len(links) == 1:
        gaps.append(_("Single-threaded: only one contact is mapped."))
    return gaps


def home_pipeline(*, user: User, limit: int = 6) -> dict:
    """What the home page shows of the pipeline: the user's open deals in figures, their next
    steps, and for managers the gate reviews waiting for them. A fixed number of queries."""
    from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum

    weighted = ExpressionWrapper(
        F("amount") * F("probability") / 100, output_field=DecimalField(max_digits=20)
    )
    mine = Opportunity.objects.filter(owner=user, status=OpportunityStatus.OPEN).aggregate(
        deals=Count("pk"), total=Sum("amount"), total_weighted=Sum(weighted)
    )
    agenda = agenda_for(user)
    gates = pending_gates_for(user)
    return {
        "pipeline": mine,
        "agenda": list(agenda[:limit]),
        "agenda_count": agenda.count(),
        "pending_gates": list(gates[:limit]),
        "pending_gates_count": gates.count(),
    }
