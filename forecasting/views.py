"""The deal-control pages (业务成交管控): the dashboard of a team, a rep or the company, the
alerts to acknowledge, the accuracy of past forecasts and the admins' "recompute now".

Every number comes from forecasting.selectors, which read the rows the background jobs store
(snapshots, forecasts, rep months, alerts): no page scans the pipeline. Who may see which scope
is the selectors' answer too (scope_for); acknowledging and resolving are forecasting.alerts'
services, starting a recompute forecasting.services'. The views read the filters, call them and
lay out what they answer; charts are built by forecasting.charts from the same dicts the tables
show.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from opportunities.models import SalesProcess
from salesops.choices import Role
from salesops.exceptions import DomainError, PermissionRefused
from salesops.forms import without_blanks
from salesops.models import Team

from . import charts, selectors
from .choices import AlertStatus, JobStatus, ScopeKind, SubjectKind
from .forms import (
    ACTIVE,
    AccuracyFilterForm,
    AlertFilterForm,
    AlertNoteForm,
    DashboardFilterForm,
    RecomputeForm,
    period_label,
)
from .models import Alert, JobRun

ALERTS_PER_PAGE = 25
DASHBOARD_ALERTS = 10
RECENT_RUNS = 15
ACCURACY_PERIODS = 6
RUNNING = (JobStatus.QUEUED, JobStatus.RUNNING)


# Scope ----------------------------------------------------------------------------------------


def _filter_choices(user) -> dict:
    """The teams and reps the filter form offers (a rep: only themselves)."""
    choices = selectors.scope_choices(user)
    return {
        "teams": choices["teams"],
        "reps": choices["reps"],
        "default_label": _("Whole company") if user.is_admin else _("My team"),
    }


def _scope(user, form):
    """The scope the filters ask for, or 403 when the user may not see it (404 when it does not
    exist), like any hidden record."""
    data = form.cleaned_data
    try:
        return selectors.scope_for(user, team_id=data.get("team"), owner_id=data.get("rep"))
    except PermissionRefused as error:
        raise PermissionDenied(str(error)) from error
    except DomainError as error:
        raise Http404(str(error)) from error


def _deals_url(scope, **params) -> str:
    """The open deals behind a number: the scope's, with the filters given."""
    if scope.kind == ScopeKind.TEAM:
        params["within_team"] = scope.team.pk
    elif scope.kind == ScopeKind.REP:
        params["owner"] = scope.owner.pk
    return _list_url(status="open", **params)


def _list_url(**params) -> str:
    return f"{reverse('opportunities:list')}?{urlencode(params)}"


def _scope_alerts(user, scope):
    """The alerts about the scope among those the user sees."""
    return selectors.alert_list_visible_to(user) & selectors.alerts_in_scope(scope)


def _with_relations(alerts):
    """Alerts as lists show them: most severe first, with what their rows link to."""
    return selectors.most_severe_first(alerts).select_related(
        "opportunity", "request", "team", "owner", "acknowledged_by"
    )


def _describe(alerts: list[Alert], user) -> list[Alert]:
    """Word each alert in the reader's language, find the page of its subject and say which
    buttons to offer (the services have the last word: a refusal comes back as a message)."""
    from .alerts import describe

    leads = user.is_admin or user.role in (Role.MANAGER, Role.PRESALES_LEAD)
    for alert in alerts:
        alert.text = describe(alert)
        alert.subject_label, alert.subject_url = _subject(alert)
        alert.offer_acknowledge = alert.status == AlertStatus.OPEN
        alert.offer_resolve = leads and alert.status != AlertStatus.RESOLVED
    return alerts


def _subject(alert: Alert) -> tuple[str, str | None]:
    if alert.opportunity_id:
        return alert.opportunity.name, reverse("opportunities:detail", args=[alert.opportunity_id])
    if alert.request_id:
        return (
            _("Request #%(number)s") % {"number": alert.request_id},
            reverse("resources:detail", args=[alert.request_id]),
        )
    dashboard = reverse("forecasting:dashboard")
    if alert.subject_kind == SubjectKind.TEAM and alert.team_id:
        return alert.team.name, f"{dashboard}?{urlencode({'team': alert.team_id})}"
    if alert.subject_kind == SubjectKind.REP and alert.owner_id:
        return alert.owner.get_full_name(), f"{dashboard}?{urlencode({'rep': alert.owner_id})}"
    if alert.owner_id:
        return alert.owner.get_full_name(), None
    if alert.team_id:
        return alert.team.name, None
    return alert.get_subject_kind_display(), None


# The dashboard --------------------------------------------------------------------------------


