"""Writes with a rule for customer accounts: creation and edits, tiering, overrides,
ownership transfers and the account team."""

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.choices import TeamKind
from salesops.exceptions import Conflict, PermissionRefused
from salesops.models import Team, User
from salesops.selectors import can_manage_team

from .choices import (
    AccountStatus,
    AccountTeamRole,
    BidDecision,
    BidPosition,
    Tier,
    TierChangeSource,
    WishSide,
)
from .exceptions import AccountRuleError
from .models import (
    Account,
    AccountAssessment,
    AccountPlan,
    AccountTeamMember,
    AccountTransfer,
    Contact,
    PlanGoal,
    RoadmapItem,
    TierChange,
    TieringPolicy,
    WishListItem,
)
from .selectors import (
    account_region_team,
    can_edit_account_plan,
    tiering_facts_for,
    wish_item_escalation_manager,
    wish_item_sides_for,
)
from .tiering import compute_tiering

EDITABLE_FIELDS = {
    "name",
    "industry",
    "region",
    "location",
    "size",
    "employees",
    "annual_budget",
    "parent",
    "owner",
    "status",
}
RECOMPUTE_BATCH = 500


def _refuse_unknown_fields(fields: dict) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise AccountRuleError(message % {"fields": ", ".join(sorted(unknown))})


def _can_manage_account(user: User, account: Account) -> bool:
    return can_manage_team(user, account.owner_team)


def _can_edit_account(user: User, account: Account) -> bool:
    return (
        account.owner_id == user.pk
        or _can_manage_account(user, account)
        or (account.team_members.filter(user=user).exists())
    )


@transaction.atomic
def account_create(*, by: User, owner_team: Team, **fields) -> Account:
    _refuse_unknown_fields(fields)
    if owner_team.kind != TeamKind.SALES:
        raise AccountRuleError(
            _("Accounts belong to a sales team, not to %(team)s.") % {"team": owner_team}
        )
    if not (by.is_admin or owner_team.pk == by.team_id or can_manage_team(by, owner_team)):
        raise PermissionRefused(
            _("You cannot create accounts for %(team)s.") % {"team": owner_team}
        )
    account = Account(owner_team=owner_team, **fields)
    account.full_clean()
    account.save()
    _apply_tiering([account.pk], source=TierChangeSource.CREATED, by=by)
    account.refresh_from_db()
    return account


@transaction.atomic
def account_update(*, account: Account, by: User, version: int, **fields) -> Account:
    """Edit an account. `version` is the one the editor loaded: a stale edit is refused
    instead of silently overwriting somebody else's change."""
    _refuse_unknown_fields(fields)
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if not _can_edit_account(by, locked):
        raise PermissionRefused(_("You cannot edit this account."))
    if locked.version != version:
        raise Conflict(_("Somebody else changed this account meanwhile. Reload and try again."))
    _save_edit(locked, fields)
    if {"annual_budget", "size"} & set(fields):
        _apply_tiering([locked.pk], source=TierChangeSource.RECOMPUTE, by=by)
        locked.refresh_from_db()
    return locked


@transaction.atomic
def account_assess(*, account: Account, by: User, criterion: str, score: int, note: str) -> Account:
    """The owner's score (0–100) for a judgement criterion, with a mandatory note."""
    if not _can_edit_account(by, account):
        raise PermissionRefused(_("Only the account's owner, team or managers assess it."))
    if not note.strip():
        raise AccountRuleError(_("Explain the score in a note."))
    assessment = AccountAssessment.objects.filter(
        account=account, criterion=criterion
    ).first() or AccountAssessment(account=account, criterion=criterion)
    assessment.score, assessment.note, assessment.assessed_by = score, note.strip(), by
    assessment.full_clean()
    assessment.save()
    _apply_tiering([account.pk], source=TierChangeSource.RECOMPUTE, by=by)
    account.refresh_from_db()
    return account


