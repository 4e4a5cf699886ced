"""Reads of customer accounts, scoped by the visibility rule first."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Case, CharField, IntegerField, Prefetch, Q, QuerySet, Value, When

from salesops.choices import Role, TeamKind
from salesops.models import Team, User
from salesops.selectors import can_manage_team, team_ids_visible_to

from .choices import BidDecision, BidPosition, Tier, WishSide
from .models import (
    Account,
    AccountAssessment,
    AccountPlan,
    AccountTeamMember,
    Contact,
    RoadmapItem,
    TierChange,
    WishListItem,
)
from .tiering import Assessment, TieringFacts


def account_list_visible_to(user: User) -> QuerySet[Account]:
    """Accounts of the teams the user sees, plus those they own or serve on the team of."""
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.is_admin:
        return Account.objects.all()
    return Account.objects.filter(
        Q(owner_team__in=team_ids_visible_to(user))
        | Q(owner=user)
        | Q(pk__in=user.account_roles.values("account_id"))
    )


def tiering_facts_for(account_ids: Iterable[int]) -> dict[int, TieringFacts]:
    """The facts tiering scores from, for a batch of accounts, in a fixed number of queries:
    won revenue and the distinct years with a won deal (from the opportunities), the budget
    and size, and the owner's assessments."""
    from django.apps import apps
    from django.db.models import Count, Sum
    from django.db.models.functions import ExtractYear

    account_ids = list(account_ids)
    assessments: dict[int, dict[str, Assessment]] = defaultdict(dict)
    for row in AccountAssessment.objects.filter(account_id__in=account_ids).values(
        "account_id", "criterion", "score", "note"
    ):
        assessments[row["account_id"]][row["criterion"]] = Assessment(row["score"], row["note"])
    # Accounts do not import the opportunities app: it depends on them, not the reverse.
    won = (
        apps.get_model("opportunities", "Opportunity")
        .objects.filter(account_id__in=account_ids, status="won")
        .order_by()
    )
    revenue = dict(
        won.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total")
    )
    years = dict(
        won.annotate(year=ExtractYear("closed_on"))
        .values("account_id")
        .annotate(years=Count("year", distinct=True))
        .values_list("account_id", "years")
    )
    facts = {}
    for row in Account.objects.filter(pk__in=account_ids).values("pk", "annual_budget", "size"):
        facts[row["pk"]] = TieringFacts(
            won_revenue=revenue.get(row["pk"]) or Decimal(0),
            buying_years=years.get(row["pk"], 0),
            annual_budget=row["annual_budget"],
            size=row["size"],
            assessments=assessments.get(row["pk"], {}),
        )
    return facts


def account_overview(*, account: Account, user: User) -> dict:
    """Everything the account page shows, in a fixed number of queries."""
    from salesops.selectors import can_manage_team

    from .choices import AccountTeamRole

    team = {member.role: member for member in account.team_members.select_related("user")}
    contacts = list(account.contacts.select_related("reports_to").order_by("-is_active", "name"))
    return {
        "account": account,
        "explanation": account.tier_explanation,
        "tier_changes": account.tier_changes.select_related("changed_by")[:20],
        "transfers": account.transfers.select_related("from_team", "to_team", "transferred_by")[
            :10
        ],
        "assessments": account.assessments.select_related("assessed_by"),
        "account_team": [(role, team.get(role)) for role in AccountTeamRole],
        "contacts": contacts,
        "subsidiaries": account.subsidiaries.order_by("name"),
        "grid": _grid_cells(current=(account.attractiveness, account.position)),
        "can_manage": can_manage_team(user, account.owner_team),
        **_account_opportunities(account=account, user=user),
    }


ACCOUNT_PAGE_OPPORTUNITIES = 20


def _account_opportunities(*, account: Account, user: User) -> dict:
    """The account's opportunities the user may see, open ones first, then by close date; the
    first ACCOUNT_PAGE_OPPORTUNITIES and how many there are in all."""
    # Imported here: the opportunities app depends on accounts, not the reverse.
    from opportunities.selectors import opportunity_list_visible_to

    deals = (
        opportunity_list_visible_to(user)
        .filter(account=account)
        .select_related("stage", "owner")
        .annotate(
            is_closed=Case(When(status="open", then=0), default=1, output_field=IntegerField())
        )
        .order_by("is_closed", "expected_close_date", "pk")
    )
    shown = list(deals[:ACCOUNT_PAGE_OPPORTUNITIES])
    total = len(shown) if len(shown) < ACCOUNT_PAGE_OPPORTUNITIES else deals.count()
    return {"opportunities": shown, "opportunities_total": total}