@login_required
def dashboard(request):
    """A manager's team subtree, a rep's own deals, the company for admins: the funnel, the
    coverage of the target, the forecast of each method and its trend, the open alerts and
    one scorecard per rep, for the period, team, rep and process chosen."""
    user = request.user
    processes = list(SalesProcess.objects.filter(is_active=True))
    form = DashboardFilterForm(
        without_blanks(request.GET), processes=processes, **_filter_choices(user)
    )
    if not form.is_valid():
        return render(request, "forecasting/dashboard.html", {"form": form}, status=400)
    scope = _scope(user, form)
    period, process, measure = (form.cleaned_data[key] for key in ("period", "process", "measure"))
    today = timezone.localdate()
    context = {
        "form": form,
        "scope": scope,
        "period": period,
        "period_label": period_label(period),
        "process": process,
        "is_executive": scope.kind == ScopeKind.COMPANY
        or (scope.kind == ScopeKind.TEAM and scope.team.depth == 1),
    }
    # The funnel is the open pipeline now, like the deal lists it drills down to; the period
    # chooses the forecasts, the coverage and the scorecards.
    funnel = selectors.funnel(scope, day=today, process_id=process.pk if process else None)
    context["funnel"] = funnel
    context["has_snapshots"] = funnel.get("day") is not None
    if context["has_snapshots"]:
        context.update(_figures(scope, period, funnel, measure))
    alerts = _scope_alerts(user, scope).filter(status=AlertStatus.OPEN)
    context["alerts"] = _describe(list(_with_relations(alerts)[:DASHBOARD_ALERTS]), user)
    context["alert_counts"] = selectors.alert_counts(scope)
    context["measure"] = measure
    context["measure_links"] = _measure_links(request)
    return render(request, "forecasting/dashboard.html", context)


SCORECARD_ROWS = 50


def _figures(scope, period, funnel: dict, measure: str) -> dict:
    kind, start = period.kind, period.start
    coverage = selectors.coverage(scope, period_kind=kind, period_start=start)
    summary = selectors.forecast_summary(scope, period_kind=kind, period_start=start)
    trend = selectors.forecast_trend(scope, period_kind=kind, period_start=start)
    cards = selectors.scorecards(scope, start=period.start, end=period.end)
    shown = cards
    if len(cards) > SCORECARD_ROWS:  # a region of hundreds: the biggest pipelines, the rest by team
        shown = sorted(cards, key=lambda row: row.get("pipeline") or 0, reverse=True)
        shown = shown[:SCORECARD_ROWS]
    pipeline_url = _deals_url(
        scope, close_after=period.start.isoformat(), close_before=period.end.isoformat()
    )
    trend_rows = [
        {"as_of": day, "values": [values[index] for values in trend.get("series", {}).values()]}
        for index, day in enumerate(trend.get("as_of", []))
    ]
    return {
        "coverage": coverage,
        "summary": summary,
        "trend": trend,
        "trend_methods": [charts.method_label(method) for method in trend.get("series", {})],
        "trend_rows": trend_rows,
        "scorecards": shown,
        "scorecards_total": len(cards),
        "team_rollup": _team_rollup(scope, cards),
        "pipeline_url": pipeline_url,
        "funnel_option": charts.funnel_option(funnel, measure=measure),
        "coverage_option": charts.coverage_option(coverage, pipeline_url=pipeline_url),
        "forecast_option": charts.forecast_option(summary),
        "trend_option": charts.trend_option(trend),
        "scorecard_option": charts.scorecard_option(shown),
    }


def _measure_links(request) -> dict:
    links = {}
    for measure in ("amount", "count"):
        query = request.GET.copy()
        query["measure"] = measure
        links[measure] = f"?{query.urlencode()}"
    return links


def _team_rollup(scope, cards: list[dict]) -> list[dict]:
    """For the company or a team with teams below it: the scorecards summed per team one level
    down (the executive view). Empty for a rep or a team without sub-teams."""
    if scope.kind == ScopeKind.REP or not cards:
        return []
    prefix = "" if scope.kind == ScopeKind.COMPANY else scope.team.path
    length = len(prefix) + Team.steplen
    groups = {}
    for row in cards:
        path = row["team"].path if row.get("team") else ""
        key = path[:length] if len(path) >= length else prefix
        group = groups.setdefault(
            key, {"reps": 0, "pipeline": 0, "weighted": 0, "won": 0, "alerts": 0}
        )
        group["reps"] += 1
        group["pipeline"] += row.get("pipeline") or 0
        group["weighted"] += row.get("weighted_pipeline") or 0
        group["won"] += row.get("won_amount") or 0
        group["alerts"] += row.get("open_alerts") or 0
    if len(groups) <= 1:
        return []
    teams = {team.path: team for team in Team.objects.filter(path__in=list(groups))}
    rollup = []
    for key, group in sorted(groups.items()):
        team = teams.get(key)
        if team is None:
            continue
        group["team"] = team
        group["url"] = f"{reverse('forecasting:dashboard')}?{urlencode({'team': team.pk})}"
        group["deals_url"] = _list_url(status="open", within_team=team.pk)
        rollup.append(group)
    return rollup


# Alerts ---------------------------------------------------------------------------------------


