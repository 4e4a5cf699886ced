"""Every write with a rule on opportunities: creation and edits with history, stage moves,
closing, milestone checks, gates, activities, the decision chain and competitors.

Each function locks what two people could change at once, records history in the same
transaction, and announces the change after commit (opportunities.signals)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, WishListItem
from accounts.selectors import account_list_visible_to
from accounts.services import accounts_won
from salesops.exceptions import Conflict, PermissionRefused
from salesops.models import User
from salesops.selectors import user_list_visible_to

from . import selectors
from .choices import (
    CLOSED_STATUSES,
    GATE_PASSED,
    EvidenceType,
    ForecastCategory,
    GateKind,
    GateStatus,
    OpportunityStatus,
    Qualification,
    Source,
    StageChangeKind,
    TrackedField,
)
from .exceptions import OpportunityRuleError, StageMoveRefused
from .models import (
    Activity,
    Competitor,
    DeliveryHandover,
    Gate,
    GateRule,
    Milestone,
    MilestoneCheck,
    MilestoneEvent,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    SalesProcess,
    Stage,
    StageChange,
    StageTask,
    TaskDone,
)
from .signals import opportunity_changed

QUALIFICATION_FIELDS = {
    f"{fact}_{part}" for fact in Qualification.values for part in ("known", "note")
}
EDITABLE_FIELDS = {
    "name",
    "amount",
    "currency",
    "expected_margin_pct",
    "expected_close_date",
    "forecast_category",
    "source",
    "description",
    "customer_stage",
    *QUALIFICATION_FIELDS,
}
TRACKED = {
    "amount": TrackedField.AMOUNT,
    "expected_close_date": TrackedField.CLOSE_DATE,
    "forecast_category": TrackedField.FORECAST_CATEGORY,
    "customer_stage": TrackedField.CUSTOMER_STAGE,
}
SECONDS_PER_DAY = Decimal(86400)


# Helpers ---------------------------------------------------------------------------------


def _refuse_unknown_fields(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise OpportunityRuleError(message % {"fields": ", ".join(sorted(unknown))})


def _lock(opportunity: Opportunity, version: int | None = None) -> Opportunity:
    # Lock the row alone, then read it with its relations. Locking a join would make
    # PostgreSQL drop the row when a concurrent move changed the stage it was joined on.
    Opportunity.objects.select_for_update().filter(pk=opportunity.pk).values_list("pk").get()
    locked = Opportunity.objects.select_related(
        "stage", "customer_stage", "account", "team", "process"
    ).get(pk=opportunity.pk)
    if version is not None and locked.version != version:
        raise Conflict(_("Somebody else changed this opportunity meanwhile. Reload and try again."))
    return locked


def _require_worker(by: User, opportunity: Opportunity) -> None:
    if not selectors.can_work_on(by, opportunity):
        raise PermissionRefused(_("You cannot work on this opportunity."))


def _require_open(opportunity: Opportunity) -> None:
    if opportunity.status in CLOSED_STATUSES:
        raise OpportunityRuleError(
            _("This opportunity is %(status)s; reopen it first.")
            % {"status": opportunity.get_status_display().lower()}
        )


def _announce(opportunity: Opportunity, changes: set[str], **extra) -> None:
    """After commit: tell forecasting, alerts and webhooks; re-tier the account when won
    revenue moved. `extra` goes with the signal (e.g. previous_team_id on a reassignment)."""
    ids = {
        "opportunity_id": opportunity.pk,
        "account_id": opportunity.account_id,
        "team_id": opportunity.team_id,
        **extra,
    }

    def send():
        opportunity_changed.send(sender=Opportunity, changes=frozenset(changes), **ids)

    transaction.on_commit(send)
    if "status" in changes or (opportunity.status == OpportunityStatus.WON and "amount" in changes):
        from accounts.tasks import recompute_tiers

        account_id = opportunity.account_id
        transaction.on_commit(lambda: recompute_tiers.delay(account_ids=[account_id]))


def _track(opportunity, field: str, old, new, by: User, reason: str = "") -> OpportunityChange:
    return OpportunityChange(
        opportunity=opportunity,
        field=field,
        old_value=_as_text(old),
        new_value=_as_text(new),
        changed_by=by,
        reason=reason,
    )


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Stage):
        return value.code
    if isinstance(value, User):
        return value.username
    return str(value)


def _effective_probability(opportunity: Opportunity) -> int:
    if opportunity.status == OpportunityStatus.WON:
        return 100
    if opportunity.status in CLOSED_STATUSES:
        return 0
    if opportunity.probability_override is not None:
        return opportunity.probability_override
    return opportunity.default_probability


def _refresh_probability(opportunity: Opportunity, by: User, changes: list) -> None:
    probability = _effective_probability(opportunity)
    if probability != opportunity.probability:
        changes.append(
            _track(opportunity, TrackedField.PROBABILITY, opportunity.probability, probability, by)
        )
        opportunity.probability = probability


def _stage_of(process_id: int, stage: Stage | str) -> Stage:
    code = stage.code if isinstance(stage, Stage) else stage
    found = Stage.objects.filter(process_id=process_id, code=code).first()
    if found is None or (isinstance(stage, Stage) and stage.process_id != process_id):
        raise OpportunityRuleError(
            _("%(stage)s is not a stage of this opportunity's process.") % {"stage": code}
        )
    return found


def _days_since(moment: datetime.datetime, now: datetime.datetime) -> Decimal:
    seconds = Decimal(str(max((now - moment).total_seconds(), 0)))
    return (seconds / SECONDS_PER_DAY).quantize(Decimal("0.01"))


# Creation and edits ----------------------------------------------------------------------


@transaction.atomic
def opportunity_create(
    *,
    by: User,
    account: Account,
    name: str,
    amount: Decimal,
    expected_close_date: datetime.date,
    owner: User | None = None,
    process: SalesProcess | None = None,
    stage: Stage | str | None = None,
    customer_stage: Stage | str | None = None,
    **fields,
) -> Opportunity:
    """Open a deal. It starts in the process's first stage unless another is given (an
    imported or late-entered deal); the customer's stage defaults to the same."""
    _refuse_unknown_fields(fields, EDITABLE_FIELDS - {"customer_stage"} | {"wish_item"})
    owner = owner or by
    if not account_list_visible_to(by).filter(pk=account.pk).exists():
        raise PermissionRefused(_("You cannot open opportunities with this account."))
    if owner.pk != by.pk and not user_list_visible_to(by).filter(pk=owner.pk).exists():
        raise PermissionRefused(_("You cannot give opportunities to %(name)s.") % {"name": owner})
    if owner.team_id is None:
        raise OpportunityRuleError(_("The owner must belong to a sales team."))
    process = process or selectors.default_process()
    if process is None:
        raise OpportunityRuleError(_("No sales process is set up."))
    stage = _stage_of(process.pk, stage) if stage else process.first_stage()
    customer_stage = _stage_of(process.pk, customer_stage) if customer_stage else stage
    if stage.is_won:
        raise OpportunityRuleError(_("A new opportunity cannot start as won."))
    fields.setdefault("currency", settings.SALESOPS_CURRENCY)
    opportunity = Opportunity(
        account=account,
        name=" ".join(name.split()),
        amount=amount,
        expected_close_date=expected_close_date,
        owner=owner,
        team_id=owner.team_id,
        process=process,
        stage=stage,
        customer_stage=customer_stage,
        created_by=by,
        probability=0,
        **fields,
    )
    opportunity.probability = _effective_probability(opportunity)
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity,
        kind=StageChangeKind.CREATED,
        to_stage=stage,
        status=opportunity.status,
        changed_by=by,
    )
    _announce(opportunity, {"created"})
    return opportunity


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by: User, version: int, reason: str = "", **fields
) -> Opportunity:
    """Edit a deal's facts. Amount, close date, forecast category, customer stage and the
    resulting probability keep their history. Stage and status move through their own
    services, never by an edit."""
    _refuse_unknown_fields(fields, EDITABLE_FIELDS)
    locked = _lock(opportunity, version)
    _require_worker(by, locked)
    if "customer_stage" in fields and fields["customer_stage"] is not None:
        fields["customer_stage"] = _stage_of(locked.process_id, fields["customer_stage"])
    history = []
    for name, value in fields.items():
        old = getattr(locked, name)
        if name in TRACKED and old != value:
            history.append(_track(locked, TRACKED[name], old, value, by, reason))
        setattr(locked, name, value)
    if "name" in fields:
        locked.name = " ".join(locked.name.split())
    locked.full_clean()
    _refresh_probability(locked, by, history)
    locked.version += 1
    locked.save()
    OpportunityChange.objects.bulk_create(history)
    _announce(locked, set(fields))
    return locked