def contact_tree(*, account: Account) -> list:
    """The account's contacts as a forest by reporting line: each contact gets `.reports`
    (its direct reports, sorted); the roots are returned. One query."""
    contacts = list(account.contacts.order_by("name"))
    by_id = {contact.pk: contact for contact in contacts}
    for contact in contacts:
        contact.reports = []
    roots = []
    for contact in contacts:
        boss = by_id.get(contact.reports_to_id)
        (boss.reports if boss is not None else roots).append(contact)
    return roots


def _grid_cells(*, current=("", ""), counts=None) -> list[list[dict]]:
    """The nine-grid as rows of attractiveness (high → low) × columns of position
    (high → low). `strength` (high, mid, low) colours the cell: how good the cell is for us."""
    from .choices import NINE_GRID_STRATEGY, GridLevel, Tier

    levels = list(GridLevel)
    rows = []
    for row, attractiveness in enumerate(levels):
        cells = []
        for column, position in enumerate(levels):
            key = (attractiveness.value, position.value)
            tiers = (counts or {}).get(key, {})
            cells.append(
                {
                    "attractiveness": attractiveness,
                    "position": position,
                    "strategy": NINE_GRID_STRATEGY[(attractiveness, position)],
                    "strength": levels[min(2, max(0, row + column - 1))].value,
                    "current": key == tuple(current),
                    "count": sum(tiers.values()),
                    "tiers": [(tier, tiers.get(tier.value, 0)) for tier in Tier],
                }
            )
        rows.append(cells)
    return rows


def nine_grid(accounts: QuerySet[Account]) -> list[list[dict]]:
    """The nine-grid with the number of accounts (by tier) in each cell: one aggregate
    query however many accounts there are."""
    from django.db.models import Count

    counts = defaultdict(dict)
    for row in (
        accounts.order_by().values("attractiveness", "position", "tier").annotate(n=Count("pk"))
    ):
        counts[(row["attractiveness"], row["position"])][row["tier"]] = row["n"]
    return _grid_cells(counts=counts)


def account_owners_visible_to(user: User) -> QuerySet[User]:
    """People who own at least one account the user sees, for the owner filter."""
    return (
        User.objects.filter(is_active=True, pk__in=account_list_visible_to(user).values("owner_id"))
        .exclude(pk=user.pk)
        .order_by("name", "username")
    )


def contact_list_visible_to(user: User) -> QuerySet[Contact]:
    """Contacts of the accounts the user sees: people belong to the account, not to a rep."""
    return Contact.objects.filter(account__in=account_list_visible_to(user).values("pk"))


def tier_change_list_visible_to(user: User) -> QuerySet[TierChange]:
    """Tier history of the accounts the user sees."""
    return TierChange.objects.filter(account__in=account_list_visible_to(user).values("pk"))


# Account plans of strategic (tier A) accounts.
#
# Two sides decide jointly on each wish-list item:
# - the region side: whoever leads the account's region team, or a team above it. The region
#   team is the account's `region` when set (the region where the customer sits may differ from
#   the region of the team that owns the account), else the nearest region at or above the owner
#   team;
# - the account team side: the strategic account team, i.e. the account's owner, the members of
#   its iron triangle, and the manager of the owner team.
# Administrators are on neither side: they arbitrate escalations that have nobody above.


def _ancestor_paths(path: str, *, include_self: bool) -> list[str]:
    end = len(path) + 1 if include_self else len(path)
    return [path[:length] for length in range(Team.steplen, end, Team.steplen)]


def account_region_team(account: Account) -> Team | None:
    """The region whose managers speak for the region in the account's plan."""
    if account.region_id:
        return account.region
    return (
        Team.objects.filter(
            path__in=_ancestor_paths(account.owner_team.path, include_self=True),
            kind=TeamKind.REGION,
        )
        .order_by("-depth")
        .first()
    )


def _regions_led_by(user: User) -> QuerySet[Team]:
    """Region teams the user leads, directly or through a team above them."""
    paths = list(Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True))
    if not paths:
        return Team.objects.none()
    under_led = Q()
    for path in paths:
        under_led |= Q(path__startswith=path)
    return Team.objects.filter(under_led, kind=TeamKind.REGION)


def wish_item_sides_for(user: User, account: Account) -> frozenset[str]:
    """The sides (WishSide values) the user may take a position for on the account's plan."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    sides = set()
    region = account_region_team(account)
    if (
        region is not None
        and Team.objects.filter(
            path__in=_ancestor_paths(region.path, include_self=True),
            manager=user,
            is_active=True,
        ).exists()
    ):
        sides.add(WishSide.REGION)
    if (
        account.owner_id == user.pk
        or account.owner_team.manager_id == user.pk
        or account.team_members.filter(user=user).exists()
    ):
        sides.add(WishSide.ACCOUNT_TEAM)
    return frozenset(sides)


def can_edit_account_plan(user: User, account: Account) -> bool:
    """Objectives and goals belong to the account team: its owner and members, and the
    managers of the owner team (admins included)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        account.owner_id == user.pk
        or can_manage_team(user, account.owner_team)
        or account.team_members.filter(user=user).exists()
    )


