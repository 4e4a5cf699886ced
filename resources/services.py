"""Every write with a rule on presales resources: requests and their lifecycle, the priority
of each request, dispatch with capacity, and the hours engineers log.

The lifecycle is one dict of allowed transitions with the actor allowed to make each, and one
function, `_set_status()`, that refuses the rest (DESIGN.md §1.6). Each action locks the request,
records the transition with who, when and the note, and sends its e-mails after commit."""

import datetime
import pathlib
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TieringPolicy
from opportunities.choices import GateKind, OpportunityStatus
from opportunities.models import GateRule, Opportunity, Stage
from opportunities.selectors import can_work_on, passed_gate_kinds
from salesops.choices import Role
from salesops.exceptions import Conflict, PermissionRefused
from salesops.models import User
from salesops.selectors import can_manage_team

from .capacity import CENT, Calendar
from .choices import (
    LOGGABLE_STATUSES,
    OPEN_STATUSES,
    TYPES_WITHOUT_ATI,
    Actor,
    RequestStatus,
    RequestType,
    TechOutcome,
)
from .exceptions import (
    CapacityRefused,
    OutOfOrderRefused,
    ResourceRuleError,
    TransitionRefused,
)
from .models import (
    Assignment,
    DayOff,
    DispatchPolicy,
    EngineerProfile,
    RequestAttachment,
    RequestTransition,
    ResourceRequest,
    Skill,
    TimeEntry,
)
from .selectors import engineer_list_visible_to
from .tasks import notify_transition

S = RequestStatus
# From each status, the statuses it may move to and who may move it there.
TRANSITIONS: dict[str, dict[str, str]] = {
    S.DRAFT: {S.SUBMITTED: Actor.REQUESTER, S.CANCELLED: Actor.REQUESTER},
    S.SUBMITTED: {S.APPROVED: Actor.LEAD, S.REJECTED: Actor.LEAD, S.CANCELLED: Actor.REQUESTER},
    S.APPROVED: {S.DISPATCHED: Actor.LEAD, S.CANCELLED: Actor.REQUESTER},
    S.DISPATCHED: {S.IN_PROGRESS: Actor.ENGINEER, S.CANCELLED: Actor.REQUESTER},
    S.IN_PROGRESS: {S.DONE: Actor.ENGINEER, S.CANCELLED: Actor.REQUESTER},
    S.DONE: {S.EVALUATED: Actor.REQUESTER},
}
# The moment each status was reached: the SLA reports read them.
REACHED_AT = {
    S.SUBMITTED: "submitted_at",
    S.APPROVED: "approved_at",
    S.REJECTED: "rejected_at",
    S.DISPATCHED: "dispatched_at",
    S.IN_PROGRESS: "started_at",
    S.DONE: "completed_at",
    S.EVALUATED: "evaluated_at",
    S.CANCELLED: "cancelled_at",
}
# Who hears of a transition by e-mail is tasks' business; these are the ones worth a mail.
NOTIFIED = {S.SUBMITTED, S.APPROVED, S.REJECTED, S.DISPATCHED, S.EVALUATED, S.CANCELLED}
EDITABLE_FIELDS = {"kind", "estimated_hours", "wanted_start", "wanted_end", "justification"}
# Deal changes that move the priority of its requests.
PRIORITY_INPUTS = {
    "created",
    "amount",
    "probability",
    "stage",
    "status",
    "expected_close_date",
    "customer_stage",
}
PRIORITY_FORMULA = "amount × probability × tier_weight × stage_urgency × deadline_closeness"
REFRESH_BATCH = 500


def _action_label(status: str) -> str:
    return {
        S.SUBMITTED: _("submit"),
        S.APPROVED: _("approve"),
        S.REJECTED: _("reject"),
        S.DISPATCHED: _("dispatch"),
        S.IN_PROGRESS: _("start"),
        S.DONE: _("complete"),
        S.EVALUATED: _("evaluate"),
        S.CANCELLED: _("cancel"),
    }[status]


# Helpers ---------------------------------------------------------------------------------


def _lock(request: ResourceRequest, version: int | None = None) -> ResourceRequest:
    # Lock the row alone, then read it with its relations (see opportunities.services._lock).
    ResourceRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk").get()
    locked = ResourceRequest.objects.select_related(
        "opportunity__account", "opportunity__stage", "opportunity__team", "requester"
    ).get(pk=request.pk)
    if version is not None and locked.version != version:
        raise Conflict(_("Somebody else changed this request meanwhile. Reload and try again."))
    return locked