def tiering_recompute(*, account_ids: Iterable[int] | None = None) -> int:
    """Recompute score, tier and nine-grid cell of the given accounts (all when None), in
    batches. Idempotent: unchanged accounts are not written and get no history. Returns the
    number of accounts whose tier changed."""
    ids = (
        list(account_ids)
        if account_ids is not None
        else list(Account.objects.order_by("pk").values_list("pk", flat=True))
    )
    changed = 0
    for start in range(0, len(ids), RECOMPUTE_BATCH):
        with transaction.atomic():
            changed += _apply_tiering(
                ids[start : start + RECOMPUTE_BATCH], source=TierChangeSource.RECOMPUTE
            )
    return changed


def _apply_tiering(account_ids: list[int], *, source: str, by: User | None = None) -> int:
    policy = TieringPolicy.current()
    facts = tiering_facts_for(account_ids)
    now = timezone.now()
    to_update, history = [], []
    accounts = Account.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")
    for account in accounts:
        result = compute_tiering(policy, facts[account.pk])
        explanation = result.explanation()
        new_tier = account.tier_override or result.tier
        unchanged = (
            account.score == result.score
            and account.computed_tier == result.tier
            and account.tier == new_tier
            and account.attractiveness == result.attractiveness
            and account.position == result.position
            and account.tier_explanation == explanation
        )
        if unchanged and source != TierChangeSource.CREATED:
            continue
        if account.tier != new_tier or source == TierChangeSource.CREATED:
            history.append(
                TierChange(
                    account=account,
                    old_tier="" if source == TierChangeSource.CREATED else account.tier,
                    new_tier=new_tier,
                    score=result.score,
                    source=source,
                    changed_by=by,
                    reason=_("Score %(score)s") % {"score": result.score},
                )
            )
        account.score, account.computed_tier, account.tier = result.score, result.tier, new_tier
        account.attractiveness, account.position = result.attractiveness, result.position
        account.tier_explanation, account.tiered_at = explanation, now
        to_update.append(account)
    Account.objects.bulk_update(
        to_update,
        [
            "score",
            "computed_tier",
            "tier",
            "attractiveness",
            "position",
            "tier_explanation",
            "tiered_at",
        ],
    )
    TierChange.objects.bulk_create(history)
    return sum(1 for change in history if change.source != TierChangeSource.CREATED)


@transaction.atomic
def account_override_tier(*, account: Account, by: User, tier: str, reason: str) -> Account:
    """A manager of the owner team sets the tier by hand. The override survives recomputes
    until it is cleared."""
    if not _can_manage_account(by, account):
        raise PermissionRefused(_("Only a manager of the owner team can override the tier."))
    if not reason.strip():
        raise AccountRuleError(_("Give the reason for the override."))
    if tier not in Tier.values:
        raise AccountRuleError(_("Choose tier A, B or C."))
    locked = Account.objects.select_for_update().get(pk=account.pk)
    TierChange.objects.create(
        account=locked,
        old_tier=locked.tier,
        new_tier=tier,
        score=locked.score,
        source=TierChangeSource.OVERRIDE,
        reason=reason.strip(),
        changed_by=by,
    )
    locked.tier = locked.tier_override = tier
    locked.tier_override_reason, locked.tier_override_by = reason.strip(), by
    locked.tier_override_at = timezone.now()
    locked.save(
        update_fields=[
            "tier",
            "tier_override",
            "tier_override_reason",
            "tier_override_by",
            "tier_override_at",
        ]
    )
    return locked


@transaction.atomic
def account_clear_tier_override(*, account: Account, by: User) -> Account:
    if not _can_manage_account(by, account):
        raise PermissionRefused(_("Only a manager of the owner team can clear the override."))
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if not locked.tier_override:
        raise AccountRuleError(_("This account's tier is not overridden."))
    new_tier = locked.computed_tier or Tier.C
    TierChange.objects.create(
        account=locked,
        old_tier=locked.tier,
        new_tier=new_tier,
        score=locked.score,
        source=TierChangeSource.OVERRIDE_CLEARED,
        reason=_("Back to the computed tier"),
        changed_by=by,
    )
    locked.tier, locked.tier_override, locked.tier_override_reason = new_tier, "", ""
    locked.tier_override_by, locked.tier_override_at = None, None
    locked.save(
        update_fields=[
            "tier",
            "tier_override",
            "tier_override_reason",
            "tier_override_by",
            "tier_override_at",
        ]
    )
    return locked