def plan_accounts_visible_to(user: User) -> QuerySet[Account]:
    """Accounts whose plan the user may open: the accounts they see, plus the strategic accounts
    located in a region they lead, whose team may sit in another region."""
    visible = account_list_visible_to(user)
    if not user.is_authenticated or not user.is_active or user.is_admin:
        return visible
    return Account.objects.filter(
        Q(pk__in=visible.values("pk"))
        | Q(tier=Tier.A, region__in=_regions_led_by(user).values("pk"))
    )


def account_plan_for(*, account: Account, year: int) -> AccountPlan | None:
    """The account's plan for a year with its goals, wish list and roadmap, in five queries."""
    return (
        AccountPlan.objects.filter(account=account, year=year)
        .select_related("account", "created_by", "updated_by")
        .prefetch_related(
            "goals",
            Prefetch(
                "wish_items",
                queryset=WishListItem.objects.select_related(
                    "region_by", "account_team_by", "escalated_to", "escalation_by"
                ),
            ),
            Prefetch("roadmap_items", queryset=RoadmapItem.objects.select_related("wish_item")),
        )
        .first()
    )


def account_plan_years(account: Account) -> list[int]:
    return list(account.plans.order_by("year").values_list("year", flat=True))


def wish_item_escalation_manager(*, account: Account, exclude_user_ids: Iterable[int]) -> User:
    """Who decides when the region and the account team disagree: the nearest manager above
    the owner team who also leads the region team (so above both sides), skipping the people
    who took the two positions; with nobody left, the first active administrator."""
    region = account_region_team(account)
    paths = _ancestor_paths(account.owner_team.path, include_self=False)
    if region is not None:
        paths = [path for path in paths if region.path.startswith(path)]
    team = (
        Team.objects.filter(path__in=paths, is_active=True, manager__is_active=True)
        .exclude(manager_id__in=list(exclude_user_ids))
        .select_related("manager")
        .order_by("-depth")
        .first()
    )
    if team is not None:
        return team.manager
    return (
        User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True)
        .order_by("pk")
        .first()
    )


# What `wish_items_awaiting` marks an escalation with; the sides are marked with WishSide values.
AWAITING_ESCALATION = "escalation"
HOME_WISH_ITEMS = 8


def wish_items_awaiting(user: User) -> QuerySet[WishListItem]:
    """Wish-list items on which the user must act: a position still missing from a side they
    speak for (and have not already taken the other side's position), or an escalation sent
    to them. Each item is annotated with `awaiting`: the side whose position the user owes (the
    region first, for someone on both sides), or AWAITING_ESCALATION."""
    if not user.is_authenticated or not user.is_active:
        return WishListItem.objects.none()
    led_regions = _regions_led_by(user)
    under_led_region = Q(plan__account__region__in=led_regions.values("pk"))
    for path in led_regions.values_list("path", flat=True):
        under_led_region |= Q(
            plan__account__region__isnull=True, plan__account__owner_team__path__startswith=path
        )
    region_missing = (
        Q(plan__account__tier=Tier.A, region_position=BidPosition.UNDECIDED)
        & under_led_region
        & ~Q(account_team_by=user)
    )
    account_team_missing = (
        Q(plan__account__tier=Tier.A, account_team_position=BidPosition.UNDECIDED)
        & (
            Q(plan__account__owner=user)
            | Q(plan__account__owner_team__manager=user)
            | Q(plan__account__in=AccountTeamMember.objects.filter(user=user).values("account_id"))
        )
        & ~Q(region_by=user)
    )
    escalated_to_user = Q(decision=BidDecision.ESCALATED, escalated_to=user)
    return (
        WishListItem.objects.filter(
            Q(decision=BidDecision.PENDING) & (region_missing | account_team_missing)
            | escalated_to_user
        )
        .annotate(
            awaiting=Case(
                When(escalated_to_user, then=Value(AWAITING_ESCALATION)),
                When(region_missing, then=Value(WishSide.REGION.value)),
                default=Value(WishSide.ACCOUNT_TEAM.value),
                output_field=CharField(),
            )
        )
        .select_related("plan__account")
        .order_by("plan__year", "pk")
    )


def home_wish_items(*, user: User, limit: int = HOME_WISH_ITEMS) -> dict:
    """The home page's card of wish-list decisions awaiting the user: the first `limit` items,
    how many there are in all and how many the card leaves out. Counts only a full card."""
    awaiting = wish_items_awaiting(user)
    items = list(awaiting[:limit])
    total = len(items) if len(items) < limit else awaiting.count()
    return {
        "wish_items_awaiting": items,
        "wish_items_awaiting_total": total,
        "wish_items_awaiting_more": total - len(items),
    }