def _refuse_unknown_fields(fields: dict, allowed: set[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        message = _("These fields cannot be set: %(fields)s")
        raise ResourceRuleError(message % {"fields": ", ".join(sorted(unknown))})


def _require_open_deal(opportunity: Opportunity) -> None:
    if opportunity.status != OpportunityStatus.OPEN:
        raise ResourceRuleError(
            _("This opportunity is %(status)s: presales support goes to open deals.")
            % {"status": opportunity.get_status_display().lower()}
        )


def _require_requester_side(by: User, opportunity: Opportunity) -> None:
    if not can_work_on(by, opportunity):
        raise PermissionRefused(_("You cannot ask for presales support on this opportunity."))


def is_actor(actor: str, by: User, request: ResourceRequest) -> bool:
    """Whether the user plays the given part for this request."""
    if not by.is_authenticated or not by.is_active:
        return False
    if actor == Actor.REQUESTER:
        return request.requester_id == by.pk or can_work_on(by, request.opportunity)
    if actor == Actor.LEAD:
        return by.is_admin or by.role == Role.PRESALES_LEAD
    return request.assignments.filter(engineer__user=by).exists()


def available_transitions(*, request: ResourceRequest, user: User) -> list[str]:
    """The statuses this user may move the request to now: the buttons a page shows."""
    return [
        status
        for status, actor in TRANSITIONS.get(request.status, {}).items()
        if is_actor(actor, user, request)
    ]


def _require_transition(request: ResourceRequest, to: str, by: User) -> None:
    """The one place that refuses a status change the lifecycle does not allow, or an actor
    who may not make it."""
    allowed = TRANSITIONS.get(request.status, {})
    status_label = S(request.status).label.lower()
    if to not in allowed:
        if allowed:
            reason = _("From %(status)s a request can: %(actions)s.") % {
                "status": status_label,
                "actions": ", ".join(_action_label(status) for status in allowed),
            }
        else:
            reason = _("A %(status)s request is closed.") % {"status": status_label}
        raise TransitionRefused(
            _("You cannot %(action)s a request that is %(status)s.")
            % {"action": _action_label(to), "status": status_label},
            [reason],
        )
    if not is_actor(allowed[to], by, request):
        raise PermissionRefused(
            _("Only %(actor)s can %(action)s this request.")
            % {"actor": Actor(allowed[to]).label, "action": _action_label(to)}
        )


def _set_status(
    request: ResourceRequest, to: str, by: User, note: str = "", update_fields: Iterable = ()
) -> RequestTransition:
    """Move a locked request to another status: the rule check, the timestamp, the history
    row, and the e-mails after commit."""
    _require_transition(request, to, by)
    now = timezone.now()
    previous = request.status
    request.status = to
    setattr(request, REACHED_AT[to], now)
    request.version += 1
    request.save(update_fields=["status", REACHED_AT[to], "version", "updated_at", *update_fields])
    step = RequestTransition.objects.create(
        request=request, from_status=previous, to_status=to, by=by, at=now, note=note.strip()
    )
    if to in NOTIFIED:
        transaction.on_commit(lambda: notify_transition.delay(transition_id=step.pk))
    return step


def _skills(skills: Iterable) -> list[Skill]:
    skills = list(skills)
    ids = [skill.pk if isinstance(skill, Skill) else int(skill) for skill in skills]
    found = list(Skill.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(set(ids)):
        raise ResourceRuleError(_("Choose active skills from the list."))
    return found


# Priority --------------------------------------------------------------------------------


def _stage_bounds(process_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per process: the order of the first stage and of the last stage before the won one."""
    rows = (
        Stage.objects.filter(process_id__in=set(process_ids))
        .values("process_id")
        .annotate(first=Min("order"), last_open=Max("order", filter=Q(is_won=False)))
    )
    return {row["process_id"]: (row["first"], row["last_open"] or row["first"]) for row in rows}


def _two_places(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def priority_compute(
    request: ResourceRequest,
    *,
    today: datetime.date | None = None,
    policy: DispatchPolicy | None = None,
    tiering: TieringPolicy | None = None,
    stage_bounds: tuple[int, int] | None = None,
) -> tuple[Decimal, dict]:
    """The merit of the deal behind a request, and how it was reached. Writes nothing.

    score = amount × probability × tier weight × stage urgency × deadline closeness, where
    - amount is the deal's amount (its currency) and probability the effective one (0–1);
    - the tier weight is the tiering policy's presales weight of the account's tier;
    - stage urgency grows linearly from 1 in the process's first stage to 1 + the dispatch
      policy's span in its last open stage;
    - deadline closeness is the dispatch policy's weight of the band the deadline falls in,
      the deadline being the earlier of the wanted end and the deal's expected close date.
    Each factor is rounded to two places first, so the explanation multiplies out exactly."""
    deal = request.opportunity
    today = today or timezone.localdate()
    policy = policy or DispatchPolicy.current()
    tiering = tiering or TieringPolicy.current()
    first, last_open = stage_bounds or _stage_bounds([deal.process_id])[deal.process_id]

    amount = _two_places(deal.amount)
    probability = _two_places(Decimal(deal.probability) / 100)
    tier_weight = _two_places(tiering.presales_weight(deal.account.tier))
    stage_order = min(max(deal.stage.order, first), last_open)
    if last_open > first:
        progress = Decimal(stage_order - first) / Decimal(last_open - first)
    else:
        progress = Decimal(0)
    stage_urgency = _two_places(1 + policy.stage_urgency_span * progress)
    if deal.expected_close_date < request.wanted_end:
        deadline, deadline_source = deal.expected_close_date, "close_date"
    else:
        deadline, deadline_source = request.wanted_end, "wanted_end"
    days_left = (deadline - today).days
    band, closeness = policy.deadline_weight(days_left)
    closeness = _two_places(closeness)
    score = _two_places(amount * probability * tier_weight * stage_urgency * closeness)
    explanation = {
        "formula": PRIORITY_FORMULA,
        "amount": str(amount),
        "currency": deal.currency,
        "probability": str(probability),
        "tier": deal.account.tier,
        "tier_weight": str(tier_weight),
        "stage": deal.stage.code,
        "stage_order": deal.stage.order,
        "first_stage_order": first,
        "last_open_stage_order": last_open,
        "stage_urgency": str(stage_urgency),
        "deadline": deadline.isoformat(),
        "deadline_source": deadline_source,
        "days_left": days_left,
        "deadline_band": band,
        "deadline_closeness": str(closeness),
        "score": str(score),
    }
    return score, explanation


def priority_refresh(*, request_ids: Iterable[int], today: datetime.date | None = None) -> int:
    """Recompute the priority of the given requests; returns how many changed. Idempotent:
    a request whose score and explanation stay the same is not written."""
    request_ids = list(request_ids)
    policy, tiering = DispatchPolicy.current(), TieringPolicy.current()
    changed = 0
    for offset in range(0, len(request_ids), REFRESH_BATCH):
        requests = list(
            ResourceRequest.objects.filter(pk__in=request_ids[offset : offset + REFRESH_BATCH])
            .select_related("opportunity__account", "opportunity__stage")
            .only(
                "pk",
                "wanted_end",
                "priority_score",
                "priority_explanation",
                "opportunity__amount",
                "opportunity__currency",
                "opportunity__probability",
                "opportunity__expected_close_date",
                "opportunity__process_id",
                "opportunity__account__tier",
                "opportunity__stage__order",
                "opportunity__stage__code",
            )
        )
        bounds = _stage_bounds(request.opportunity.process_id for request in requests)
        now, dirty = timezone.now(), []
        for request in requests:
            score, explanation = priority_compute(
                request,
                today=today,
                policy=policy,
                tiering=tiering,
                stage_bounds=bounds[request.opportunity.process_id],
            )
            if score != request.priority_score or explanation != request.priority_explanation:
                request.priority_score, request.priority_explanation = score, explanation
                request.priority_computed_at = now
                dirty.append(request)
        ResourceRequest.objects.bulk_update(
            dirty, ["priority_score", "priority_explanation", "priority_computed_at"]
        )
        changed += len(dirty)
    return changed


def priority_refresh_open(
    *, opportunity_ids: Iterable[int] | None = None, today: datetime.date | None = None
) -> int:
    """Recompute the priority of the open requests (of some deals, or all of them)."""
    requests = ResourceRequest.objects.filter(status__in=OPEN_STATUSES)
    if opportunity_ids is not None:
        requests = requests.filter(opportunity_id__in=list(opportunity_ids))
    return priority_refresh(request_ids=requests.values_list("pk", flat=True), today=today)


def _apply_priority(request: ResourceRequest) -> None:
    request.priority_score, request.priority_explanation = priority_compute(request)
    request.priority_computed_at = timezone.now()


# Requests --------------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    by: User,
    opportunity: Opportunity,
    kind: str,
    estimated_hours: Decimal,
    wanted_start: datetime.date,
    wanted_end: datetime.date,
    justification: str,
    skills: Iterable[Skill] = (),
    files: Iterable = (),
) -> ResourceRequest:
    """A draft request for presales support, by someone who works on the deal, with the files
    sent along (checked as attachment_add checks them)."""
    deal = Opportunity.objects.select_related("account", "stage").get(pk=opportunity.pk)
    _require_requester_side(by, deal)
    _require_open_deal(deal)
    request = ResourceRequest(
        opportunity=deal,
        requester=by,
        kind=kind,
        estimated_hours=estimated_hours,
        wanted_start=wanted_start,
        wanted_end=wanted_end,
        justification=justification.strip(),
    )
    request.full_clean()
    _apply_priority(request)
    request.save()
    request.skills.set(_skills(skills))
    _store_attachments(request, by, files)
    RequestTransition.objects.create(request=request, to_status=S.DRAFT, by=by)
    return request


@transaction.atomic
def request_update(
    *, request: ResourceRequest, by: User, version: int, skills: Iterable | None = None, **fields
) -> ResourceRequest:
    """Edit a draft; once submitted, the lead judges what was sent."""
    _refuse_unknown_fields(fields, EDITABLE_FIELDS)
    locked = _lock(request, version)
    if not is_actor(Actor.REQUESTER, by, locked):
        raise PermissionRefused(_("You cannot change this request."))
    if locked.status != S.DRAFT:
        raise ResourceRuleError(_("Only a draft can be changed; cancel and ask again instead."))
    for name, value in fields.items():
        setattr(locked, name, value.strip() if name == "justification" else value)
    locked.full_clean()
    _apply_priority(locked)
    locked.version += 1
    locked.save()
    if skills is not None:
        locked.skills.set(_skills(skills))
    return locked


# Attachments ------------------------------------------------------------------------------

# Programs are refused by their name and by their first bytes, whatever they are called.
EXECUTABLE_SUFFIXES = {
    ".app", ".apk", ".bat", ".bin", ".cmd", ".com", ".cpl", ".dll", ".exe", ".hta", ".jar",
    ".js", ".jse", ".lnk", ".msi", ".msp", ".pif", ".ps1", ".reg", ".scr", ".sh", ".so",
    ".vb", ".vbe", ".vbs", ".wsf", ".wsh",
}  # fmt: skip
EXECUTABLE_MAGIC = (
    b"MZ",  # Windows programs and libraries
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # macOS (Mach-O, both byte orders and widths)
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",  # scripts
)
DEFAULT_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def attachment_max_bytes() -> int:
    """The largest file accepted: settings.PRESALES_ATTACHMENT_MAX_BYTES, 20 MB by default."""
    return int(getattr(settings, "PRESALES_ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def _upload_refusal(upload) -> str | None:
    """Why a file cannot be attached, or None: empty, too large, or a program."""
    name = getattr(upload, "name", "") or _("file")
    size = getattr(upload, "size", None) or 0
    limit = attachment_max_bytes()
    if size <= 0:
        return _("%(name)s is empty.") % {"name": name}
    if size > limit:
        return _("%(name)s is larger than %(limit)s.") % {
            "name": name,
            "limit": filesizeformat(limit),
        }
    suffix = pathlib.PurePath(name).suffix.lower()
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if suffix in EXECUTABLE_SUFFIXES or any(head.startswith(magic) for magic in EXECUTABLE_MAGIC):
        return _("%(name)s is a program: executable files are not accepted.") % {"name": name}
    return None


def _works_on_request(user: User, request: ResourceRequest) -> bool:
    return any(is_actor(actor, user, request) for actor in Actor.values)


def can_attach(user: User, request: ResourceRequest) -> bool:
    """Files are added to an open request by those who work on it: the requester's side, the
    presales leads and the assigned engineers."""
    return request.is_open and _works_on_request(user, request)


def _store_attachments(request: ResourceRequest, by: User, files: Iterable) -> list:
    """Check every file first, then store them all: one bad file stores none."""
    files = [upload for upload in files if upload is not None]
    refusals = [refusal for refusal in map(_upload_refusal, files) if refusal]
    if refusals:
        raise ValidationError({"files": refusals})
    attachments = []
    for upload in files:
        attachment = RequestAttachment(
            request=request,
            file=upload,
            name=pathlib.PurePath(upload.name).name[:200] or _("file"),
            size=upload.size,
            uploaded_by=by,
        )
        attachment.save()
        attachments.append(attachment)
    return attachments


@transaction.atomic
def attachment_add(
    *, request: ResourceRequest, by: User, files: Iterable
) -> list[RequestAttachment]:
    """Attach one or more files to an open request (see can_attach). Each file must hold
    something, stay within the size limit and not be a program; otherwise a ValidationError
    on `files` names each refused file and none is stored."""
    locked = _lock(request)
    if not _works_on_request(by, locked):
        raise PermissionRefused(_("You cannot add files to this request."))
    if not locked.is_open:
        raise ResourceRuleError(_("Files are added to open requests only."))
    files = list(files)
    if not files:
        raise ValidationError({"files": [_("Choose at least one file.")]})
    return _store_attachments(locked, by, files)


@transaction.atomic
def attachment_remove(*, attachment: RequestAttachment, by: User) -> None:
    """The uploader removes their file while the request is open; the stored file goes once
    the removal is committed."""
    locked = _lock(attachment.request)
    attachment = RequestAttachment.objects.get(pk=attachment.pk, request=locked)
    if attachment.uploaded_by_id != by.pk:
        raise PermissionRefused(_("Only the person who added a file removes it."))
    if not locked.is_open:
        raise ResourceRuleError(_("Files are removed from open requests only."))
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.storage.delete(stored.name))


def _ati_refusal(request: ResourceRequest) -> str | None:
    """Presales work beyond a standard technical exchange is available only after ATI, on the
    deals the ATI gate applies to (DESIGN.md §1.3)."""
    if request.kind in TYPES_WITHOUT_ATI:
        return None
    deal = request.opportunity
    rule = GateRule.objects.filter(
        process_id=deal.process_id, kind=GateKind.ATI, is_active=True
    ).first()
    if rule is None or not rule.applies_to(deal) or GateKind.ATI in passed_gate_kinds(deal):
        return None
    return _(
        "%(type)s needs the ATI gate approved first; until then only a technical exchange "
        "can be requested."
    ) % {"type": RequestType(request.kind).label}


@transaction.atomic
def request_submit(
    *, request: ResourceRequest, by: User, note: str = "", version: int | None = None
) -> ResourceRequest:
    locked = _lock(request, version)
    _require_transition(locked, S.SUBMITTED, by)
    _require_open_deal(locked.opportunity)
    refusal = _ati_refusal(locked)
    if refusal:
        raise ResourceRuleError(_("This request cannot be submitted yet."), [refusal])
    _apply_priority(locked)
    _set_status(
        locked,
        S.SUBMITTED,
        by,
        note,
        update_fields=["priority_score", "priority_explanation", "priority_computed_at"],
    )
    return locked


@transaction.atomic
def request_cancel(
    *, request: ResourceRequest, by: User, reason: str = "", version: int | None = None
) -> ResourceRequest:
    """The requester's side withdraws an open request; past the draft, others have spent time
    on it, so they say why. Its engineers' hours become free again."""
    locked = _lock(request, version)
    _require_transition(locked, S.CANCELLED, by)
    if locked.status != S.DRAFT and not reason.strip():
        raise ResourceRuleError(_("Say why the request is cancelled."))
    locked.cancel_reason = reason.strip()
    _set_status(locked, S.CANCELLED, by, reason, update_fields=["cancel_reason"])
    return locked


@transaction.atomic
def request_approve(
    *, request: ResourceRequest, by: User, note: str = "", version: int | None = None
) -> ResourceRequest:
    locked = _lock(request, version)
    _set_status(locked, S.APPROVED, by, note)
    return locked


@transaction.atomic
def request_reject(
    *, request: ResourceRequest, by: User, reason: str, version: int | None = None
) -> ResourceRequest:
    locked = _lock(request, version)
    _require_transition(locked, S.REJECTED, by)
    if not reason.strip():
        raise ResourceRuleError(_("Say why the request is rejected."))
    locked.reject_reason = reason.strip()
    _set_status(locked, S.REJECTED, by, reason, update_fields=["reject_reason"])
    return locked


def _dispatch_lines(assignments: Iterable) -> list[tuple]:
    """(engineer, hours, start, end) tuples, or dicts with those keys."""
    lines = []
    for line in assignments:
        if isinstance(line, dict):
            line = (line["engineer"], line["hours"], line["start"], line["end"])
        engineer, hours, start, end = line
        lines.append((engineer, _two_places(Decimal(str(hours))), start, end))
    return lines


def _dispatch_refusals(lines: list[tuple], by: User) -> list[str]:
    reasons, seen = [], set()
    for engineer, hours, start, end in lines:
        name = {"engineer": engineer}
        if engineer.pk in seen:
            reasons.append(_("%(engineer)s is listed twice.") % name)
        seen.add(engineer.pk)
        if not (engineer.is_active and engineer.user.is_active):
            reasons.append(_("%(engineer)s does not take assignments.") % name)
        if hours <= 0:
            reasons.append(_("Plan more than 0 hours for %(engineer)s.") % name)
        if end < start:
            reasons.append(_("The end comes before the start for %(engineer)s.") % name)
        team = engineer.user.team
        if not by.is_admin and (team is None or not can_manage_team(by, team)):
            reasons.append(_("%(engineer)s is not in a team you lead.") % name)
    return reasons


def _requests_ahead(request: ResourceRequest) -> list[ResourceRequest]:
    return list(
        ResourceRequest.objects.filter(status=S.APPROVED, priority_score__gt=request.priority_score)
        .exclude(pk=request.pk)
        .select_related("opportunity")
        .order_by("-priority_score", "pk")
    )


@transaction.atomic
def request_dispatch(
    *,
    request: ResourceRequest,
    by: User,
    assignments: Iterable,
    out_of_order_reason: str = "",
    over_capacity_reason: str = "",
    note: str = "",
    version: int | None = None,
) -> ResourceRequest:
    """A presales lead books engineers of the teams they lead: `assignments` is a list of
    (engineer profile, planned hours, start, end). Refused while higher-priority approved
    requests wait, unless the lead says why this one goes first; refused when an engineer has
    not enough free hours in the window, unless the lead says why to book anyway. Either
    reason is kept on the assignments, and nobody is over-booked without it."""
    locked = _lock(request, version)
    _require_transition(locked, S.DISPATCHED, by)
    lines = _dispatch_lines(assignments)
    if not lines:
        raise ResourceRuleError(_("Assign at least one engineer."))
    engineer_ids = sorted({line[0].pk for line in lines})
    # Lock the engineers so that two leads booking the same person are served one by one.
    list(
        EngineerProfile.objects.select_for_update()
        .filter(pk__in=engineer_ids)
        .order_by("pk")
        .values_list("pk")
    )
    engineers = {
        engineer.pk: engineer
        for engineer in EngineerProfile.objects.select_related("user__team").filter(
            pk__in=engineer_ids
        )
    }
    lines = [(engineers[line[0].pk], *line[1:]) for line in lines]
    reasons = _dispatch_refusals(lines, by)
    if reasons:
        raise ResourceRuleError(_("This dispatch cannot be made."), reasons)

    ahead = _requests_ahead(locked)
    if ahead and not out_of_order_reason.strip():
        raise OutOfOrderRefused(
            _(
                "Requests with a higher priority are waiting; give the reason for dispatching "
                "this one first."
            ),
            [
                _("#%(id)s %(type)s · %(deal)s: priority %(score)s")
                % {
                    "id": other.pk,
                    "type": other.get_kind_display(),
                    "deal": other.opportunity,
                    "score": other.priority_score,
                }
                for other in ahead
            ],
        )
    out_of_order_reason = out_of_order_reason.strip() if ahead else ""

    calendar = Calendar(
        engineers.values(), min(line[2] for line in lines), max(line[3] for line in lines)
    )
    over = {}
    for engineer, hours, start, end in lines:
        free = calendar.free(engineer.pk, start, end)
        if hours > free:
            over[engineer.pk] = (hours - max(free, Decimal(0)), free)
    if over and not over_capacity_reason.strip():
        raise CapacityRefused(
            _("Beyond free capacity: give the reason to book anyway."),
            [
                _(
                    "%(engineer)s has %(free)s free hours from %(start)s to %(end)s; "
                    "%(hours)s asked."
                )
                % {
                    "engineer": engineer,
                    "free": over[engineer.pk][1],
                    "start": start,
                    "end": end,
                    "hours": hours,
                }
                for engineer, hours, start, end in lines
                if engineer.pk in over
            ],
        )

    now = timezone.now()
    Assignment.objects.bulk_create(
        Assignment(
            request=locked,
            engineer=engineer,
            planned_hours=hours,
            start=start,
            end=end,
            assigned_by=by,
            assigned_at=now,
            over_capacity_hours=over[engineer.pk][0] if engineer.pk in over else Decimal(0),
            over_capacity_reason=over_capacity_reason.strip() if engineer.pk in over else "",
            out_of_order_reason=out_of_order_reason,
        )
        for engineer, hours, start, end in lines
    )
    history = [note.strip()]
    if out_of_order_reason:
        history.append(
            _("Ahead of higher priorities: %(reason)s") % {"reason": out_of_order_reason}
        )
    if over:
        history.append(_("Beyond capacity: %(reason)s") % {"reason": over_capacity_reason.strip()})
    _set_status(locked, S.DISPATCHED, by, "\n".join(line for line in history if line))
    return locked


@transaction.atomic
def request_start(
    *, request: ResourceRequest, by: User, note: str = "", version: int | None = None
) -> ResourceRequest:
    locked = _lock(request, version)
    _set_status(locked, S.IN_PROGRESS, by, note)
    return locked


@transaction.atomic
def request_complete(
    *, request: ResourceRequest, by: User, note: str = "", version: int | None = None
) -> ResourceRequest:
    locked = _lock(request, version)
    _set_status(locked, S.DONE, by, note)
    return locked


@transaction.atomic
def request_evaluate(
    *,
    request: ResourceRequest,
    by: User,
    rating: int,
    tech_outcome: str,
    comment: str = "",
    version: int | None = None,
) -> ResourceRequest:
    """The requester's side rates the support 1–5 and records the technical outcome."""
    locked = _lock(request, version)
    _require_transition(locked, S.EVALUATED, by)
    reasons = []
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        reasons.append(_("Rate the support from 1 to 5."))
    if tech_outcome not in TechOutcome.values:
        reasons.append(_("Say whether it was a technical win, a technical loss, or neither."))
    if reasons:
        raise ResourceRuleError(_("This evaluation is incomplete."), reasons)
    locked.rating, locked.rating_comment = rating, comment.strip()
    locked.tech_outcome = tech_outcome
    _set_status(
        locked,
        S.EVALUATED,
        by,
        comment,
        update_fields=["rating", "rating_comment", "tech_outcome"],
    )
    return locked


# Capacity --------------------------------------------------------------------------------


def engineer_free_hours(
    engineer: EngineerProfile, start: datetime.date, end: datetime.date
) -> Decimal:
    """Hours the engineer can still take from start to end: weekly capacity / 5 for each
    working day (Monday to Friday, not a day off), minus the hours of dispatched and
    in-progress assignments overlapping the period, pro-rated by working days. Negative when
    the engineer is already over-booked."""
    return Calendar([engineer], start, end).free(engineer.pk, start, end)


def suggest_engineers(
    request: ResourceRequest, *, by: User | None = None, limit: int | None = None
) -> list[dict]:
    """Engineers for a request, best first: those with room for the estimated hours in the
    wanted window, then by skill fit, then by free hours.

    Skill fit is the level-weighted coverage of the required skills: the sum of the engineer's
    levels in them divided by 5 × their number (1 means expert in every one; a skill the
    engineer lacks counts 0). With required skills, engineers who have none of them are left
    out; without, everyone fits (1). `by` limits the list to the teams that lead runs."""
    required = list(request.skills.all())
    engineers = EngineerProfile.objects.filter(is_active=True, user__is_active=True)
    if by is not None and not by.is_admin:
        condition = Q(pk__in=[])
        for path in by.led_teams.filter(is_active=True).values_list("path", flat=True):
            condition |= Q(user__team__path__startswith=path)
        engineers = engineers.filter(condition)
    engineers = list(engineers.select_related("user__team").prefetch_related("skill_levels__skill"))
    if required:
        required_ids = {skill.pk for skill in required}
        engineers = [
            engineer
            for engineer in engineers
            if any(level.skill_id in required_ids for level in engineer.skill_levels.all())
        ]
    calendar = Calendar(engineers, request.wanted_start, request.wanted_end)
    suggestions = []
    for engineer in engineers:
        levels = {level.skill_id: level.level for level in engineer.skill_levels.all()}
        if required:
            fit = Decimal(sum(levels.get(skill.pk, 0) for skill in required)) / (5 * len(required))
        else:
            fit = Decimal(1)
        free = calendar.free(engineer.pk, request.wanted_start, request.wanted_end)
        suggestions.append(
            {
                "engineer": engineer,
                "fit": fit.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                "free_hours": free,
                "has_room": free >= request.estimated_hours,
                "skills": [
                    {"skill": skill, "level": levels.get(skill.pk, 0)} for skill in required
                ],
                "missing": [skill for skill in required if skill.pk not in levels],
            }
        )
    suggestions.sort(
        key=lambda row: (
            not row["has_room"],
            -row["fit"],
            -row["free_hours"],
            row["engineer"].user.username,
        )
    )
    return suggestions[:limit] if limit else suggestions


# Days off --------------------------------------------------------------------------------

MAX_DAYS_OFF_SPAN = 366


def can_manage_days_off(user: User, engineer: EngineerProfile) -> bool:
    """An engineer keeps their own days off; a presales lead those of the engineers of the
    teams they lead; an admin everyone's (the engineers each one sees)."""
    return engineer_list_visible_to(user).filter(pk=engineer.pk).exists()


def _require_days_off_manager(user: User, engineer: EngineerProfile) -> None:
    if not can_manage_days_off(user, engineer):
        raise PermissionRefused(
            _("You cannot change the days off of %(engineer)s.") % {"engineer": engineer}
        )
    # The engineer's row serialises changes of their calendar (and bookings against it).
    EngineerProfile.objects.select_for_update().filter(pk=engineer.pk).values_list("pk").get()


@transaction.atomic
def days_off_add(
    *,
    engineer: EngineerProfile,
    by: User,
    start: datetime.date,
    end: datetime.date,
    reason: str = "",
) -> list[DayOff]:
    """Mark the working days (Monday to Friday) from start to end off, with the reason. The
    range is refused backwards, longer than a year, without a working day, or overlapping days
    off already entered; then nothing is written."""
    _require_days_off_manager(by, engineer)
    if end < start:
        raise ValidationError({"end": [_("The last day off cannot be before the first.")]})
    if (end - start).days >= MAX_DAYS_OFF_SPAN:
        raise ValidationError({"end": [_("Enter at most a year of days off at once.")]})
    days = [
        day
        for day in (start + datetime.timedelta(days=n) for n in range((end - start).days + 1))
        if day.weekday() < 5
    ]
    if not days:
        raise ValidationError(
            {"end": [_("There is no working day (Monday to Friday) in this range.")]}
        )
    taken = list(
        DayOff.objects.filter(engineer=engineer, date__range=(start, end)).values_list(
            "date", flat=True
        )
    )
    if taken:
        message = _("%(engineer)s is already off on %(dates)s; remove those days first.") % {
            "engineer": engineer,
            "dates": ", ".join(day.isoformat() for day in taken),
        }
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    reason = reason.strip()
    return DayOff.objects.bulk_create(
        DayOff(engineer=engineer, date=day, reason=reason) for day in days
    )


@transaction.atomic
def days_off_remove(
    *, engineer: EngineerProfile, by: User, start: datetime.date, end: datetime.date
) -> int:
    """Give back the days off from start to end; returns how many there were."""
    _require_days_off_manager(by, engineer)
    removed, _by_model = DayOff.objects.filter(engineer=engineer, date__range=(start, end)).delete()
    if not removed:
        raise ResourceRuleError(
            _("%(engineer)s has no day off from %(start)s to %(end)s.")
            % {"engineer": engineer, "start": start, "end": end}
        )
    return removed


# Time logs -------------------------------------------------------------------------------


def _lock_for_logging(assignment_id: int, by: User) -> Assignment:
    """The assignment whose hours `by` writes, with the engineer's row locked: that lock
    serialises their logging, so that two entries cannot pass 24 h a day together."""
    assignment = Assignment.objects.select_related("request", "engineer").get(pk=assignment_id)
    EngineerProfile.objects.select_for_update().filter(pk=assignment.engineer_id).values_list(
        "pk"
    ).get()
    if assignment.engineer.user_id != by.pk:
        raise PermissionRefused(_("Only the assigned engineer logs hours on this assignment."))
    if assignment.request.status not in LOGGABLE_STATUSES:
        raise ResourceRuleError(_("Hours are logged on requests in progress or done."))
    return assignment


def _check_hours(
    assignment: Assignment, date: datetime.date, hours: Decimal, entry: TimeEntry | None = None
) -> None:
    """The one check of hours worked on a day, for a new entry and an edited one: more than
    0, not in the future, not before the assignment starts, and at most 24 that day across
    all the engineer's assignments (the edited entry's own hours aside). Refusals are field
    messages on `hours` and `date`."""
    errors: dict[str, list[str]] = {}
    if hours <= 0:
        errors.setdefault("hours", []).append(_("Log more than 0 hours."))
    elif hours > 24:
        errors.setdefault("hours", []).append(_("A day has 24 hours."))
    if date > timezone.localdate():
        errors.setdefault("date", []).append(_("Hours cannot be logged for a day in the future."))
    if date < assignment.start:
        errors.setdefault("date", []).append(
            _("The assignment starts on %(start)s; log hours from that day on.")
            % {"start": assignment.start}
        )
    if 0 < hours <= 24:
        same_day = TimeEntry.objects.filter(
            assignment__engineer_id=assignment.engineer_id, date=date
        )
        if entry is not None:
            same_day = same_day.exclude(pk=entry.pk)
        logged = (same_day.aggregate(total=Sum("hours"))["total"] or Decimal(0)).quantize(CENT)
        if logged + hours > 24:
            errors.setdefault("hours", []).append(
                _("%(logged)s hours are already logged on %(date)s; a day has 24.")
                % {"logged": logged, "date": date}
            )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def time_log(
    *,
    assignment: Assignment,
    by: User,
    date: datetime.date,
    hours: Decimal,
    note: str = "",
) -> TimeEntry:
    """The assigned engineer logs hours worked on one day (see _check_hours)."""
    assignment = _lock_for_logging(assignment.pk, by)
    hours = Decimal(str(hours))
    _check_hours(assignment, date, hours)
    entry = TimeEntry(
        assignment=assignment,
        date=date,
        hours=hours,
        note=note.strip(),
        cost_rate=assignment.engineer.cost_rate_per_hour,
        logged_by=by,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def time_entry_update(
    *,
    entry: TimeEntry,
    by: User,
    date: datetime.date | None = None,
    hours: Decimal | None = None,
    note: str | None = None,
) -> TimeEntry:
    """The engineer corrects an entry's day, hours or note, under the same rules as logging;
    the cost rate stays the one of when it was logged."""
    assignment = _lock_for_logging(entry.assignment_id, by)
    entry = TimeEntry.objects.get(pk=entry.pk)
    if date is not None:
        entry.date = date
    if hours is not None:
        entry.hours = Decimal(str(hours))
    if note is not None:
        entry.note = note.strip()
    _check_hours(assignment, entry.date, entry.hours, entry)
    entry.full_clean()
    entry.save(update_fields=["date", "hours", "note"])
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, by: User) -> None:
    _lock_for_logging(entry.assignment_id, by)
    TimeEntry.objects.filter(pk=entry.pk).delete()


# Notifications ---------------------------------------------------------------------------


def _mail_subject(step: RequestTransition) -> str:
    request = step.request
    names = {"id": request.pk, "type": request.get_kind_display(), "deal": request.opportunity}
    subjects = {
        S.SUBMITTED: _("Presales request #%(id)s to approve: %(type)s for %(deal)s"),
        S.APPROVED: _("Presales request #%(id)s is approved: %(type)s for %(deal)s"),
        S.REJECTED: _("Presales request #%(id)s is rejected: %(type)s for %(deal)s"),
        S.DISPATCHED: _("Presales request #%(id)s is dispatched: %(type)s for %(deal)s"),
        S.EVALUATED: _("Presales request #%(id)s is evaluated: %(type)s for %(deal)s"),
        S.CANCELLED: _("Presales request #%(id)s is cancelled: %(type)s for %(deal)s"),
    }
    return f"[SalesOps] {subjects[step.to_status] % names}"


def _mail_body(step: RequestTransition) -> str:
    request = step.request
    deal = request.opportunity
    lines = [
        _("Opportunity: %(deal)s (%(account)s)") % {"deal": deal, "account": deal.account},
        _("Type: %(type)s") % {"type": request.get_kind_display()},
        _("Estimated hours: %(hours)s") % {"hours": request.estimated_hours},
        _("Wanted: %(start)s to %(end)s")
        % {"start": request.wanted_start, "end": request.wanted_end},
        _("Priority: %(score)s") % {"score": request.priority_score},
        _("Status: %(status)s, by %(by)s")
        % {"status": request.get_status_display(), "by": step.by or "SalesOps"},
    ]
    if step.to_status == S.DISPATCHED:
        for assignment in request.assignments.select_related("engineer__user"):
            lines.append(
                _("Assigned: %(engineer)s, %(hours)s hours from %(start)s to %(end)s")
                % {
                    "engineer": assignment.engineer,
                    "hours": assignment.planned_hours,
                    "start": assignment.start,
                    "end": assignment.end,
                }
            )
    if step.to_status == S.EVALUATED:
        lines.append(
            _("Rating: %(rating)s/5, %(outcome)s")
            % {"rating": request.rating, "outcome": request.get_tech_outcome_display()}
        )
    if step.note:
        lines += ["", step.note]
    return "\n".join(lines)


def transition_notify(*, transition_id: int) -> int:
    """E-mail the people a transition concerns; returns how many mails were sent. A transition
    is announced once: a second run finds it done and sends nothing."""
    from django.core.mail import EmailMessage, get_connection
    from django.utils import translation

    from .selectors import transition_recipients

    step = (
        RequestTransition.objects.select_related(
            "request__opportunity__account", "request__requester", "by"
        )
        .filter(pk=transition_id, notified_at__isnull=True)
        .first()
    )
    if step is None:
        return 0
    recipients = transition_recipients(step)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _mail_subject(step), _mail_body(step)
    messages = [EmailMessage(subject, body, to=[user.email]) for user in recipients]
    sent = get_connection().send_messages(messages) if messages else 0
    RequestTransition.objects.filter(pk=step.pk).update(notified_at=timezone.now())
    return sent or 0