@transaction.atomic
def account_transfer(*, account: Account, by: User, to_team: Team, reason: str) -> Account:
    """Move an account to another owner team: the only way a second team takes it."""
    if not reason.strip():
        raise AccountRuleError(_("Give the reason for the transfer."))
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.owner_team_id == to_team.pk:
        raise AccountRuleError(_("The account already belongs to %(team)s.") % {"team": to_team})
    if not (
        by.is_admin or (can_manage_team(by, locked.owner_team) and can_manage_team(by, to_team))
    ):
        raise PermissionRefused(
            _("A transfer needs a manager over both teams, or an administrator.")
        )
    AccountTransfer.objects.create(
        account=locked,
        from_team=locked.owner_team,
        to_team=to_team,
        reason=reason.strip(),
        transferred_by=by,
    )
    locked.owner_team = to_team
    if locked.owner_id and not (
        locked.owner.team and locked.owner.team.path.startswith(to_team.path)
    ):
        locked.owner = None  # the old owner stays with their team
    locked.version += 1
    locked.save(update_fields=["owner_team", "owner", "version", "updated_at"])
    return locked


@transaction.atomic
def account_team_set(
    *, account: Account, by: User, role: str, user: User | None
) -> AccountTeamMember | None:
    """Fill (or empty, with user=None) one role of a strategic account's iron triangle."""
    if not _can_manage_account(by, account):
        raise PermissionRefused(_("Only a manager of the owner team sets the account team."))
    if role not in AccountTeamRole.values:
        raise AccountRuleError(_("Unknown account team role."))
    if user is not None and account.tier != Tier.A:
        raise AccountRuleError(_("Only strategic (tier A) accounts have an account team."))
    AccountTeamMember.objects.filter(account=account, role=role).delete()
    if user is None:
        return None
    if role == AccountTeamRole.ACCOUNT_OWNER and account.owner_id != user.pk:
        # Saved as an edit: a form loaded before this change must not overwrite it.
        Account.objects.filter(pk=account.pk).update(owner=user, version=F("version") + 1)
    return AccountTeamMember.objects.create(account=account, role=role, user=user)


CONTACT_FIELDS = {
    "name",
    "title",
    "department",
    "phone",
    "email",
    "reports_to",
    "is_active",
    "notes",
}


def _check_contact_fields(fields: dict) -> None:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise AccountRuleError(message % {"fields": ", ".join(sorted(unknown))})


def _can_see_account(user: User, account: Account) -> bool:
    from .selectors import account_list_visible_to

    return account_list_visible_to(user).filter(pk=account.pk).exists()


@transaction.atomic
def contact_create(*, account: Account, by: User, **fields) -> Contact:
    """Add a person at the customer. Anyone who sees the account may map its people:
    contacts belong to the account, not to the rep who met them."""
    _check_contact_fields(fields)
    if not _can_see_account(by, account):
        raise PermissionRefused(_("You cannot add contacts to this account."))
    contact = Contact(account=account, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, by: User, version: int, **fields) -> Contact:
    _check_contact_fields(fields)
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    if locked.version != version:
        raise Conflict(_("Somebody else changed this contact meanwhile. Reload and try again."))
    if not _can_see_account(by, locked.account):
        raise PermissionRefused(_("You cannot edit this contact."))
    _save_edit(locked, fields)
    return locked


TIERING_POLICY_FIELDS = {field.name for field in TieringPolicy._meta.concrete_fields} - {
    "id",
    "updated_at",
    "updated_by",
}
# Policy fields that set a tier's service level but change no account's score or tier.
SERVICE_LEVEL_FIELDS = {"presales_weight_a", "presales_weight_b", "presales_weight_c"}