@transaction.atomic
def opportunity_reassign(
    *, opportunity: Opportunity, by: User, owner: User, version: int, reason: str
) -> Opportunity:
    """A manager hands the deal to another rep; the deal follows the new owner's team."""
    locked = _lock(opportunity, version)
    if not selectors.can_manage(by, locked):
        raise PermissionRefused(_("Only a manager of the owner's team reassigns a deal."))
    if not reason.strip():
        raise OpportunityRuleError(_("Give the reason for the reassignment."))
    if owner.team_id is None or not user_list_visible_to(by).filter(pk=owner.pk).exists():
        raise PermissionRefused(_("You cannot give opportunities to %(name)s.") % {"name": owner})
    OpportunityChange.objects.create(
        opportunity=locked,
        field=TrackedField.OWNER,
        old_value=_as_text(locked.owner),
        new_value=_as_text(owner),
        changed_by=by,
        reason=reason.strip(),
    )
    previous_team_id = locked.team_id
    locked.owner, locked.team_id = owner, owner.team_id
    locked.version += 1
    locked.save(update_fields=["owner", "team", "version", "updated_at"])
    _announce(locked, {"owner"}, previous_team_id=previous_team_id)
    return locked


@transaction.atomic
def opportunity_set_probability(
    *, opportunity: Opportunity, by: User, probability: int | None, reason: str = ""
) -> Opportunity:
    """A manager sets the win probability by hand (None goes back to the stage defaults)."""
    locked = _lock(opportunity)
    if not selectors.can_manage(by, locked):
        raise PermissionRefused(_("Only a manager of the owner's team sets the probability."))
    _require_open(locked)
    if probability is not None:
        if not 0 <= probability <= 100:
            raise OpportunityRuleError(_("A probability is between 0 and 100."))
        if not reason.strip():
            raise OpportunityRuleError(_("Give the reason for the probability."))
    history = []
    locked.probability_override = probability
    locked.probability_override_reason = reason.strip() if probability is not None else ""
    locked.probability_override_by = by if probability is not None else None
    old = locked.probability
    _refresh_probability(locked, by, history)
    for change in history:
        change.reason = reason.strip()
    locked.version += 1
    locked.save()
    OpportunityChange.objects.bulk_create(history)
    if old != locked.probability:
        _announce(locked, {"probability"})
    return locked


