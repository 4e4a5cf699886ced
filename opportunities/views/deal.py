"""One opportunity and the work on it: the deal page with its stage path, the quick "log
progress" form, milestone checks, gates, winning and losing, the manager's actions, the
decision chain, and the rep's agenda. Thin views over opportunities.selectors and
opportunities.services: every refusal comes from a service and lands on a form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Attitude, Influence
from accounts.models import Contact, WishListItem
from accounts.selectors import account_list_visible_to, contact_tree
from resources.selectors import request_list_visible_to
from salesops.choices import Role
from salesops.exceptions import DomainError

from .. import selectors, services
from ..choices import (
    GATE_PASSED,
    GateKind,
    GateStatus,
    OpportunityStatus,
    ThreatLevel,
    TrackedField,
)
from ..forms import (
    CloseForm,
    CompetitorForm,
    DecisionChainForm,
    GateDecisionForm,
    GateRequestForm,
    LogProgressForm,
    MilestoneCheckForm,
    MoveForm,
    OpportunityCreateForm,
    OpportunityEditForm,
    ProbabilityForm,
    ReassignForm,
    ReopenForm,
    WonForm,
)
from ..models import (
    Competitor,
    DeliveryHandover,
    GateRule,
    Milestone,
    MilestoneCheck,
    Opportunity,
    OpportunityContact,
    StageTask,
    TaskDone,
)

SERVICE_ERRORS = (DomainError, ValidationError)
# The deal page shows the latest of each history; older entries stay in the database and API.
TIMELINE_LENGTH = 30
HISTORY_LENGTH = 30


# Lookups ---------------------------------------------------------------------------------


def _visible(request, pk: int) -> Opportunity:
    """The deal, if the user may see it; 404 otherwise, as for any hidden record."""
    deals = selectors.with_board_relations(
        selectors.opportunity_list_visible_to(request.user)
    ).select_related("probability_override_by")
    return get_object_or_404(deals, pk=pk)


def _require_worker(request, deal: Opportunity) -> None:
    if not selectors.can_work_on(request.user, deal):
        raise PermissionDenied


def _require_manager(request, deal: Opportunity) -> None:
    if not selectors.can_manage(request.user, deal):
        raise PermissionDenied


def _detail_url(deal: Opportunity, anchor: str = "") -> str:
    url = reverse("opportunities:detail", args=[deal.pk])
    return f"{url}#{anchor}" if anchor else url


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _error_text(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join(str(message) for errors in error.errors.values() for message in errors)


# The deal page ---------------------------------------------------------------------------


def _won_stage(path: list[dict]):
    return next((step["stage"] for step in path if step["stage"].is_won), None)


def _contract_milestone(path: list[dict]):
    """The milestone that proves the signed contract, and its check (None when unchecked)."""
    for step in path:
        for item in step["milestones"]:
            if item["milestone"].proves_contract:
                return item["milestone"], item["check"]
    return None, None


def _gate_rows(deal: Opportunity, stages, gates, user, can_work: bool, can_manage: bool):
    """Each gate that applies to the deal, with its latest review and what the user may do."""
    rows = []
    for rule in selectors.gates_needed(deal, stages):
        reviews = [gate for gate in gates if gate.kind == rule.kind]
        latest = reviews[0] if reviews else None
        passed = any(gate.status in GATE_PASSED for gate in reviews)
        pending = latest is not None and latest.status == GateStatus.REQUESTED
        can_decide = pending and can_manage and (latest.requested_by_id != user.pk or user.is_admin)
        rows.append(
            {
                "rule": rule,
                "latest": latest,
                "reviews": reviews,
                "passed": passed,
                "pending": pending,
                "can_request": deal.is_open and can_work and not passed and not pending,
                "decision_form": (
                    GateDecisionForm(prefix=_gate_prefix(latest.pk)) if can_decide else None
                ),
            }
        )
    return rows


def _deal_context(request, deal: Opportunity, **bound_forms) -> dict:
    """Everything the deal page shows, in a fixed number of queries."""
    user = request.user
    can_manage = selectors.can_manage(user, deal)
    can_work = can_manage or selectors.can_work_on(user, deal)
    path = selectors.stage_path(deal)
    for step in path:
        step["checked"] = sum(1 for item in step["milestones"] if item["check"] is not None)
    stages = [step["stage"] for step in path]
    current = next(step for step in path if step["is_current"])
    open_milestones = [item["milestone"] for item in current["milestones"] if item["check"] is None]
    # Who should be involved now: the account team member holding each collaborating role.
    people = {
        member.role: member.user for member in deal.account.team_members.select_related("user")
    }
    for collaborator in current["collaborators"]:
        collaborator.person = people.get(collaborator.role)
    prefetch_related_objects(
        [deal],
        Prefetch(
            "decision_chain",
            queryset=OpportunityContact.objects.select_related("contact").order_by("contact__name"),
        ),
    )
    activities = list(
        deal.activities.select_related("owner").prefetch_related("contacts")[:TIMELINE_LENGTH]
    )
    gates = list(deal.gates.select_related("requested_by", "decided_by"))
    contacts = list(deal.account.contacts.filter(is_active=True).order_by("name"))
    changes = list(deal.changes.select_related("changed_by")[:HISTORY_LENGTH])
    contract, contract_check = _contract_milestone(path)
    handover = None
    if deal.status == OpportunityStatus.WON:
        handover = (
            DeliveryHandover.objects.filter(opportunity=deal)
            .select_related("delivery_owner", "created_by")
            .first()
        )
    qualification = deal.qualification()
    context = {
        "deal": deal,
        "path": path,
        "current": current,
        "other_steps": [step for step in path if not step["is_current"] and step["milestones"]],
        "can_work": can_work,
        "can_act": can_work and deal.is_open,
        "can_manage": can_manage,
        "qualification": qualification,
        "facts_known": sum(1 for item in qualification if item["known"]),
        "chain": list(deal.decision_chain.all()),
        "gaps": selectors.decision_chain_gaps(deal),
        "competitors": list(deal.competitors.all()),
        "threat_levels": ThreatLevel.choices,
        "activities": activities,
        "stage_changes": deal.stage_changes.select_related("from_stage", "to_stage", "changed_by")[
            :HISTORY_LENGTH
        ],
        "changes": changes,
        # ISO dates compare as text.
        "close_date_pushes": sum(
            1
            for change in changes
            if change.field == TrackedField.CLOSE_DATE and change.new_value > change.old_value
        ),
        "gate_rows": _gate_rows(deal, stages, gates, user, can_work, can_manage),
        "handover": handover,
        "won_stage": _won_stage(path),
        "next_is_won": any(
            step["stage"].is_won and step["stage"].order == deal.stage.order + 1 for step in path
        ),
        "contract": contract,
        "contract_check": contract_check,
        "today": timezone.localdate(),
        "presales_requests": list(
            request_list_visible_to(user).filter(opportunity=deal).order_by("-created_at", "-pk")
        ),
    }
    if deal.is_open and can_work:
        context["log_form"] = bound_forms.get("log_form") or LogProgressForm(
            opportunity=deal,
            stages=stages,
            open_milestones=open_milestones,
            contacts=contacts,
            can_override=can_manage,
        )
        context["won_form"] = WonForm(
            opportunity=deal,
            needs_contract=contract is not None and contract_check is None,
            can_override=can_manage,
        )
        context["close_form"] = CloseForm(opportunity=deal)
        context["competitor_form"] = CompetitorForm()
    if deal.is_open and can_manage:
        context["probability_form"] = ProbabilityForm(
            initial={
                "probability": deal.probability_override,
                "reason": deal.probability_override_reason,
            }
        )
        context["move_form"] = MoveForm(opportunity=deal, stages=stages)
    if deal.status in (OpportunityStatus.LOST, OpportunityStatus.ABANDONED) and can_manage:
        context["reopen_form"] = ReopenForm()
    return context


@login_required
def detail(request, pk: int):
    deal = _visible(request, pk)
    return render(request, "opportunities/deal/detail.html", _deal_context(request, deal))


# Creation and edits ----------------------------------------------------------------------


@login_required
def create(request):
    initial = {}
    account_id = request.GET.get("account", "")
    if account_id.isdigit():
        initial["account"] = account_list_visible_to(request.user).filter(pk=account_id).first()
    form = OpportunityCreateForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.opportunity_create(by=request.user, **form.service_fields())
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Opportunity %(name)s opened.") % {"name": deal.name})
            return redirect("opportunities:detail", pk=deal.pk)
    account = initial.get("account")
    return render(request, "opportunities/deal/create.html", {"form": form, "account": account})


@login_required
def edit(request, pk: int):
    deal = _visible(request, pk)
    _require_worker(request, deal)
    form = OpportunityEditForm(request.POST or None, instance=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(
                opportunity=deal,
                by=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                **form.service_fields(),
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("opportunities:detail", pk=deal.pk)
    return render(request, "opportunities/deal/edit.html", {"form": form, "deal": deal})


@login_required
@require_POST
def from_wish_item(request, item_pk: int):
    """One click on an agreed wish-list item of an account plan opens the opportunity."""
    items = WishListItem.objects.select_related("plan__account").filter(
        plan__account__in=account_list_visible_to(request.user).values("pk")
    )
    item = get_object_or_404(items, pk=item_pk)
    try:
        deal = services.opportunity_from_wish_item(item=item, by=request.user)
    except DomainError as error:
        messages.error(request, _error_text(error))
        plan = reverse("accounts:plan-year", args=[item.plan.account_id, item.plan.year])
        return redirect(f"{plan}#wish-{item.pk}")
    messages.success(
        request, _("Opportunity %(name)s opened from the wish list.") % {"name": deal.name}
    )
    if selectors.opportunity_list_visible_to(request.user).filter(pk=deal.pk).exists():
        return redirect("opportunities:detail", pk=deal.pk)
    return redirect("accounts:plan-year", pk=item.plan.account_id, year=item.plan.year)


# Log progress ----------------------------------------------------------------------------


@login_required
@require_POST
def log_progress(request, pk: int):
    deal = _visible(request, pk)
    _require_worker(request, deal)
    if not deal.is_open:
        messages.error(request, _("This opportunity is closed."))
        return redirect("opportunities:detail", pk=deal.pk)
    path = selectors.stage_path(deal)
    current = next(step for step in path if step["is_current"])
    form = LogProgressForm(
        request.POST,
        opportunity=deal,
        stages=[step["stage"] for step in path],
        open_milestones=[
            item["milestone"] for item in current["milestones"] if item["check"] is None
        ],
        contacts=deal.account.contacts.filter(is_active=True),
        can_override=selectors.can_manage(request.user, deal),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            updated = services.log_progress(
                opportunity=deal,
                by=request.user,
                version=data["version"],
                activity=form.activity(),
                milestones=list(data["milestones"]),
                to_stage=data["to_stage"] or None,
                note=data["note"],
                override_reason=data.get("override_reason", ""),
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            if updated.stage_id != deal.stage_id:
                messages.success(
                    request,
                    _("Progress logged; the opportunity moved to %(stage)s.")
                    % {"stage": updated.stage.name},
                )
            else:
                messages.success(request, _("Progress logged."))
            return redirect("opportunities:detail", pk=deal.pk)
    context = _deal_context(request, deal, log_form=form)
    return render(request, "opportunities/deal/detail.html", context)


# Milestones ------------------------------------------------------------------------------


def _milestone(deal: Opportunity, milestone_pk: int) -> Milestone:
    return get_object_or_404(
        Milestone.objects.select_related("stage"), pk=milestone_pk, stage__process=deal.process_id
    )


@login_required
def milestone_check(request, pk: int, milestone_pk: int):
    deal = _visible(request, pk)
    _require_worker(request, deal)
    milestone = _milestone(deal, milestone_pk)
    form = MilestoneCheckForm(request.POST or None, request.FILES or None, opportunity=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_check(
                opportunity=deal, milestone=milestone, by=request.user, **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Milestone checked: %(name)s") % {"name": milestone.name})
            return redirect(_detail_url(deal, "current-stage"))
    context = {"deal": deal, "milestone": milestone, "form": form}
    return render(request, "opportunities/deal/milestone_check.html", context)


@login_required
@require_POST
def milestone_uncheck(request, pk: int, milestone_pk: int):
    deal = _visible(request, pk)
    milestone = _milestone(deal, milestone_pk)
    try:
        services.milestone_uncheck(
            opportunity=deal,
            milestone=milestone,
            by=request.user,
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Milestone unchecked: %(name)s") % {"name": milestone.name})
    return redirect(_detail_url(deal, "current-stage"))


@login_required
@require_POST
def task_done(request, pk: int, task_pk: int):
    """Tick or untick a task of the deal's checklist; htmx swaps the one line."""
    deal = _visible(request, pk)
    task = get_object_or_404(StageTask, pk=task_pk, stage__process_id=deal.process_id)
    error = None
    try:
        services.task_set_done(
            opportunity=deal, task=task, by=request.user, done=request.POST.get("done") == "1"
        )
    except DomainError as refusal:
        error = _error_text(refusal)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(_detail_url(deal, "current-stage"))
    item = {"task": task, "done": TaskDone.objects.filter(opportunity=deal, task=task).first()}
    context = {"deal": deal, "item": item, "can_work": error is None, "error": error}
    return render(request, "opportunities/deal/_task.html", context)