@transaction.atomic
def tiering_policy_update(*, by: User, **fields) -> TieringPolicy:
    """An administrator changes the company's tiering policy. When a weight, threshold or
    scoring rule changes, every account is re-tiered after the commit, so the tier history
    shows what the new policy moved."""
    if not by.is_admin:
        raise PermissionRefused(_("Only an administrator can change the tiering policy."))
    unknown = set(fields) - TIERING_POLICY_FIELDS
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise AccountRuleError(message % {"fields": ", ".join(sorted(unknown))})
    TieringPolicy.current()  # make sure the one row exists before locking it
    policy = TieringPolicy.objects.select_for_update().get(pk=1)
    changed = {name for name, value in fields.items() if getattr(policy, name) != value}
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.updated_by = by
    policy.full_clean()
    policy.save()
    if changed - SERVICE_LEVEL_FIELDS:
        from .tasks import recompute_tiers  # accounts.tasks imports this module

        transaction.on_commit(lambda: recompute_tiers.delay())
    return policy


# Account plans of strategic (tier A) accounts: yearly objectives and goals, a wish list of
# target opportunities decided jointly by the region and the account team, and a roadmap of the
# customer's initiatives. Who speaks for which side is defined in accounts.selectors.

PLAN_FIELDS = {"revenue_objective", "gross_margin_objective_pct", "notes"}
GOAL_FIELDS = {"kind", "description", "due_date", "status"}
WISH_ITEM_FIELDS = {"title", "description", "offering", "estimated_amount", "expected_quarter"}
ROADMAP_FIELDS = {"initiative", "offering", "start_month", "end_month", "wish_item", "notes"}