# Stage moves -----------------------------------------------------------------------------


def _move_refusals(
    opportunity: Opportunity, to_stage: Stage, by: User, override_reason: str
) -> list[str]:
    current = opportunity.stage
    reasons = []
    is_skip = to_stage.order > current.order + 1
    is_back = to_stage.order < current.order
    if is_skip or is_back:
        if not override_reason.strip():
            reasons.append(
                _("Skipping stages needs a manager's override with a reason.")
                if is_skip
                else _("Moving back needs a manager's override with a reason.")
            )
        elif not selectors.can_manage(by, opportunity):
            reasons.append(_("Only a manager of the owner's team can override the stage order."))
    if to_stage.order > current.order:
        leaving = list(
            Stage.objects.filter(
                process_id=opportunity.process_id,
                order__gte=current.order,
                order__lt=to_stage.order,
            )
        )
        for milestone in selectors.missing_milestones(opportunity, leaving):
            reasons.append(
                _("Milestone not checked: %(stage)s – %(milestone)s")
                % {"stage": milestone.stage.name, "milestone": milestone.name}
            )
        passed = selectors.passed_gate_kinds(opportunity)
        for rule in selectors.gates_needed(opportunity, leaving):
            if rule.kind not in passed:
                reasons.append(
                    _("Gate %(gate)s must be approved before leaving %(stage)s.")
                    % {"gate": rule.get_kind_display(), "stage": rule.leaving_stage.name}
                )
        if (
            to_stage.is_won
            and not MilestoneCheck.objects.filter(
                opportunity=opportunity, milestone__proves_contract=True, is_checked=True
            ).exists()
        ):
            reasons.append(_("A deal is won only with the signed contract checked as evidence."))
    return reasons


