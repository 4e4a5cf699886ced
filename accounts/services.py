"""Writes with a rule for customer accounts: creation and edits, tiering, overrides,
ownership transfers and the account team."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.exceptions import Conflict, PermissionRefused
from salesops.models import Team, User
from salesops.selectors import can_manage_team

from .choices import AccountTeamRole, Tier, TierChangeSource
from .exceptions import AccountRuleError
from .models import (
    Account,
    AccountAssessment,
    AccountTeamMember,
    AccountTransfer,
    Contact,
    TierChange,
    TieringPolicy,
)
from .selectors import tiering_facts_for
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
    if locked.version != version:
        raise Conflict(_("Somebody else changed this account meanwhile. Reload and try again."))
    if not _can_edit_account(by, locked):
        raise PermissionRefused(_("You cannot edit this account."))
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.version += 1
    locked.save()
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
        Account.objects.filter(pk=account.pk).update(owner=user)
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
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.version += 1
    locked.save()
    return locked