def _refuse_fields_outside(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise AccountRuleError(message % {"fields": ", ".join(sorted(unknown))})


def _require_strategic(account: Account) -> None:
    """Plans exist for tier A accounts only; a plan whose account lost tier A is read-only."""
    if account.tier != Tier.A:
        raise AccountRuleError(
            _("Account plans are for strategic (tier A) accounts; %(account)s is tier %(tier)s.")
            % {"account": account, "tier": account.tier}
        )


def _require_plan_editor(by: User, account: Account) -> None:
    if not can_edit_account_plan(by, account):
        raise PermissionRefused(
            _("Only the account team and the managers of the owner team edit the account plan.")
        )


def _require_plan_contributor(by: User, account: Account) -> None:
    """The wish list and the roadmap are shared by the account team and the region."""
    if not (
        can_edit_account_plan(by, account) or WishSide.REGION in wish_item_sides_for(by, account)
    ):
        raise PermissionRefused(
            _(
                "Only the account team, the managers of the owner team and the region's managers "
                "edit the wish list and the roadmap."
            )
        )


def _save_edit(row, fields: dict) -> None:
    """Apply an edit to a locked, version-checked row: validate it whole, move its version
    (so that any other open form goes stale) and save."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.version += 1
    row.save()


def _lock_versioned(model, pk: int, version: int, message: str):
    locked = model.objects.select_for_update().get(pk=pk)
    if locked.version != version:
        raise Conflict(message)
    return locked


@transaction.atomic
def account_plan_create(
    *,
    account: Account,
    by: User,
    year: int,
    revenue_objective: Decimal,
    gross_margin_objective_pct: Decimal,
    notes: str = "",
) -> AccountPlan:
    """Start a strategic account's plan for a year. The account row is locked so that two
    people starting the same plan get one plan and one clear refusal."""
    locked = Account.objects.select_for_update().select_related("owner_team").get(pk=account.pk)
    _require_strategic(locked)
    _require_plan_editor(by, locked)
    if AccountPlan.objects.filter(account=locked, year=year).exists():
        raise Conflict(_("This account already has a plan for %(year)s.") % {"year": year})
    plan = AccountPlan(
        account=locked,
        year=year,
        revenue_objective=revenue_objective,
        gross_margin_objective_pct=gross_margin_objective_pct,
        notes=notes.strip(),
        created_by=by,
        updated_by=by,
    )
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def account_plan_update(*, plan: AccountPlan, by: User, version: int, **fields) -> AccountPlan:
    """Edit the objectives. `version` is the one the editor loaded: a stale edit is refused."""
    _refuse_fields_outside(fields, PLAN_FIELDS)
    locked = _lock_versioned(
        AccountPlan,
        plan.pk,
        version,
        _("Somebody else changed this plan meanwhile. Reload and try again."),
    )
    _require_strategic(locked.account)
    _require_plan_editor(by, locked.account)
    _save_edit(locked, fields | {"updated_by": by})
    return locked


@transaction.atomic
def plan_goal_create(
    *, plan: AccountPlan, by: User, kind: str, description: str, due_date=None
) -> PlanGoal:
    _require_strategic(plan.account)
    _require_plan_editor(by, plan.account)
    goal = PlanGoal(plan=plan, kind=kind, description=description.strip(), due_date=due_date)
    goal.full_clean()
    goal.save()
    return goal


@transaction.atomic
def plan_goal_update(*, goal: PlanGoal, by: User, version: int, **fields) -> PlanGoal:
    """Edit a goal or record its outcome (achieved, dropped, open again)."""
    _refuse_fields_outside(fields, GOAL_FIELDS)
    locked = _lock_versioned(
        PlanGoal,
        goal.pk,
        version,
        _("Somebody else changed this goal meanwhile. Reload and try again."),
    )
    account = locked.plan.account
    _require_strategic(account)
    _require_plan_editor(by, account)
    _save_edit(locked, fields)
    return locked


@transaction.atomic
def plan_goal_delete(*, goal: PlanGoal, by: User) -> None:
    account = goal.plan.account
    _require_strategic(account)
    _require_plan_editor(by, account)
    PlanGoal.objects.filter(pk=goal.pk).delete()


@transaction.atomic
def wish_item_create(*, plan: AccountPlan, by: User, **fields) -> WishListItem:
    """Put a target opportunity on the wish list; both sides then take their position."""
    _refuse_fields_outside(fields, WISH_ITEM_FIELDS)
    account = plan.account
    _require_strategic(account)
    _require_plan_contributor(by, account)
    if account_region_team(account) is None:
        raise AccountRuleError(
            _(
                "Set the account's region first: the region decides on wish-list items together "
                "with the account team."
            )
        )
    item = WishListItem(plan=plan, created_by=by, **fields)
    item.full_clean()
    item.save()
    return item


def _lock_unjudged_wish_item(item: WishListItem, by: User, version: int) -> WishListItem:
    locked = _lock_versioned(
        WishListItem,
        item.pk,
        version,
        _("Somebody else changed this item meanwhile. Reload and try again."),
    )
    account = locked.plan.account
    _require_strategic(account)
    _require_plan_contributor(by, account)
    if locked.region_at or locked.account_team_at:
        raise AccountRuleError(
            _(
                "A position has been taken on this item as it stands; it can no longer be "
                "changed or removed."
            )
        )
    return locked


@transaction.atomic
def wish_item_update(*, item: WishListItem, by: User, version: int, **fields) -> WishListItem:
    """Correct an item until the first position is taken on it."""
    _refuse_fields_outside(fields, WISH_ITEM_FIELDS)
    locked = _lock_unjudged_wish_item(item, by, version)
    _save_edit(locked, fields)
    return locked


@transaction.atomic
def wish_item_delete(*, item: WishListItem, by: User, version: int) -> None:
    locked = _lock_unjudged_wish_item(item, by, version)
    locked.delete()


@transaction.atomic
def wish_item_take_position(
    *, item: WishListItem, by: User, position: str, note: str, side: str | None = None
) -> WishListItem:
    """One side's bid / no-bid position, with its reason. `side` is needed only from someone
    who speaks for both sides. When both positions are in, they decide: the same position is
    the decision; different positions escalate the item to the next management level, with
    both positions kept on record. Once decided, positions no longer change."""
    if position not in (BidPosition.BID, BidPosition.NO_BID):
        raise AccountRuleError(_("Choose bid or no bid."))
    if not note.strip():
        raise AccountRuleError(_("Give the reason for your position."))
    locked = WishListItem.objects.select_for_update().get(pk=item.pk)
    account = locked.plan.account
    _require_strategic(account)
    if side is not None and side not in WishSide.values:
        raise AccountRuleError(_("Choose the region or the account team as your side."))
    sides = wish_item_sides_for(by, account)
    if not sides:
        raise PermissionRefused(
            _("Only the region's managers and the account team take positions on the wish list.")
        )
    if side is None and len(sides) > 1:
        raise AccountRuleError(
            _("You speak for both the region and the account team here: choose the side.")
        )
    if side is None:
        (side,) = sides
    if side not in sides:
        if side == WishSide.REGION:
            raise PermissionRefused(_("Only a manager of the region takes the region's position."))
        raise PermissionRefused(
            _("Only the account team takes the account team's position on this item.")
        )
    if locked.decision == BidDecision.ESCALATED:
        raise Conflict(
            _("The item was escalated to %(manager)s; the positions can no longer change.")
            % {"manager": locked.escalated_to or _("an administrator")}
        )
    if locked.is_decided:
        raise Conflict(_("The decision on this item is taken; the positions can no longer change."))
    other = WishSide.ACCOUNT_TEAM if side == WishSide.REGION else WishSide.REGION
    if getattr(locked, f"{other}_by_id") == by.pk:
        raise AccountRuleError(
            _("You took the other side's position already: a joint decision needs a second person.")
        )

    now = timezone.now()
    setattr(locked, f"{side}_position", position)
    setattr(locked, f"{side}_note", note.strip())
    setattr(locked, f"{side}_by", by)
    setattr(locked, f"{side}_at", now)
    if locked.region_at and locked.account_team_at:
        if locked.region_position == locked.account_team_position:
            locked.decision, locked.decided_at = locked.region_position, now
        else:
            locked.decision, locked.escalated_at = BidDecision.ESCALATED, now
            locked.escalated_to = wish_item_escalation_manager(
                account=account,
                exclude_user_ids={locked.region_by_id, locked.account_team_by_id},
            )
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def wish_item_decide_escalation(
    *, item: WishListItem, by: User, decision: str, note: str
) -> WishListItem:
    """The manager the item was escalated to (or an administrator) decides, with a reason."""
    if decision not in (BidPosition.BID, BidPosition.NO_BID):
        raise AccountRuleError(_("Choose bid or no bid."))
    if not note.strip():
        raise AccountRuleError(_("Give the reason for the decision."))
    locked = WishListItem.objects.select_for_update().get(pk=item.pk)
    _require_strategic(locked.plan.account)
    if locked.decision != BidDecision.ESCALATED:
        raise Conflict(_("This item is not waiting for an escalation decision."))
    if not (by.is_admin or locked.escalated_to_id == by.pk):
        raise PermissionRefused(
            _("Only %(manager)s, to whom the item was escalated, or an administrator decides.")
            % {"manager": locked.escalated_to or _("an administrator")}
        )
    now = timezone.now()
    locked.escalation_decision, locked.escalation_note = decision, note.strip()
    locked.escalation_by, locked.escalation_at = by, now
    locked.decision, locked.decided_at = decision, now
    locked.version += 1
    locked.save()
    return locked


@transaction.atomic
def roadmap_item_create(*, plan: AccountPlan, by: User, **fields) -> RoadmapItem:
    _refuse_fields_outside(fields, ROADMAP_FIELDS)
    _require_strategic(plan.account)
    _require_plan_contributor(by, plan.account)
    item = RoadmapItem(plan=plan, created_by=by, **fields)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def roadmap_item_update(*, item: RoadmapItem, by: User, version: int, **fields) -> RoadmapItem:
    _refuse_fields_outside(fields, ROADMAP_FIELDS)
    locked = _lock_versioned(
        RoadmapItem,
        item.pk,
        version,
        _("Somebody else changed this roadmap item meanwhile. Reload and try again."),
    )
    account = locked.plan.account
    _require_strategic(account)
    _require_plan_contributor(by, account)
    _save_edit(locked, fields)
    return locked


@transaction.atomic
def roadmap_item_delete(*, item: RoadmapItem, by: User) -> None:
    account = item.plan.account
    _require_strategic(account)
    _require_plan_contributor(by, account)
    RoadmapItem.objects.filter(pk=item.pk).delete()


def accounts_won(*, account_ids: Iterable[int]) -> int:
    """A won deal makes a prospect or a dormant account a customer. Returns how many
    accounts changed; the version moves so that an open edit form does not undo it."""
    return Account.objects.filter(
        pk__in=list(account_ids), status__in=[AccountStatus.PROSPECT, AccountStatus.DORMANT]
    ).update(status=AccountStatus.CUSTOMER, version=F("version") + 1)