@transaction.atomic
def opportunity_advance(
    *,
    opportunity: Opportunity,
    to_stage: Stage | str,
    by: User,
    note: str = "",
    override_reason: str = "",
    version: int | None = None,
) -> Opportunity:
    """Move a deal to another stage of its process. Refused, with every reason at once, when
    required milestones of the stages left are unchecked, a gate is not approved, the signed
    contract is missing for a win, or stages are skipped or walked back without a manager's
    override. Reaching the won stage wins the deal and opens a delivery handover."""
    locked = _lock(opportunity, version)
    _require_worker(by, locked)
    _require_open(locked)
    target = _stage_of(locked.process_id, to_stage)
    if target.pk == locked.stage_id:
        raise StageMoveRefused(
            _("The opportunity is already in %(stage)s.") % {"stage": target.name}
        )
    reasons = _move_refusals(locked, target, by, override_reason)
    if reasons:
        raise StageMoveRefused(
            _("The opportunity cannot move to %(stage)s.") % {"stage": target.name}, reasons
        )
    now = timezone.now()
    if target.is_won:
        kind = StageChangeKind.WON
    elif target.order > locked.stage.order + 1:
        kind = StageChangeKind.SKIP
    elif target.order < locked.stage.order:
        kind = StageChangeKind.BACK
    else:
        kind = StageChangeKind.ADVANCE
    history = []
    previous, entered = locked.stage, locked.stage_entered_at
    locked.stage, locked.stage_entered_at = target, now
    if target.is_won:
        locked.status = OpportunityStatus.WON
        locked.closed_on = timezone.localdate()
        locked.forecast_category = ForecastCategory.COMMIT
        if locked.customer_stage.order < target.order:
            locked.customer_stage = target
    _refresh_probability(locked, by, history)
    locked.version += 1
    locked.save()
    StageChange.objects.create(
        opportunity=locked,
        kind=kind,
        from_stage=previous,
        to_stage=target,
        status=locked.status,
        changed_at=now,
        changed_by=by,
        note=note.strip(),
        override_reason=override_reason.strip() if kind in {"skip", "back"} else "",
        days_in_previous=_days_since(entered, now),
    )
    OpportunityChange.objects.bulk_create(history)
    if target.is_won:
        DeliveryHandover.objects.get_or_create(
            opportunity=locked, defaults={"created_by": by, "notes": note.strip()}
        )
        accounts_won(account_ids=[locked.account_id])
    _announce(locked, {"stage", "status"} if target.is_won else {"stage"})
    return locked


@transaction.atomic
def opportunity_close(
    *,
    opportunity: Opportunity,
    by: User,
    status: str,
    reason: str = "",
    note: str = "",
    version: int | None = None,
) -> Opportunity:
    """Close a deal as lost (a reason is required) or abandoned, in the stage it died in."""
    if status not in (OpportunityStatus.LOST, OpportunityStatus.ABANDONED):
        raise OpportunityRuleError(_("Close as lost or abandoned; a deal is won by its stage."))
    locked = _lock(opportunity, version)
    _require_worker(by, locked)
    _require_open(locked)
    if status == OpportunityStatus.LOST and not reason:
        raise OpportunityRuleError(_("Say why the deal was lost."))
    now = timezone.now()
    history = []
    locked.status, locked.lost_reason, locked.lost_note = status, reason, note.strip()
    locked.lost_at_stage, locked.closed_on = locked.stage, timezone.localdate()
    locked.forecast_category = ForecastCategory.OMITTED
    _refresh_probability(locked, by, history)
    locked.full_clean()
    locked.version += 1
    locked.save()
    StageChange.objects.create(
        opportunity=locked,
        kind=StageChangeKind.LOST if status == OpportunityStatus.LOST else "abandoned",
        from_stage=locked.stage,
        to_stage=locked.stage,
        status=status,
        changed_at=now,
        changed_by=by,
        note=note.strip(),
        days_in_previous=_days_since(locked.stage_entered_at, now),
    )
    OpportunityChange.objects.bulk_create(history)
    _announce(locked, {"status"})
    return locked


