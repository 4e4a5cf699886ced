"""Forms of the deal-control pages: the dashboards' GET filters (period, team, rep, process),
the alert list's filters, the note of an acknowledgement and the recompute launcher. They check
the shape of what is asked; whether the user may see a team or rep is forecasting.selectors'
answer (scope_for), and every write is a service's."""

import re
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opportunities.models import SalesProcess
from salesops.forms import BootstrapFormMixin

from .choices import AlertKind, AlertStatus, JobKind, PeriodKind, Severity
from .periods import Period, add_months, period_containing

MONTHS_BACK, MONTHS_AHEAD = 12, 3
QUARTERS_BACK, QUARTERS_AHEAD = 6, 2
PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4]))$")
# "Not resolved" is what a manager works on; the other statuses are for looking back.
ACTIVE = "active"


def period_key(period: Period) -> str:
    """The value the period filter sends: 2025-06 for a month, 2025-Q2 for a quarter."""
    if period.kind == PeriodKind.MONTH:
        return f"{period.start:%Y-%m}"
    return f"{period.start.year}-Q{(period.start.month - 1) // 3 + 1}"


def period_label(period: Period) -> str:
    return period_key(period).replace("-Q", " Q")


def parse_period(value: str) -> Period | None:
    match = PERIOD_PATTERN.match(value or "")
    if not match or not 2000 <= int(match["year"]) <= 2100:
        return None
    year = int(match["year"])
    if match["quarter"]:
        month = 3 * (int(match["quarter"]) - 1) + 1
        return period_containing(PeriodKind.QUARTER, date(year, month, 1))
    month = int(match["month"])
    if not 1 <= month <= 12:
        return None
    return period_containing(PeriodKind.MONTH, date(year, month, 1))


def _periods(kind: str, today: date, back: int, ahead: int) -> list[Period]:
    size = 1 if kind == PeriodKind.MONTH else 3
    start = period_containing(kind, today).start
    return [
        period_containing(kind, add_months(start, step * size))
        for step in range(ahead, -back - 1, -1)
    ]


def period_choices(today: date) -> list:
    """Recent and coming months and quarters, grouped, newest first."""
    months = _periods(PeriodKind.MONTH, today, MONTHS_BACK, MONTHS_AHEAD)
    quarters = _periods(PeriodKind.QUARTER, today, QUARTERS_BACK, QUARTERS_AHEAD)
    return [
        (_("Months"), [(period_key(period), period_label(period)) for period in months]),
        (_("Quarters"), [(period_key(period), period_label(period)) for period in quarters]),
    ]


class ScopeFilterForm(BootstrapFormMixin, forms.Form):
    """Whose numbers: a team (with its subtree) or a rep, among those the user sees. Ids are
    plain numbers, not model choices: whether the user may see them is the selectors' answer
    (403 when not), and a choice field would tell anyone which ids exist."""

    team = forms.IntegerField(label=_("Team"), required=False, min_value=1)
    rep = forms.IntegerField(label=_("Rep"), required=False, min_value=1)

    def __init__(self, *args, teams=(), reps=(), default_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        default = default_label or _("My team")
        self.fields["team"].widget = forms.Select(
            choices=[("", default), *[(t.pk, _indented(t)) for t in teams]],
            attrs={"class": "form-select"},
        )
        self.fields["rep"].widget = forms.Select(
            choices=[("", _("Everyone")), *[(u.pk, u.get_full_name()) for u in reps]],
            attrs={"class": "form-select"},
        )
        # A rep's dashboard is their own: nothing to pick, but what is asked is still checked.
        self.offers_scope = bool(teams) or len(reps) > 1


def _indented(team) -> str:
    depth = getattr(team, "depth", 1) or 1
    return "\u2003" * (depth - 1) + team.name


class DashboardFilterForm(ScopeFilterForm):
    period = forms.CharField(label=_("Period"), required=False)
    process = forms.CharField(label=_("Sales process"), required=False)
    measure = forms.ChoiceField(
        label=_("Funnel by"),
        required=False,
        choices=[("amount", _("Amount")), ("count", _("Deals"))],
    )

    field_order = ["period", "team", "rep", "process", "measure"]

    def __init__(self, *args, processes=(), today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.processes = list(processes)
        self.fields["period"].widget = forms.Select(
            choices=[("", _("This month")), *period_choices(self.today)],
            attrs={"class": "form-select"},
        )
        self.fields["process"].widget = forms.Select(
            choices=[(p.code, p.name) for p in self.processes], attrs={"class": "form-select"}
        )

    def clean_period(self) -> Period:
        value = self.cleaned_data["period"]
        if not value:
            return period_containing(PeriodKind.MONTH, self.today)
        period = parse_period(value)
        if period is None:
            raise forms.ValidationError(
                _("Choose a month (2025-06) or a quarter (2025-Q2)."), code="invalid"
            )
        return period

    def clean_process(self) -> SalesProcess | None:
        code = self.cleaned_data["process"]
        if not code:
            return self.processes[0] if self.processes else None
        process = next((p for p in self.processes if p.code == code), None)
        if process is None:
            raise forms.ValidationError(_("There is no active sales process with this code."))
        return process

    def clean_measure(self) -> str:
        return self.cleaned_data["measure"] or "amount"


class AccuracyFilterForm(ScopeFilterForm):
    period_kind = forms.ChoiceField(label=_("Periods"), required=False, choices=PeriodKind.choices)
    field_order = ["period_kind", "team", "rep"]

    def clean_period_kind(self) -> str:
        return self.cleaned_data["period_kind"] or PeriodKind.MONTH


class AlertFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(ACTIVE, _("Not resolved")), ("", _("All statuses")), *AlertStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Rule"), required=False, choices=[("", _("All rules")), *AlertKind.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("All severities")), *Severity.choices],
    )

    def apply(self, alerts):
        if not self.is_valid():
            return alerts.none()
        data = self.cleaned_data
        if data["status"] == ACTIVE:
            alerts = alerts.exclude(status=AlertStatus.RESOLVED)
        elif data["status"]:
            alerts = alerts.filter(status=data["status"])
        if data["kind"]:
            alerts = alerts.filter(kind=data["kind"])
        if data["severity"]:
            alerts = alerts.filter(severity=data["severity"])
        return alerts


class AlertNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class RecomputeForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What to recompute"), choices=JobKind.choices, initial=JobKind.ALL
    )