@login_required
def alert_list(request):
    query = without_blanks(request.GET)
    if "status" not in request.GET:
        query["status"] = ACTIVE
    form = AlertFilterForm(query)
    alerts = form.apply(_with_relations(selectors.alert_list_visible_to(request.user)))
    page = Paginator(alerts, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _describe(list(page.object_list), request.user)
    query.pop("page", None)
    return render(
        request,
        "forecasting/alerts.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=200 if form.is_valid() else 400,
    )


HOME_ALERTS = 5


@login_required
def home_alerts(request):
    """The home page's card: the first open alerts the user sees and how many there are."""
    alerts = selectors.alert_list_visible_to(request.user).filter(status=AlertStatus.OPEN)
    first = _describe(list(_with_relations(alerts)[:HOME_ALERTS]), request.user)
    total = len(first) if len(first) < HOME_ALERTS else alerts.count()
    return render(request, "forecasting/_home_alerts.html", {"alerts": first, "total": total})


ALERT_ACTIONS = {
    "acknowledge": ("alert_acknowledge", gettext_lazy("Alert acknowledged.")),
    "resolve": ("alert_resolve", gettext_lazy("Alert resolved.")),
}


@login_required
@require_POST
def alert_action(request, pk: int, action: str):
    """Acknowledge or resolve an alert with an optional note. From the dashboard or the alert
    list (htmx) the row comes back, with the answer in it; a plain post returns to the page."""
    from . import alerts as alert_services

    if action not in ALERT_ACTIONS:
        raise Http404
    alert = get_object_or_404(_with_relations(selectors.alert_list_visible_to(request.user)), pk=pk)
    service_name, done = ALERT_ACTIONS[action]
    form = AlertNoteForm(request.POST)
    error = None
    if not form.is_valid():
        error = " ".join(message for messages_ in form.errors.values() for message in messages_)
    else:
        try:
            getattr(alert_services, service_name)(
                alert=alert, by=request.user, note=form.cleaned_data["note"]
            )
        except DomainError as refusal:
            error = str(refusal)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, str(done))
        return redirect(_safe_next(request))
    alert = _with_relations(Alert.objects.all()).get(pk=alert.pk)
    _describe([alert], request.user)
    context = {
        "alert": alert,
        "feedback": error or str(done),
        "failed": bool(error),
        "next_url": _safe_next(request),
    }
    return render(request, "forecasting/_alert_row.html", context)


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("forecasting:alerts")


# Forecast accuracy ----------------------------------------------------------------------------


@login_required
def accuracy(request):
    """Per method, what it forecast for each past period against what was booked, and the
    mean absolute percentage error over those periods."""
    user = request.user
    form = AccuracyFilterForm(without_blanks(request.GET), **_filter_choices(user))
    if not form.is_valid():
        return render(request, "forecasting/accuracy.html", {"form": form}, status=400)
    scope = _scope(user, form)
    data = selectors.forecast_accuracy(
        scope, period_kind=form.cleaned_data["period_kind"], periods=ACCURACY_PERIODS
    )
    methods = list(data.get("mape", {}))
    rows = [
        {
            "period_start": row["period_start"],
            "actual": row.get("actual"),
            "cells": [row.get("forecasts", {}).get(method) or {} for method in methods],
        }
        for row in data.get("rows", [])
    ]
    context = {
        "form": form,
        "scope": scope,
        "methods": [{"method": m, "label": charts.method_label(m)} for m in methods],
        "rows": rows,
        "mape": [data["mape"][method] for method in methods],
        "accuracy_option": charts.accuracy_option(data),
    }
    return render(request, "forecasting/accuracy.html", context)


# Recompute now (admins) -----------------------------------------------------------------------


def _require_admin(request) -> None:
    if not request.user.is_admin:
        raise PermissionDenied


@login_required
def recompute(request):
    """Start a recompute by hand, then follow its progress; the last runs below."""
    _require_admin(request)
    form = RecomputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from .services import job_run_start

        try:
            run = job_run_start(kind=form.cleaned_data["kind"], by=request.user)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Recompute started."))
            return redirect(f"{reverse('forecasting:recompute')}?{urlencode({'run': run.pk})}")
    runs = list(JobRun.objects.select_related("started_by")[:RECENT_RUNS])
    run_id = request.GET.get("run", "")
    current = None
    if run_id.isdigit():
        current = JobRun.objects.filter(pk=run_id).first()
    elif runs and runs[0].status in RUNNING:
        current = runs[0]
    context = {"form": form, "runs": runs, "run": current}
    status = 400 if request.method == "POST" else 200
    return render(request, "forecasting/recompute.html", context, status=status)


@login_required
def recompute_progress(request, pk: int):
    """The small partial the recompute page polls until the run is done or failed."""
    _require_admin(request)
    run = get_object_or_404(JobRun, pk=pk)
    return render(request, "forecasting/_job_progress.html", {"run": run})