@transaction.atomic
def opportunity_reopen(*, opportunity: Opportunity, by: User, reason: str) -> Opportunity:
    """A manager reopens a lost or abandoned deal in the stage it was closed in."""
    locked = _lock(opportunity)
    if not selectors.can_manage(by, locked):
        raise PermissionRefused(_("Only a manager of the owner's team reopens a deal."))
    if locked.status not in (OpportunityStatus.LOST, OpportunityStatus.ABANDONED):
        raise OpportunityRuleError(_("Only lost or abandoned deals can be reopened."))
    if not reason.strip():
        raise OpportunityRuleError(_("Give the reason for reopening."))
    history = []
    locked.status, locked.lost_reason, locked.lost_note = OpportunityStatus.OPEN, "", ""
    locked.closed_on, locked.stage_entered_at = None, timezone.now()
    locked.forecast_category = ForecastCategory.PIPELINE
    _refresh_probability(locked, by, history)
    locked.version += 1
    locked.save()
    StageChange.objects.create(
        opportunity=locked,
        kind=StageChangeKind.REOPENED,
        from_stage=locked.stage,
        to_stage=locked.stage,
        status=locked.status,
        changed_by=by,
        override_reason=reason.strip(),
    )
    OpportunityChange.objects.bulk_create(history)
    _announce(locked, {"status"})
    return locked


# Milestones ------------------------------------------------------------------------------


def _evidence_refusal(
    milestone: Milestone, note: str, link: str, file, activity: Activity | None
) -> str | None:
    if milestone.evidence_type == EvidenceType.NOTE and not note.strip():
        return _("This milestone needs a note as evidence.")
    if milestone.evidence_type == EvidenceType.FILE and not file:
        return _("This milestone needs an uploaded file as evidence.")
    if milestone.evidence_type == EvidenceType.ACTIVITY and activity is None:
        return _("This milestone needs a linked activity as evidence.")
    if not (note.strip() or link or file or activity):
        return _("Give some evidence: a note, a link, a file or an activity.")
    return None


@transaction.atomic
def milestone_check(
    *,
    opportunity: Opportunity,
    milestone: Milestone,
    by: User,
    note: str = "",
    link: str = "",
    file=None,
    activity: Activity | None = None,
) -> MilestoneCheck:
    """Check a milestone with its evidence; who and when are kept, and so is every change."""
    locked = _lock(opportunity)
    _require_worker(by, locked)
    _require_open(locked)
    if milestone.stage.process_id != locked.process_id:
        raise OpportunityRuleError(_("This milestone belongs to another process."))
    if activity is not None and activity.opportunity_id != locked.pk:
        raise OpportunityRuleError(_("Link an activity of this opportunity."))
    refusal = _evidence_refusal(milestone, note, link, file, activity)
    if refusal:
        raise OpportunityRuleError(refusal)
    check = MilestoneCheck.objects.filter(opportunity=locked, milestone=milestone).first()
    check = check or MilestoneCheck(opportunity=locked, milestone=milestone)
    check.is_checked = True
    check.evidence_note, check.evidence_link, check.activity = note.strip(), link, activity
    if file:
        check.evidence_file = file
    check.checked_by, check.checked_at = by, timezone.now()
    check.full_clean()
    check.save()
    MilestoneEvent.objects.create(
        opportunity=locked, milestone=milestone, checked=True, note=note.strip(), by=by
    )
    return check


@transaction.atomic
def milestone_uncheck(
    *, opportunity: Opportunity, milestone: Milestone, by: User, note: str = ""
) -> None:
    locked = _lock(opportunity)
    _require_worker(by, locked)
    _require_open(locked)
    updated = MilestoneCheck.objects.filter(
        opportunity=locked, milestone=milestone, is_checked=True
    ).update(is_checked=False, checked_by=by, checked_at=timezone.now())
    if not updated:
        raise OpportunityRuleError(_("This milestone is not checked."))
    MilestoneEvent.objects.create(
        opportunity=locked, milestone=milestone, checked=False, note=note.strip(), by=by
    )


@transaction.atomic
def task_set_done(*, opportunity: Opportunity, task: StageTask, by: User, done: bool) -> bool:
    """Tick (or untick) a stage task on the deal's checklist. Returns whether it is done."""
    _require_worker(by, opportunity)
    _require_open(opportunity)
    if task.stage.process_id != opportunity.process_id:
        raise OpportunityRuleError(_("This task belongs to another process."))
    if done:
        TaskDone.objects.get_or_create(opportunity=opportunity, task=task, defaults={"done_by": by})
    else:
        TaskDone.objects.filter(opportunity=opportunity, task=task).delete()
    return done