@login_required
def evidence_file(request, pk: int, milestone_pk: int):
    """The uploaded evidence of a milestone, to those who see the deal (contracts are not
    public media)."""
    deal = _visible(request, pk)
    check = get_object_or_404(MilestoneCheck, opportunity=deal, milestone_id=milestone_pk)
    if not check.evidence_file:
        raise Http404
    try:
        handle = check.evidence_file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(
        handle, as_attachment=True, filename=check.evidence_file.name.split("/")[-1]
    )


# Closing ---------------------------------------------------------------------------------


@login_required
def won(request, pk: int):
    """Move the deal to the won stage; without the signed contract checked, the dialog takes it
    as an upload and checks the contract milestone in the same transaction."""
    deal = _visible(request, pk)
    _require_worker(request, deal)
    path = selectors.stage_path(deal)
    won_stage = _won_stage(path)
    contract, contract_check = _contract_milestone(path)
    needs_contract = contract is not None and contract_check is None
    form = WonForm(
        request.POST or None,
        request.FILES or None,
        opportunity=deal,
        needs_contract=needs_contract,
        can_override=selectors.can_manage(request.user, deal),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if won_stage is None:
                raise DomainError(_("This sales process has no won stage."))
            with transaction.atomic():
                if data.get("contract"):
                    services.milestone_check(
                        opportunity=deal,
                        milestone=contract,
                        by=request.user,
                        file=data["contract"],
                        note=_("Signed contract"),
                    )
                services.opportunity_advance(
                    opportunity=deal,
                    to_stage=won_stage,
                    by=request.user,
                    note=data["note"],
                    override_reason=data.get("override_reason", ""),
                    version=data["version"],
                )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Won! The delivery handover is open."))
            return redirect("opportunities:detail", pk=deal.pk)
    context = {
        "deal": deal,
        "form": form,
        "won_stage": won_stage,
        "contract": contract,
        "contract_check": contract_check,
    }
    return render(request, "opportunities/deal/won.html", context)


@login_required
def close(request, pk: int):
    """Close as lost (with a reason) or abandoned."""
    deal = _visible(request, pk)
    _require_worker(request, deal)
    form = CloseForm(request.POST or None, opportunity=deal)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.opportunity_close(
                opportunity=deal,
                by=request.user,
                status=data["status"],
                reason=data["reason"],
                note=data["note"],
                version=data["version"],
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The opportunity is closed."))
            return redirect("opportunities:detail", pk=deal.pk)
    return render(request, "opportunities/deal/close.html", {"deal": deal, "form": form})


def _manager_action(request, deal, form, *, title: str, template_form: str, act):
    """A manager's action on its own page: run it on a valid POST, else show the form."""
    if request.method == "POST" and form.is_valid():
        try:
            done = act(form.cleaned_data)
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, done)
            if selectors.opportunity_list_visible_to(request.user).filter(pk=deal.pk).exists():
                return redirect("opportunities:detail", pk=deal.pk)
            return redirect("opportunities:pipeline")
    context = {"deal": deal, "form": form, "title": title, "form_template": template_form}
    return render(request, "opportunities/deal/action.html", context)


@login_required
def reopen(request, pk: int):
    deal = _visible(request, pk)
    _require_manager(request, deal)

    def act(data):
        services.opportunity_reopen(opportunity=deal, by=request.user, reason=data["reason"])
        return _("The opportunity is open again.")

    form = ReopenForm(request.POST or None)
    return _manager_action(request, deal, form, title=_("Reopen"), template_form="reopen", act=act)


@login_required
def probability(request, pk: int):
    deal = _visible(request, pk)
    _require_manager(request, deal)

    def act(data):
        services.opportunity_set_probability(
            opportunity=deal,
            by=request.user,
            probability=data["probability"],
            reason=data["reason"],
        )
        if data["probability"] is None:
            return _("The probability follows the stages again.")
        return _("Probability set.")

    initial = {
        "probability": deal.probability_override,
        "reason": deal.probability_override_reason,
    }
    form = ProbabilityForm(request.POST or None, initial=initial)
    return _manager_action(
        request, deal, form, title=_("Win probability"), template_form="probability", act=act
    )


@login_required
def change_stage(request, pk: int):
    """A manager moves the deal out of order: skip ahead or back, with an override reason."""
    deal = _visible(request, pk)
    _require_manager(request, deal)
    stages = [step["stage"] for step in selectors.stage_path(deal)]

    def act(data):
        moved = services.opportunity_advance(
            opportunity=deal,
            to_stage=data["to_stage"],
            by=request.user,
            note=data["note"],
            override_reason=data["override_reason"],
            version=data["version"],
        )
        return _("The opportunity moved to %(stage)s.") % {"stage": moved.stage.name}

    form = MoveForm(request.POST or None, opportunity=deal, stages=stages)
    return _manager_action(
        request, deal, form, title=_("Change stage"), template_form="move", act=act
    )


@login_required
def reassign(request, pk: int):
    deal = _visible(request, pk)
    _require_manager(request, deal)

    def act(data):
        services.opportunity_reassign(
            opportunity=deal,
            by=request.user,
            owner=data["owner"],
            version=data["version"],
            reason=data["reason"],
        )
        return _("Reassigned to %(name)s.") % {"name": data["owner"].get_full_name()}

    form = ReassignForm(request.POST or None, opportunity=deal, user=request.user)
    return _manager_action(
        request, deal, form, title=_("Reassign"), template_form="reassign", act=act
    )


# Gates -----------------------------------------------------------------------------------


@login_required
def gate_request(request, pk: int, kind: str):
    deal = _visible(request, pk)
    _require_worker(request, deal)
    if kind not in GateKind.values:
        raise Http404
    rule = get_object_or_404(
        GateRule.objects.select_related("leaving_stage"), process=deal.process_id, kind=kind
    )
    form = GateRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.gate_request(
                opportunity=deal, kind=kind, by=request.user, note=form.cleaned_data["note"]
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(gate)s requested; a manager of the team decides.")
                % {"gate": rule.get_kind_display()},
            )
            return redirect(_detail_url(deal, "gates"))
    facts = [item for item in deal.qualification() if item["fact"].value in rule.required_facts]
    context = {"deal": deal, "rule": rule, "form": form, "facts": facts}
    return render(request, "opportunities/deal/gate_request.html", context)


def _gate_prefix(gate_pk: int) -> str:
    return f"gate-{gate_pk}"


def _pending_gates_page(request, bound: dict | None = None):
    gates = list(selectors.pending_gates_for(request.user).select_related("rule"))
    for gate in gates:
        gate.form = (bound or {}).get(gate.pk) or GateDecisionForm(prefix=_gate_prefix(gate.pk))
        gate.facts = [
            item
            for item in gate.opportunity.qualification()
            if item["fact"].value in gate.rule.required_facts
        ]
    return render(request, "opportunities/gates_pending.html", {"gates": gates})


@login_required
def gates_pending(request):
    """Gate requests the manager decides: approve, approve with conditions, or reject."""
    if not (request.user.is_admin or request.user.role in (Role.MANAGER, Role.PRESALES_LEAD)):
        raise PermissionDenied
    return _pending_gates_page(request)


@login_required
@require_POST
def gate_decide(request, gate_pk: int):
    gate = get_object_or_404(
        selectors.gate_list_visible_to(request.user).select_related("opportunity"), pk=gate_pk
    )
    form = GateDecisionForm(request.POST, prefix=_gate_prefix(gate.pk))
    pending_page = reverse("opportunities:gates-pending")
    back = _safe_next(request, pending_page)
    if form.is_valid():
        try:
            services.gate_decide(gate=gate, by=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(gate)s on %(deal)s: %(decision)s.")
                % {
                    "gate": gate.get_kind_display(),
                    "deal": gate.opportunity.name,
                    "decision": GateStatus(form.cleaned_data["decision"]).label,
                },
            )
            return redirect(back)
    still_pending = selectors.pending_gates_for(request.user).filter(pk=gate.pk).exists()
    if back == pending_page and still_pending:
        return _pending_gates_page(request, bound={gate.pk: form})
    messages.error(request, _error_text(form))
    return redirect(back)


# Activities and the agenda ---------------------------------------------------------------


@login_required
def agenda(request):
    today = timezone.localdate()
    steps = list(selectors.agenda_for(request.user))
    groups = [
        (
            "overdue",
            _("Overdue"),
            [s for s in steps if s.next_step_due and s.next_step_due < today],
        ),
        ("today", _("Today"), [s for s in steps if s.next_step_due == today]),
        (
            "upcoming",
            _("Coming up"),
            [s for s in steps if s.next_step_due and s.next_step_due > today],
        ),
        ("undated", _("No due date"), [s for s in steps if s.next_step_due is None]),
    ]
    context = {"groups": groups, "total": len(steps), "today": today}
    return render(request, "opportunities/agenda.html", context)


@login_required
@require_POST
def next_step_done(request, activity_pk: int):
    activities = selectors.activity_list_visible_to(request.user).select_related(
        "opportunity__team"
    )
    activity = get_object_or_404(activities, pk=activity_pk)
    try:
        services.activity_next_step_done(activity=activity, by=request.user)
    except DomainError as error:
        if request.htmx:
            return HttpResponse(_error_text(error), status=error.status_code)
        messages.error(request, _error_text(error))
    else:
        if request.htmx:
            return render(
                request, "opportunities/deal/_next_step_done.html", {"activity": activity}
            )
        messages.success(request, _("Next step done: %(step)s") % {"step": activity.next_step})
    return redirect(_safe_next(request, reverse("opportunities:agenda")))


# Decision chain and competitors ----------------------------------------------------------


def _chain_context(request, deal: Opportunity, form: DecisionChainForm) -> dict:
    """The account's org chart with each person's place in this purchase, if any."""
    prefetch_related_objects(
        [deal],
        Prefetch(
            "decision_chain",
            queryset=OpportunityContact.objects.select_related("contact").order_by("contact__name"),
        ),
    )
    links = {link.contact_id: link for link in deal.decision_chain.all()}
    roots = contact_tree(account=deal.account)

    def mark(contacts):
        for contact in contacts:
            contact.link = links.get(contact.pk)
            mark(contact.reports)

    mark(roots)
    return {
        "deal": deal,
        "roots": roots,
        "links": list(links.values()),
        "gaps": selectors.decision_chain_gaps(deal),
        "form": form,
        "can_act": selectors.can_work_on(request.user, deal),
        "attitudes": Attitude.choices,
        "influences": Influence.choices,
    }


@login_required
def decision_chain(request, pk: int):
    deal = _visible(request, pk)
    initial = {}
    chosen = request.GET.get("contact", "")
    if request.method == "GET" and chosen.isdigit():
        link = deal.decision_chain.filter(contact_id=chosen).first()
        if link is not None:
            initial = {
                "role": link.role,
                "influence": link.influence,
                "attitude": link.attitude,
                "relationship": link.relationship,
                "note": link.note,
            }
        initial["contact"] = chosen
    form = DecisionChainForm(request.POST or None, opportunity=deal, initial=initial)
    if request.method == "POST":
        _require_worker(request, deal)
        if form.is_valid():
            try:
                services.decision_chain_set(
                    opportunity=deal,
                    contact=form.cleaned_data["contact"],
                    by=request.user,
                    **form.service_fields(),
                )
            except SERVICE_ERRORS as error:
                form.add_service_error(error)
            else:
                messages.success(
                    request,
                    _("%(name)s is in the decision chain.")
                    % {"name": form.cleaned_data["contact"].name},
                )
                return redirect("opportunities:decision-chain", pk=deal.pk)
    context = _chain_context(request, deal, form)
    return render(request, "opportunities/decision_chain.html", context)


@login_required
@require_POST
def decision_chain_remove(request, pk: int, contact_pk: int):
    deal = _visible(request, pk)
    contact = get_object_or_404(Contact, pk=contact_pk, account_id=deal.account_id)
    try:
        services.decision_chain_remove(opportunity=deal, contact=contact, by=request.user)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(name)s is out of the decision chain.") % {"name": contact.name}
        )
    return redirect("opportunities:decision-chain", pk=deal.pk)


@login_required
@require_POST
def competitor_set(request, pk: int):
    deal = _visible(request, pk)
    form = CompetitorForm(request.POST)
    if form.is_valid():
        try:
            services.competitor_set(opportunity=deal, by=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Competitor saved."))
    else:
        messages.error(request, _error_text(form))
    return redirect(_detail_url(deal, "competitors"))


@login_required
@require_POST
def competitor_remove(request, pk: int, competitor_pk: int):
    deal = _visible(request, pk)
    competitor = get_object_or_404(
        Competitor.objects.select_related("opportunity__team"), pk=competitor_pk, opportunity=deal
    )
    try:
        services.competitor_remove(competitor=competitor, by=request.user)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Competitor removed."))
    return redirect(_detail_url(deal, "competitors"))
