"""The presales dispatch pages: the request form (from the deal page), my requests, a request
with its priority, history, assignments and hours, the lead's queue and dispatch, the
engineer's assignments and time log, the requester's evaluation, the load calendar and the
contribution reports. Thin views over resources.selectors and resources.services: every
refusal comes from a service and lands on a form or in a message."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from opportunities.selectors import opportunity_list_visible_to
from salesops.choices import Role
from salesops.exceptions import DomainError
from salesops.forms import without_blanks
from salesops.models import Team, User

from . import charts, selectors, services
from .choices import LOGGABLE_STATUSES, RequestStatus
from .forms import (
    AttachmentForm,
    DayOffForm,
    DispatchForm,
    EvaluateForm,
    ReasonForm,
    RequestFilterForm,
    RequestForm,
    TimeLogForm,
)
from .models import (
    Assignment,
    EngineerProfile,
    RequestAttachment,
    RequestTransition,
    ResourceRequest,
    TimeEntry,
)

S = RequestStatus
SERVICE_ERRORS = (DomainError, ValidationError)
LIST_LENGTH = 100
# Transitions made with a plain button (and an optional note) on the request page.
SIMPLE_ACTIONS = {
    "submit": (S.SUBMITTED, services.request_submit, _("Request submitted to the presales leads.")),
    "approve": (S.APPROVED, services.request_approve, _("Request approved.")),
    "start": (S.IN_PROGRESS, services.request_start, _("Work on the request started.")),
    "complete": (S.DONE, services.request_complete, _("Request completed.")),
}

# Pages a button may send the user back to instead of the request page.
RETURN_PAGES = {"queue": "resources:queue", "assignments": "resources:assignments"}


def _is_lead(user: User) -> bool:
    return user.is_admin or user.role == Role.PRESALES_LEAD


def _visible(request, pk: int) -> ResourceRequest:
    """The request, if the user may see it; 404 otherwise, as for any hidden record."""
    requests = selectors.with_request_relations(selectors.request_list_visible_to(request.user))
    return get_object_or_404(requests, pk=pk)


def _version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


# Requests --------------------------------------------------------------------------------


@login_required
def request_list(request):
    form = RequestFilterForm(without_blanks(request.GET), user=request.user)
    requests = form.apply(
        selectors.with_request_relations(selectors.request_list_visible_to(request.user))
    ).order_by("-created_at", "-pk")
    total = requests.count()
    return render(
        request,
        "resources/request_list.html",
        {"form": form, "requests": requests[:LIST_LENGTH], "total": total},
    )


@login_required
def request_create(request):
    initial = {}
    deal_id = request.GET.get("opportunity", "")
    if deal_id.isdigit():
        initial["opportunity"] = (
            opportunity_list_visible_to(request.user).filter(pk=deal_id).first()
        )
    posted = request.method == "POST"
    form = RequestForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        user=request.user,
        initial=initial,
    )
    if posted and form.is_valid():
        try:
            created = services.request_create(by=request.user, **form.service_fields())
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Draft saved; submit it when it is complete."))
            return redirect("resources:detail", pk=created.pk)
    return render(
        request,
        "resources/request_form.html",
        {"form": form, "deal": initial.get("opportunity"), "resource_request": None},
    )


@login_required
def request_edit(request, pk: int):
    resource_request = _visible(request, pk)
    data = request.POST if request.method == "POST" else None
    form = RequestForm(data, user=request.user, instance=resource_request)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_update(
                request=resource_request,
                by=request.user,
                version=form.cleaned_data["version"],
                **form.service_fields(),
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Request saved."))
            return redirect("resources:detail", pk=pk)
    return render(
        request,
        "resources/request_form.html",
        {"form": form, "deal": resource_request.opportunity, "resource_request": resource_request},
    )


def _detail_context(request, resource_request: ResourceRequest, **forms) -> dict:
    user = request.user
    actions = services.available_transitions(request=resource_request, user=user)
    context = {
        "resource_request": resource_request,
        "actions": actions,
        "factors": selectors.priority_factors(resource_request),
        "hours": selectors.request_hours(resource_request),
        "transitions": RequestTransition.objects.filter(request=resource_request)
        .select_related("by")
        .order_by("at", "pk"),
        "skills": list(resource_request.skills.all()),
        "attachments": list(resource_request.attachments.select_related("uploaded_by")),
        "can_attach": services.can_attach(user, resource_request),
        "can_edit": resource_request.status == S.DRAFT and S.SUBMITTED in actions,
    }
    if context["can_attach"]:
        context["attachment_form"] = forms.get("attachment_form") or AttachmentForm()
    if S.REJECTED in actions:
        context["reject_form"] = forms.get("reject_form") or ReasonForm(prefix="reject")
    if S.CANCELLED in actions:
        context["cancel_form"] = forms.get("cancel_form") or ReasonForm(
            prefix="cancel", required=resource_request.status != S.DRAFT
        )
    if S.EVALUATED in actions:
        context["evaluate_form"] = forms.get("evaluate_form") or EvaluateForm(
            initial={"version": resource_request.version}
        )
    return context


@login_required
def request_detail(request, pk: int):
    resource_request = _visible(request, pk)
    return render(
        request, "resources/request_detail.html", _detail_context(request, resource_request)
    )


@login_required
@require_POST
def request_action(request, pk: int, action: str):
    """Submit, approve, start or complete with a button; the refusal comes back as a message."""
    resource_request = _visible(request, pk)
    if action not in SIMPLE_ACTIONS:
        raise Http404
    _status, service, done = SIMPLE_ACTIONS[action]
    try:
        service(
            request=resource_request,
            by=request.user,
            note=request.POST.get("note", ""),
            version=_version(request),
        )
    except SERVICE_ERRORS as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    if request.POST.get("next") in RETURN_PAGES:
        return redirect(RETURN_PAGES[request.POST["next"]])
    return redirect("resources:detail", pk=pk)


def _error_text(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error)
    return " ".join(error.messages)


def _reason_action(request, pk: int, prefix: str, service, done: str, **options):
    resource_request = _visible(request, pk)
    form = ReasonForm(request.POST, prefix=prefix, **options)
    if form.is_valid():
        try:
            service(
                request=resource_request,
                by=request.user,
                reason=form.cleaned_data["reason"],
                version=_version(request),
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, done)
            return redirect("resources:detail", pk=pk)
    context = _detail_context(request, resource_request, **{f"{prefix}_form": form})
    return render(request, "resources/request_detail.html", context, status=400)


@login_required
@require_POST
def request_reject(request, pk: int):
    return _reason_action(request, pk, "reject", services.request_reject, _("Request rejected."))


@login_required
@require_POST
def request_cancel(request, pk: int):
    resource_request = _visible(request, pk)
    return _reason_action(
        request,
        pk,
        "cancel",
        services.request_cancel,
        _("Request cancelled."),
        required=resource_request.status != S.DRAFT,
    )


@login_required
@require_POST
def request_evaluate(request, pk: int):
    resource_request = _visible(request, pk)
    form = EvaluateForm(request.POST)
    if form.is_valid():
        try:
            services.request_evaluate(
                request=resource_request,
                by=request.user,
                rating=form.cleaned_data["rating"],
                tech_outcome=form.cleaned_data["tech_outcome"],
                comment=form.cleaned_data["comment"],
                version=form.cleaned_data["version"],
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Thank you: the support is rated."))
            return redirect("resources:detail", pk=pk)
    context = _detail_context(request, resource_request, evaluate_form=form)
    return render(request, "resources/request_detail.html", context, status=400)


# Attachments -----------------------------------------------------------------------------


@login_required
@require_POST
def attachment_add(request, pk: int):
    resource_request = _visible(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added = services.attachment_add(
                request=resource_request, by=request.user, files=form.cleaned_data["files"]
            )
        except DomainError as refusal:
            # Not this user's to do, or the request is closed: nothing to fix on the form.
            messages.error(request, _error_text(refusal))
            return redirect(f"{resolve_url('resources:detail', pk=pk)}#attachments")
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("%(count)s files attached.") % {"count": len(added)})
            return redirect(f"{resolve_url('resources:detail', pk=pk)}#attachments")
    context = _detail_context(request, resource_request, attachment_form=form)
    return render(request, "resources/request_detail.html", context, status=400)


def _attachment(request, pk: int, attachment_pk: int) -> RequestAttachment:
    resource_request = _visible(request, pk)
    return get_object_or_404(
        RequestAttachment.objects.select_related("request"),
        pk=attachment_pk,
        request=resource_request,
    )


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """A file of a request, to those who see the request: files are never public media."""
    attachment = _attachment(request, pk, attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


@login_required
@require_POST
def attachment_remove(request, pk: int, attachment_pk: int):
    attachment = _attachment(request, pk, attachment_pk)
    try:
        services.attachment_remove(attachment=attachment, by=request.user)
    except SERVICE_ERRORS as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("%(name)s removed.") % {"name": attachment.name})
    return redirect(f"{resolve_url('resources:detail', pk=pk)}#attachments")


# The lead's queue and dispatch -----------------------------------------------------------


def _require_lead(request) -> None:
    if not _is_lead(request.user):
        raise PermissionDenied


@login_required
def queue(request):
    _require_lead(request)
    requests = list(selectors.approval_queue(request.user))
    return render(
        request,
        "resources/queue.html",
        {
            "to_approve": [item for item in requests if item.status == S.SUBMITTED],
            "to_dispatch": [item for item in requests if item.status == S.APPROVED],
        },
    )


@login_required
@require_POST
def queue_approve(request):
    """Approve the checked requests; each one on its own, so that one refusal stops no other."""
    _require_lead(request)
    ids = [value for value in request.POST.getlist("requests") if value.isdigit()]
    approved, refused = 0, []
    for item in selectors.approval_queue(request.user).filter(pk__in=ids, status=S.SUBMITTED):
        try:
            services.request_approve(request=item, by=request.user)
        except SERVICE_ERRORS as error:
            refused.append(f"#{item.pk}: {_error_text(error)}")
        else:
            approved += 1
    if approved:
        messages.success(request, _("%(count)s requests approved.") % {"count": approved})
    if not ids:
        messages.warning(request, _("Check the requests to approve first."))
    for refusal in refused:
        messages.error(request, refusal)
    return redirect("resources:queue")


@login_required
def dispatch(request, pk: int):
    _require_lead(request)
    resource_request = _visible(request, pk)
    if resource_request.status != S.APPROVED:
        messages.error(request, _("Only an approved request is dispatched."))
        return redirect("resources:detail", pk=pk)
    suggestions = services.suggest_engineers(resource_request, by=request.user)
    data = request.POST if request.method == "POST" else None
    form = DispatchForm(data, request=resource_request, suggestions=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_dispatch(
                request=resource_request, by=request.user, **form.service_fields()
            )
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Request dispatched."))
            return redirect("resources:queue")
    return render(
        request,
        "resources/dispatch.html",
        {
            "resource_request": resource_request,
            "form": form,
            "rows": form.bound_rows(),
            "factors": selectors.priority_factors(resource_request),
        },
        status=400 if form.errors else 200,
    )


# The engineer's assignments --------------------------------------------------------------


def _my_assignments(user: User):
    return (
        Assignment.objects.filter(
            engineer__user=user,
            request__status__in=(S.DISPATCHED, S.IN_PROGRESS, S.DONE),
        )
        .select_related("request__opportunity__account", "request__requester")
        .annotate(logged=Sum("time_entries__hours"))
        .order_by("request__status", "start", "pk")
    )


@login_required
def assignments(request, log_form: TimeLogForm | None = None, log_for: int | None = None):
    mine = list(_my_assignments(request.user))
    actions = {
        item.pk: services.available_transitions(request=item.request, user=request.user)
        for item in mine
    }
    entries = {}
    for entry in TimeEntry.objects.filter(assignment__in=mine).order_by("-date", "-pk"):
        entries.setdefault(entry.assignment_id, []).append(entry)
    rows = []
    for item in mine:
        loggable = item.request.status in LOGGABLE_STATUSES
        form = None
        if loggable:
            form = (
                log_form
                if log_for == item.pk
                else TimeLogForm(prefix=f"log-{item.pk}", initial={"date": timezone.localdate()})
            )
        rows.append(
            {
                "assignment": item,
                "logged": item.logged or 0,
                "remaining": item.planned_hours - (item.logged or 0),
                "actions": actions[item.pk],
                "entries": entries.get(item.pk, []),
                "log_form": form,
            }
        )
    return render(
        request,
        "resources/assignments.html",
        {"rows": rows, "has_profile": EngineerProfile.objects.filter(user=request.user).exists()},
        status=400 if log_form is not None else 200,
    )


@login_required
@require_POST
def time_log(request, pk: int):
    assignment = get_object_or_404(Assignment, pk=pk, engineer__user=request.user)
    form = TimeLogForm(request.POST, prefix=f"log-{assignment.pk}")
    if form.is_valid():
        try:
            services.time_log(assignment=assignment, by=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request,
                _("%(hours)s hours logged on %(date)s.")
                % {"hours": form.cleaned_data["hours"], "date": form.cleaned_data["date"]},
            )
            return redirect("resources:assignments")
    return assignments(request, log_form=form, log_for=assignment.pk)


# Days off --------------------------------------------------------------------------------

DAYS_OFF_HISTORY = datetime.timedelta(days=90)


def _engineer(request, pk: int | None):
    """The engineer whose days off the user keeps (their own without pk); 404 otherwise."""
    if pk is None:
        return get_object_or_404(
            EngineerProfile.objects.select_related("user__team"), user=request.user
        )
    engineers = selectors.engineer_list_visible_to(request.user).select_related("user__team")
    return get_object_or_404(engineers, pk=pk)


def _days_off_page(request, engineer, form: DayOffForm | None = None, status: int = 200):
    since = timezone.localdate() - DAYS_OFF_HISTORY
    return render(
        request,
        "resources/days_off.html",
        {
            "engineer": engineer,
            "is_mine": engineer.user_id == request.user.pk,
            "is_lead": _is_lead(request.user),
            "form": form or DayOffForm(),
            "ranges": selectors.day_off_ranges(engineer, since=since),
            "since": since,
        },
        status=status,
    )


@login_required
def days_off(request, pk: int | None = None):
    engineer = _engineer(request, pk)
    if request.method != "POST":
        return _days_off_page(request, engineer)
    form = DayOffForm(request.POST)
    if form.is_valid():
        try:
            added = services.days_off_add(engineer=engineer, by=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("%(count)s working days off entered.") % {"count": len(added)}
            )
            return redirect("resources:days-off", pk=engineer.pk)
    return _days_off_page(request, engineer, form, status=400)


@login_required
@require_POST
def days_off_remove(request, pk: int):
    engineer = _engineer(request, pk)
    try:
        start = datetime.date.fromisoformat(request.POST.get("start", ""))
        end = datetime.date.fromisoformat(request.POST.get("end", ""))
    except ValueError:
        messages.error(request, _("Choose the days off to remove from the list."))
        return redirect("resources:days-off", pk=engineer.pk)
    try:
        removed = services.days_off_remove(engineer=engineer, by=request.user, start=start, end=end)
    except SERVICE_ERRORS as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("%(count)s days off removed.") % {"count": removed})
    return redirect("resources:days-off", pk=engineer.pk)


# Load and reports ------------------------------------------------------------------------


def _report_teams(user: User):
    if user.is_admin:
        return Team.objects.filter(is_active=True, parent__isnull=True).order_by("name")
    return user.led_teams.filter(is_active=True).order_by("path")


@login_required
def load(request):
    _require_lead(request)
    weeks = request.GET.get("weeks", "")
    weeks = min(int(weeks), 26) if weeks.isdigit() and int(weeks) > 0 else 6
    teams = list(_report_teams(request.user))
    # The teams below a led team are in its calendar already.
    top = [
        team
        for team in teams
        if not any(team.path.startswith(other.path) and team.pk != other.pk for other in teams)
    ]
    calendars = [{"team": team, **selectors.engineer_load(team=team, weeks=weeks)} for team in top]
    return render(request, "resources/load.html", {"calendars": calendars, "weeks": weeks})


def _period(request) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    default_start = today.replace(day=1) - datetime.timedelta(days=90)
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = default_start.replace(day=1)
    try:
        end = datetime.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


@login_required
def reports(request):
    _require_lead(request)
    start, end = _period(request)
    by_engineer = selectors.contribution_by_engineer(user=request.user, start=start, end=end)
    by_team = selectors.contribution_by_team(user=request.user, start=start, end=end)
    return render(
        request,
        "resources/reports.html",
        {
            "start": start,
            "end": end,
            "by_engineer": by_engineer,
            "by_team": by_team,
            **charts.contribution_charts(by_engineer),
        },
    )