# Gates -----------------------------------------------------------------------------------


@transaction.atomic
def gate_request(*, opportunity: Opportunity, kind: str, by: User, note: str = "") -> Gate:
    """The rep asks for a gate review once the facts the gate needs are known."""
    locked = _lock(opportunity)
    _require_worker(by, locked)
    _require_open(locked)
    rule = GateRule.objects.filter(process_id=locked.process_id, kind=kind).first()
    if rule is None or not rule.applies_to(locked):
        raise OpportunityRuleError(
            _("This deal does not need the %(gate)s gate.") % {"gate": GateKind(kind).label}
        )
    if kind in selectors.passed_gate_kinds(locked):
        raise OpportunityRuleError(_("This gate is already approved."))
    if Gate.objects.filter(opportunity=locked, kind=kind, status=GateStatus.REQUESTED).exists():
        raise OpportunityRuleError(_("This gate is already waiting for a decision."))
    unknown = [fact for fact in rule.required_facts if not locked.is_fact_known(fact)]
    if unknown:
        raise OpportunityRuleError(
            _("Before requesting %(gate)s, find out:") % {"gate": rule.get_kind_display()},
            [Qualification(fact).label for fact in unknown],
        )
    gate = Gate.objects.create(
        opportunity=locked, rule=rule, kind=kind, requested_by=by, request_note=note.strip()
    )
    _announce(locked, {"gate"})
    return gate


@transaction.atomic
def gate_decide(
    *, gate: Gate, by: User, decision: str, note: str = "", conditions: str = ""
) -> Gate:
    """A manager of the owner's team approves, approves with conditions, or rejects."""
    locked = Gate.objects.select_for_update().select_related("opportunity__team").get(pk=gate.pk)
    if locked.status != GateStatus.REQUESTED:
        raise Conflict(_("This gate was already decided."))
    if not selectors.can_manage(by, locked.opportunity):
        raise PermissionRefused(_("Only a manager of the owner's team decides gates."))
    if locked.requested_by_id == by.pk and not by.is_admin:
        raise PermissionRefused(_("Somebody else must decide a gate you requested."))
    if decision not in (*GATE_PASSED, GateStatus.REJECTED):
        raise OpportunityRuleError(_("Approve, approve with conditions, or reject."))
    if decision == GateStatus.REJECTED and not note.strip():
        raise OpportunityRuleError(_("Say why the gate is rejected."))
    if decision == GateStatus.APPROVED_WITH_CONDITIONS and not conditions.strip():
        raise OpportunityRuleError(_("Write down the conditions."))
    locked.status, locked.decided_by, locked.decided_at = decision, by, timezone.now()
    locked.decision_note, locked.conditions = note.strip(), conditions.strip()
    locked.save()
    _announce(locked.opportunity, {"gate"})
    return locked


# Activities ------------------------------------------------------------------------------


@transaction.atomic
def activity_log(
    *,
    opportunity: Opportunity,
    by: User,
    kind: str,
    occurred_on: datetime.date,
    subject: str,
    contacts=(),
    outcome: str = "",
    next_step: str = "",
    next_step_due: datetime.date | None = None,
) -> Activity:
    locked = _lock(opportunity)
    _require_worker(by, locked)
    contacts = list(contacts)
    if any(contact.account_id != locked.account_id for contact in contacts):
        raise OpportunityRuleError(_("Choose contacts of the opportunity's account."))
    activity = Activity(
        opportunity=locked,
        kind=kind,
        occurred_on=occurred_on,
        subject=subject.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        next_step_due=next_step_due,
        owner=by,
    )
    activity.full_clean()
    activity.save()
    activity.contacts.set(contacts)
    if locked.last_activity_on is None or occurred_on > locked.last_activity_on:
        Opportunity.objects.filter(pk=locked.pk).update(last_activity_on=occurred_on)
    _announce(locked, {"activity"})
    return activity


@transaction.atomic
def activity_next_step_done(*, activity: Activity, by: User) -> Activity:
    if activity.owner_id != by.pk and not selectors.can_work_on(by, activity.opportunity):
        raise PermissionRefused(_("You cannot close this next step."))
    Activity.objects.filter(pk=activity.pk).update(next_step_done=True)
    activity.next_step_done = True
    return activity


@transaction.atomic
def log_progress(
    *,
    opportunity: Opportunity,
    by: User,
    version: int,
    activity: dict | None = None,
    milestones: list[Milestone] = (),
    milestone_note: str = "",
    to_stage: Stage | str | None = None,
    note: str = "",
    override_reason: str = "",
) -> Opportunity:
    """The rep's quick update in one submit: an activity, the milestones it proves, and a stage
    move. All or nothing: if the move is refused, the activity and checks are not kept either,
    so the rep fixes the form and sends it again."""
    locked = _lock(opportunity, version)
    logged = activity_log(opportunity=locked, by=by, **activity) if activity else None
    for milestone in milestones:
        milestone_check(
            opportunity=locked,
            milestone=milestone,
            by=by,
            note=milestone_note or (logged.subject if logged else ""),
            activity=logged,
        )
    if to_stage:
        return opportunity_advance(
            opportunity=locked,
            to_stage=to_stage,
            by=by,
            note=note,
            override_reason=override_reason,
        )
    Opportunity.objects.filter(pk=locked.pk).update(version=locked.version + 1)
    locked.refresh_from_db()
    return locked


# Decision chain and competitors ----------------------------------------------------------


@transaction.atomic
def decision_chain_set(
    *, opportunity: Opportunity, contact: Contact, by: User, **fields
) -> OpportunityContact:
    """Place a contact in this purchase: role, influence, attitude and relationship 0–4."""
    _refuse_unknown_fields(fields, {"role", "influence", "attitude", "relationship", "note"})
    locked = _lock(opportunity)
    _require_worker(by, locked)
    link = OpportunityContact.objects.filter(opportunity=locked, contact=contact).first()
    link = link or OpportunityContact(opportunity=locked, contact=contact)
    for name, value in fields.items():
        setattr(link, name, value)
    link.full_clean()
    link.save()
    _announce(locked, {"decision_chain"})
    return link


@transaction.atomic
def decision_chain_remove(*, opportunity: Opportunity, contact: Contact, by: User) -> None:
    locked = _lock(opportunity)
    _require_worker(by, locked)
    OpportunityContact.objects.filter(opportunity=locked, contact=contact).delete()
    _announce(locked, {"decision_chain"})


@transaction.atomic
def competitor_set(
    *, opportunity: Opportunity, by: User, name: str, strengths: str = "", threat_level: str
) -> Competitor:
    locked = _lock(opportunity)
    _require_worker(by, locked)
    name = " ".join(name.split())
    competitor = Competitor.objects.filter(opportunity=locked, name__iexact=name).first()
    competitor = competitor or Competitor(opportunity=locked, name=name)
    competitor.strengths, competitor.threat_level = strengths.strip(), threat_level
    competitor.full_clean()
    competitor.save()
    return competitor


@transaction.atomic
def competitor_remove(*, competitor: Competitor, by: User) -> None:
    _require_worker(by, competitor.opportunity)
    competitor.delete()


# From the account plan -------------------------------------------------------------------


@transaction.atomic
def opportunity_from_wish_item(*, item: WishListItem, by: User) -> Opportunity:
    """One click from an agreed wish-list item to an opportunity owned by the account owner
    (or whoever clicks), closing in the item's quarter."""
    locked = (
        WishListItem.objects.select_for_update(of=("self",))
        .select_related("plan__account__owner")
        .get(pk=item.pk)
    )
    if locked.decision != "bid":
        raise OpportunityRuleError(_("Only a wish-list item decided as bid becomes a deal."))
    if locked.converted_at is not None:
        raise Conflict(_("This wish-list item is already an opportunity."))
    account = locked.plan.account
    owner = account.owner if account.owner and account.owner.team_id else by
    year, quarter = locked.plan.year, locked.expected_quarter or 4
    close = datetime.date(year, quarter * 3, 1) + datetime.timedelta(days=31)
    close = close.replace(day=1) - datetime.timedelta(days=1)
    opportunity = opportunity_create(
        by=by,
        account=account,
        owner=owner,
        name=locked.title,
        amount=locked.estimated_amount or Decimal(0),
        expected_close_date=max(close, timezone.localdate()),
        description=locked.description,
        source=Source.ACCOUNT_PLAN,
        wish_item=locked,
    )
    locked.converted_at = timezone.now()
    locked.save(update_fields=["converted_at"])
    return opportunity
