"""Anomaly alerts (DESIGN.md §1.7): one rule per AlertKind, and the services that write Alert.

Each rule has
- a list of parameters (`Param`): the thresholds an admin edits on the AlertRule row, each
  with its type, default, bounds, label and help;
- a default severity;
- a `find(rule, params, today, opportunity_ids)` that returns `Finding`s: what is wrong now,
  under a de-duplication key, with the numbers in `facts`. Every finder is one or a few
  set-based queries, whatever the size of the pipeline;
- a describer that words the facts in the reader's language when the alert is shown
  (`describe(alert)`), so that an alert found at night reads right in Chinese and English.

The services are the only writers of Alert:
- `alerts_scan()` runs the active rules and reconciles what they find with the stored alerts:
  it opens new ones, refreshes those still found (keeping their status), and resolves those
  whose condition has cleared (`resolved_by` empty). A second scan on the same data changes
  nothing; `last_seen_at` moves only when what a rule found about an alert changed.
- `alert_acknowledge()` and `alert_resolve()`: people working the alerts.
- `alert_rule_update()`: admins switching rules and editing thresholds.
"""

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from salesops.choices import Role
from salesops.exceptions import DomainError, PermissionRefused
from salesops.selectors import can_manage_team, can_manage_user

from .choices import AlertKind, AlertStatus, ForecastMethod, PeriodKind, ScopeKind, Severity
from .choices import SubjectKind as Subject
from .models import Alert, AlertRule
from .periods import QUARTER, period_bounds

K = AlertKind
INT, DECIMAL = "int", "decimal"


class AlertRefused(DomainError):
    """An alert cannot take this step (e.g. it is already resolved)."""


# Parameters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One threshold of a rule, as the admin form shows it and `params_clean` checks it."""

    name: str
    type: str  # INT or DECIMAL
    default: int | Decimal
    label: str
    help: str = ""
    min: int | Decimal = 0
    max: int | Decimal | None = None

    def parse(self, value) -> int | Decimal:
        """The value as this parameter's type; ValidationError with the message to show."""
        if isinstance(value, bool) or value is None or value == "":
            raise ValidationError(_("Enter a number."))
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise ValidationError(_("Enter a number.")) from None
        if not number.is_finite():
            raise ValidationError(_("Enter a number."))
        if self.type == INT:
            if number != number.to_integral_value():
                raise ValidationError(_("Enter a whole number."))
            number = int(number)
        if number < self.min:
            raise ValidationError(
                _("Enter a value of at least %(min)s.") % {"min": _plain(self.min)}
            )
        if self.max is not None and number > self.max:
            raise ValidationError(
                _("Enter a value of at most %(max)s.") % {"max": _plain(self.max)}
            )
        return number

    def to_json(self, value: int | Decimal):
        return value if self.type == INT else _plain(value)


def _plain(value) -> str:
    """A Decimal without exponent or trailing zeros: 1000000, 1.5, 0."""
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(value).normalize(), "f")
    return text


@dataclass(frozen=True)
class Finding:
    """What a rule found about one subject. `facts` holds JSON-ready numbers and names."""

    dedup_key: str
    subject_kind: str
    facts: dict
    opportunity_id: int | None = None
    request_id: int | None = None
    team_id: int | None = None
    owner_id: int | None = None


Finder = Callable[[AlertRule, dict, datetime.date, list[int] | None], list[Finding]]


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    subject_kind: str
    severity: str
    params: tuple[Param, ...]
    find: Finder
    describe: Callable[[dict, Alert], str] = field(repr=False)

    @property
    def is_about_opportunities(self) -> bool:
        return self.subject_kind == Subject.OPPORTUNITY

    def defaults(self) -> dict:
        return {param.name: param.to_json(param.default) for param in self.params}


RULES: dict[str, RuleSpec] = {}


def rule_spec(kind: str) -> RuleSpec:
    return RULES[kind]


def params_clean(kind: str, raw: dict | None) -> dict:
    """The thresholds of a rule checked against its parameter list, missing ones defaulted,
    as stored in AlertRule.params. ValidationError keyed by parameter name ("params" for
    names the rule does not have)."""
    spec = RULES[kind]
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ValidationError({"params": _("The thresholds must be a mapping of names to values.")})
    errors = {}
    known = {param.name for param in spec.params}
    unknown = sorted(set(raw) - known)
    if unknown:
        errors["params"] = _("This rule has no threshold %(names)s.") % {
            "names": ", ".join(unknown)
        }
    cleaned = {}
    for param in spec.params:
        if param.name not in raw:
            cleaned[param.name] = param.to_json(param.default)
            continue
        try:
            cleaned[param.name] = param.to_json(param.parse(raw[param.name]))
        except ValidationError as error:
            errors[param.name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def rule_params(rule: AlertRule) -> dict:
    """The thresholds a scan uses: the stored ones, typed; a missing or broken value (data
    edited around the service) falls back to the default."""
    stored = rule.params if isinstance(rule.params, dict) else {}
    values = {}
    for param in RULES[rule.kind].params:
        try:
            values[param.name] = param.parse(stored[param.name])
        except (KeyError, ValidationError):
            values[param.name] = param.default
    return values


# Wording helpers -------------------------------------------------------------------------


def _names(obj_or_row, prefix: str = "name") -> dict:
    """A bilingual name stored in facts: {"en": ..., "zh": ...}."""
    if isinstance(obj_or_row, dict):
        return {"en": obj_or_row[f"{prefix}_en"], "zh": obj_or_row[f"{prefix}_zh"]}
    return {"en": getattr(obj_or_row, f"{prefix}_en"), "zh": getattr(obj_or_row, f"{prefix}_zh")}


def _localized(names: dict | str | None) -> str:
    if isinstance(names, str):
        return names
    names = names or {}
    if (get_language() or "en").lower().startswith("zh") and names.get("zh"):
        return names["zh"]
    return names.get("en", "")


def _number(value, places: int = 0) -> str:
    """A figure with thousands grouped; whole numbers without decimals."""
    number = Decimal(str(value))
    if places == 0 or number == number.to_integral_value():
        number = number.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return formats.number_format(number, decimal_pos=0, force_grouping=True)
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(number, decimal_pos=places, force_grouping=True)


def _date(text: str) -> str:
    return formats.date_format(datetime.date.fromisoformat(text), "DATE_FORMAT")


def _money(value) -> str:
    return _number(value, 0)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


# The rules -------------------------------------------------------------------------------


def _open_deals(opportunity_ids: list[int] | None):
    from opportunities.choices import OpportunityStatus
    from opportunities.models import Opportunity

    deals = Opportunity.objects.filter(status=OpportunityStatus.OPEN)
    if opportunity_ids is not None:
        deals = deals.filter(pk__in=opportunity_ids)
    return deals


DEAL_FIELDS = ("pk", "owner_id", "team_id")


def _deal_finding(kind: str, row: dict, facts: dict) -> Finding:
    return Finding(
        dedup_key=f"{kind}:opportunity:{row['pk']}",
        subject_kind=Subject.OPPORTUNITY,
        opportunity_id=row["pk"],
        team_id=row["team_id"],
        owner_id=row["owner_id"],
        facts=facts,
    )


# Stalled in stage


def find_stalled(rule, params, today, opportunity_ids):
    """Open deals longer in their stage than the stage's 80th percentile (of the deal's team,
    else company-wide) times `factor`."""
    from forecasting.statistics import stage_norms

    rows = _open_deals(opportunity_ids).values(
        *DEAL_FIELDS,
        "process_id",
        "stage_id",
        "stage_entered_at",
        "stage__name_en",
        "stage__name_zh",
    )
    norms: dict[tuple[int, int], dict] = {}
    findings = []
    for row in rows:
        scope = (row["process_id"], row["team_id"])
        if scope not in norms:
            norms[scope] = stage_norms(process_id=row["process_id"], team_id=row["team_id"])
        statistic = norms[scope].get(row["stage_id"])
        if statistic is None or statistic.p80_days is None:
            continue
        days = (today - _local_day(row["stage_entered_at"])).days
        if days > Decimal(statistic.p80_days) * params["factor"]:
            facts = {
                "stage": _names(row, "stage__name"),
                "days": days,
                "p80_days": _plain(Decimal(statistic.p80_days)),
                "factor": _plain(params["factor"]),
            }
            findings.append(_deal_finding(K.STALLED, row, facts))
    return findings


def describe_stalled(facts, alert):
    text = ngettext(
        "In %(stage)s for %(days)s day; 80%% of deals leave it within %(p80)s days.",
        "In %(stage)s for %(days)s days; 80%% of deals leave it within %(p80)s days.",
        facts["days"],
    ) % {
        "stage": _localized(facts["stage"]),
        "days": _number(facts["days"]),
        "p80": _number(facts["p80_days"], 1),
    }
    if Decimal(facts["factor"]) != 1:
        text += " " + gettext("This rule fires beyond %(limit)s days.") % {
            "limit": _number(Decimal(facts["p80_days"]) * Decimal(facts["factor"]), 1)
        }
    return text


# Sales stage out of step with the customer


def find_stage_gap(rule, params, today, opportunity_ids):
    """Open deals whose sales stage is `stages` or more ahead of or behind the customer's."""
    gap = params["stages"]
    rows = (
        _open_deals(opportunity_ids)
        .annotate(gap=F("stage__order") - F("customer_stage__order"))
        .filter(Q(gap__gte=gap) | Q(gap__lte=-gap))
        .values(
            *DEAL_FIELDS,
            "gap",
            "stage__order",
            "stage__name_en",
            "stage__name_zh",
            "customer_stage__order",
            "customer_stage__customer_name_en",
            "customer_stage__customer_name_zh",
        )
    )
    return [
        _deal_finding(
            K.STAGE_GAP,
            row,
            {
                "stage": _names(row, "stage__name"),
                "stage_order": row["stage__order"],
                "customer_stage": _names(row, "customer_stage__customer_name"),
                "customer_stage_order": row["customer_stage__order"],
                "gap": row["gap"],
            },
        )
        for row in rows
    ]


def describe_stage_gap(facts, alert):
    gap = abs(facts["gap"])
    args = {
        "stage": _localized(facts["stage"]),
        "order": facts["stage_order"],
        "customer": _localized(facts["customer_stage"]),
        "customer_order": facts["customer_stage_order"],
        "gap": gap,
    }
    if facts["gap"] > 0:
        return (
            ngettext(
                "Sales stage %(order)s (%(stage)s) is %(gap)s stage ahead of the customer's "
                "stage %(customer_order)s (%(customer)s): the deal may be over-reported.",
                "Sales stage %(order)s (%(stage)s) is %(gap)s stages ahead of the customer's "
                "stage %(customer_order)s (%(customer)s): the deal may be over-reported.",
                gap,
            )
            % args
        )
    return (
        ngettext(
            "The customer is at stage %(customer_order)s (%(customer)s), %(gap)s stage ahead "
            "of our sales stage %(order)s (%(stage)s): we came in late or the deal lags.",
            "The customer is at stage %(customer_order)s (%(customer)s), %(gap)s stages ahead "
            "of our sales stage %(order)s (%(stage)s): we came in late or the deal lags.",
            gap,
        )
        % args
    )


# Stage skipped without override


def find_stage_skipped(rule, params, today, opportunity_ids):
    """Open deals that jumped over stages without a manager's override and are still past a
    skipped stage whose required milestones are not all checked. Catching up (checking those
    milestones) or moving back into the skipped stages clears the alert."""
    from opportunities.choices import OpportunityStatus, StageChangeKind
    from opportunities.models import Milestone, MilestoneCheck, Stage, StageChange

    skips = StageChange.objects.filter(
        opportunity__status=OpportunityStatus.OPEN,
        kind__in=(StageChangeKind.SKIP, StageChangeKind.ADVANCE),
        override_reason="",
        from_stage__isnull=False,
        to_stage__order__gt=F("from_stage__order") + 1,
    )
    if opportunity_ids is not None:
        skips = skips.filter(opportunity_id__in=opportunity_ids)
    skips = list(
        skips.values(
            "opportunity_id",
            "opportunity__owner_id",
            "opportunity__team_id",
            "opportunity__process_id",
            "opportunity__stage__order",
            "from_stage__order",
            "from_stage__name_en",
            "from_stage__name_zh",
            "to_stage__order",
            "to_stage__name_en",
            "to_stage__name_zh",
            "changed_at",
        ).order_by("opportunity_id", "changed_at", "pk")
    )
    if not skips:
        return []
    process_ids = {skip["opportunity__process_id"] for skip in skips}
    deal_ids = {skip["opportunity_id"] for skip in skips}
    stages = {
        (row["process_id"], row["order"]): row
        for row in Stage.objects.filter(process_id__in=process_ids).values(
            "pk", "process_id", "order", "name_en", "name_zh"
        )
    }
    required = defaultdict(set)
    for milestone_id, stage_id in Milestone.objects.filter(
        stage__process_id__in=process_ids, is_required=True
    ).values_list("pk", "stage_id"):
        required[stage_id].add(milestone_id)
    checked = defaultdict(set)
    for deal_id, milestone_id in MilestoneCheck.objects.filter(
        opportunity_id__in=deal_ids, is_checked=True
    ).values_list("opportunity_id", "milestone_id"):
        checked[deal_id].add(milestone_id)

    by_deal: dict[int, dict] = {}
    for skip in skips:
        deal_id, process_id = skip["opportunity_id"], skip["opportunity__process_id"]
        current = skip["opportunity__stage__order"]
        behind = [
            stages[(process_id, order)]
            for order in range(skip["from_stage__order"] + 1, skip["to_stage__order"])
            if order < current and (process_id, order) in stages
        ]
        missing = {
            stage["order"]: len(required[stage["pk"]] - checked[deal_id])
            for stage in behind
            if required[stage["pk"]] - checked[deal_id]
        }
        if not missing:
            continue
        found = by_deal.setdefault(
            deal_id,
            {
                "row": {
                    "pk": deal_id,
                    "owner_id": skip["opportunity__owner_id"],
                    "team_id": skip["opportunity__team_id"],
                },
                "missing": {},
                "stages": {},
            },
        )
        # The latest unoverridden skip is the one the explanation names.
        found["skip"] = skip
        found["missing"].update(missing)
        for stage in behind:
            if stage["order"] in missing:
                found["stages"][stage["order"]] = _names(stage)
    findings = []
    for found in by_deal.values():
        skip = found["skip"]
        facts = {
            "from_stage": _names(skip, "from_stage__name"),
            "to_stage": _names(skip, "to_stage__name"),
            "on": _local_day(skip["changed_at"]).isoformat(),
            "skipped": [found["stages"][order] for order in sorted(found["stages"])],
            "missing_milestones": sum(found["missing"].values()),
        }
        findings.append(_deal_finding(K.STAGE_SKIPPED, found["row"], facts))
    return findings


def describe_stage_skipped(facts, alert):
    return gettext(
        "Moved from %(from)s to %(to)s on %(date)s without a manager's override; "
        "%(missing)s required milestones of the skipped stages (%(skipped)s) are unchecked."
    ) % {
        "from": _localized(facts["from_stage"]),
        "to": _localized(facts["to_stage"]),
        "date": _date(facts["on"]),
        "missing": facts["missing_milestones"],
        "skipped": ", ".join(_localized(names) for names in facts["skipped"]),
    }


# Close date slipping or past due


def find_close_date_slipping(rule, params, today, opportunity_ids):
    """Open deals whose expected close date was pushed later `pushes` times or more within the
    last `within_days` days, or has passed."""
    from opportunities.choices import TrackedField
    from opportunities.models import OpportunityChange

    since = _day_start(today - datetime.timedelta(days=params["within_days"] - 1))
    # Dates are stored as ISO text, so "later" compares as text.
    pushes = (
        OpportunityChange.objects.filter(
            opportunity=OuterRef("pk"),
            field=TrackedField.CLOSE_DATE,
            changed_at__gte=since,
            new_value__gt=F("old_value"),
        )
        .exclude(old_value="")
        .values("opportunity")
        .annotate(count=Count("pk"))
        .values("count")
    )
    rows = (
        _open_deals(opportunity_ids)
        .annotate(pushes=Coalesce(Subquery(pushes[:1]), Value(0)))
        .filter(Q(pushes__gte=params["pushes"]) | Q(expected_close_date__lt=today))
        .values(*DEAL_FIELDS, "pushes", "expected_close_date")
    )
    return [
        _deal_finding(
            K.CLOSE_DATE_SLIPPING,
            row,
            {
                "close_date": row["expected_close_date"].isoformat(),
                "pushes": row["pushes"],
                "min_pushes": params["pushes"],
                "within_days": params["within_days"],
                "days_past_due": max((today - row["expected_close_date"]).days, 0),
            },
        )
        for row in rows
    ]


def describe_close_date_slipping(facts, alert):
    parts = []
    if facts["pushes"] >= facts["min_pushes"]:
        parts.append(
            ngettext(
                "The close date was pushed back %(pushes)s time in the last %(days)s days "
                "(now %(date)s).",
                "The close date was pushed back %(pushes)s times in the last %(days)s days "
                "(now %(date)s).",
                facts["pushes"],
            )
            % {
                "pushes": facts["pushes"],
                "days": facts["within_days"],
                "date": _date(facts["close_date"]),
            }
        )
    if facts["days_past_due"] > 0:
        parts.append(
            ngettext(
                "The close date %(date)s passed %(days)s day ago; the deal is still open.",
                "The close date %(date)s passed %(days)s days ago; the deal is still open.",
                facts["days_past_due"],
            )
            % {"date": _date(facts["close_date"]), "days": _number(facts["days_past_due"])}
        )
    return " ".join(parts)


# Amount dropped


def find_amount_dropped(rule, params, today, opportunity_ids):
    """Open deals whose amount is `percent` % or more below the highest amount in their
    history."""
    from opportunities.choices import TrackedField
    from opportunities.models import OpportunityChange

    changes = OpportunityChange.objects.filter(
        field=TrackedField.AMOUNT, opportunity__in=_open_deals(opportunity_ids)
    )
    rows = list(
        _open_deals(opportunity_ids)
        .filter(pk__in=changes.values("opportunity_id"))
        .values(*DEAL_FIELDS, "amount", "currency")
    )
    if not rows:
        return []
    peaks: dict[int, Decimal] = {}
    for deal_id, *values in changes.values_list("opportunity_id", "old_value", "new_value"):
        for value in values:
            try:
                amount = Decimal(value)
            except (InvalidOperation, ValueError):
                continue
            if amount.is_finite() and amount > peaks.get(deal_id, Decimal(0)):
                peaks[deal_id] = amount
    findings = []
    for row in rows:
        peak = peaks.get(row["pk"])
        if not peak or row["amount"] >= peak:
            continue
        drop = (peak - row["amount"]) * 100 / peak
        if drop >= params["percent"]:
            facts = {
                "amount": _plain(row["amount"]),
                "peak": _plain(peak),
                "currency": row["currency"],
                "drop_percent": _plain(drop.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
                "limit_percent": _plain(params["percent"]),
            }
            findings.append(_deal_finding(K.AMOUNT_DROPPED, row, facts))
    return findings


def describe_amount_dropped(facts, alert):
    return gettext(
        "The amount fell to %(amount)s %(currency)s from a high of %(peak)s, down %(drop)s%%."
    ) % {
        "amount": _money(facts["amount"]),
        "currency": facts["currency"],
        "peak": _money(facts["peak"]),
        "drop": _number(facts["drop_percent"], 1),
    }


# No recent activity


def find_no_activity(rule, params, today, opportunity_ids):
    """Open deals from stage `from_stage_order` on with no activity logged for `days` days
    (counted from the deal's creation when it has none)."""
    cutoff = today - datetime.timedelta(days=params["days"])
    rows = (
        _open_deals(opportunity_ids)
        .filter(stage__order__gte=params["from_stage_order"])
        .filter(
            Q(last_activity_on__lte=cutoff)
            | Q(
                last_activity_on__isnull=True,
                created_at__lt=_day_start(cutoff + datetime.timedelta(days=1)),
            )
        )
        .values(*DEAL_FIELDS, "last_activity_on", "created_at")
    )
    findings = []
    for row in rows:
        since = row["last_activity_on"] or _local_day(row["created_at"])
        facts = {
            "days": (today - since).days,
            "limit_days": params["days"],
            "last_activity": row["last_activity_on"].isoformat()
            if row["last_activity_on"]
            else None,
        }
        findings.append(_deal_finding(K.NO_ACTIVITY, row, facts))
    return findings


def describe_no_activity(facts, alert):
    if facts["last_activity"]:
        return gettext(
            "No activity logged for %(days)s days (the last on %(date)s); the limit is "
            "%(limit)s days."
        ) % {
            "days": _number(facts["days"]),
            "date": _date(facts["last_activity"]),
            "limit": facts["limit_days"],
        }
    return gettext(
        "No activity logged since the deal was opened %(days)s days ago; the limit is "
        "%(limit)s days."
    ) % {"days": _number(facts["days"]), "limit": facts["limit_days"]}


# Single-threaded decision chain


def find_single_threaded(rule, params, today, opportunity_ids):
    """Open deals from stage `from_stage_order` on whose decision chain has at most one mapped
    contact, or no champion or supporter among the high-influence people: the set-based form
    of opportunities.selectors.decision_chain_gaps."""
    from accounts.choices import Attitude, Influence

    supporter = Q(
        decision_chain__influence=Influence.HIGH,
        decision_chain__attitude__in=(Attitude.CHAMPION, Attitude.SUPPORTER),
    )
    rows = (
        _open_deals(opportunity_ids)
        .filter(stage__order__gte=params["from_stage_order"])
        .annotate(
            contacts=Count("decision_chain", distinct=True),
            supporters=Count("decision_chain", filter=supporter, distinct=True),
        )
        .filter(Q(contacts__lte=1) | Q(supporters=0))
        .values(*DEAL_FIELDS, "contacts", "supporters", "stage__name_en", "stage__name_zh")
    )
    return [
        _deal_finding(
            K.SINGLE_THREADED,
            row,
            {
                "stage": _names(row, "stage__name"),
                "contacts": row["contacts"],
                "high_supporters": row["supporters"],
            },
        )
        for row in rows
    ]


def describe_single_threaded(facts, alert):
    return gettext(
        "In %(stage)s the deal hangs on too few people: mapped contacts %(contacts)s, "
        "champions or supporters among the high-influence people %(supporters)s."
    ) % {
        "stage": _localized(facts["stage"]),
        "contacts": facts["contacts"],
        "supporters": facts["high_supporters"],
    }


# Big deal without presales


def find_no_presales(rule, params, today, opportunity_ids):
    """Open deals of `min_amount` or more, from stage `from_stage_order` on, without a
    resource request that is still standing (anything but cancelled or rejected)."""
    from resources.choices import RequestStatus
    from resources.models import ResourceRequest

    standing = ResourceRequest.objects.filter(opportunity=OuterRef("pk")).exclude(
        status__in=(RequestStatus.CANCELLED, RequestStatus.REJECTED)
    )
    rows = (
        _open_deals(opportunity_ids)
        .filter(amount__gte=params["min_amount"], stage__order__gte=params["from_stage_order"])
        .filter(~Exists(standing))
        .values(*DEAL_FIELDS, "amount", "currency", "stage__name_en", "stage__name_zh")
    )
    return [
        _deal_finding(
            K.NO_PRESALES,
            row,
            {
                "stage": _names(row, "stage__name"),
                "amount": _plain(row["amount"]),
                "currency": row["currency"],
                "min_amount": _plain(params["min_amount"]),
            },
        )
        for row in rows
    ]


def describe_no_presales(facts, alert):
    return gettext(
        "A deal of %(amount)s %(currency)s in %(stage)s has no presales support requested "
        "(from %(min)s on, big deals should have it)."
    ) % {
        "amount": _money(facts["amount"]),
        "currency": facts["currency"],
        "stage": _localized(facts["stage"]),
        "min": _money(facts["min_amount"]),
    }


# Resource request waiting beyond SLA


def find_request_waiting(rule, params, today, opportunity_ids):
    """Requests submitted and not approved within `approve_hours`, or approved and not
    dispatched within `dispatch_hours`. A request that moves on clears its alert; waiting
    too long in the next step raises another one."""
    from resources.choices import RequestStatus
    from resources.models import ResourceRequest

    now = _scan_now(today)
    rows = ResourceRequest.objects.filter(
        Q(
            status=RequestStatus.SUBMITTED,
            submitted_at__lte=now - datetime.timedelta(hours=params["approve_hours"]),
        )
        | Q(
            status=RequestStatus.APPROVED,
            approved_at__lte=now - datetime.timedelta(hours=params["dispatch_hours"]),
        )
    ).values(
        "pk",
        "status",
        "submitted_at",
        "approved_at",
        "requester_id",
        "opportunity_id",
        "opportunity__team_id",
    )
    findings = []
    for row in rows:
        submitted = row["status"] == RequestStatus.SUBMITTED
        since = row["submitted_at"] if submitted else row["approved_at"]
        findings.append(
            Finding(
                dedup_key=f"{K.REQUEST_WAITING}:request:{row['pk']}:{row['status']}",
                subject_kind=Subject.REQUEST,
                request_id=row["pk"],
                opportunity_id=row["opportunity_id"],
                team_id=row["opportunity__team_id"],
                owner_id=row["requester_id"],
                facts={
                    "status": row["status"],
                    "since": since.isoformat(),
                    "sla_hours": params["approve_hours" if submitted else "dispatch_hours"],
                },
            )
        )
    return findings


def describe_request_waiting(facts, alert):
    """Hours are counted up to now (or to when the alert was resolved)."""
    since = datetime.datetime.fromisoformat(facts["since"])
    end = alert.resolved_at if alert is not None and alert.resolved_at else timezone.now()
    hours = max(int((end - since).total_seconds() // 3600), 0)
    args = {
        "hours": _number(hours),
        "since": formats.date_format(timezone.localtime(since), "SHORT_DATETIME_FORMAT"),
        "sla": facts["sla_hours"],
    }
    if facts["status"] == "submitted":
        return (
            ngettext(
                "Submitted %(since)s and waiting for approval for %(hours)s hour; the target "
                "is %(sla)s hours.",
                "Submitted %(since)s and waiting for approval for %(hours)s hours; the target "
                "is %(sla)s hours.",
                hours,
            )
            % args
        )
    return (
        ngettext(
            "Approved %(since)s and waiting for dispatch for %(hours)s hour; the target is "
            "%(sla)s hours.",
            "Approved %(since)s and waiting for dispatch for %(hours)s hours; the target is "
            "%(sla)s hours.",
            hours,
        )
        % args
    )


# Engineer over-booked


def find_engineer_overbooked(rule, params, today, opportunity_ids):
    """Active engineers booked beyond their available hours (plus `percent` %) in any of the
    next `weeks` weeks, this one included, by the capacity rules of resources.capacity."""
    from resources.capacity import Calendar
    from resources.models import EngineerProfile

    first_monday = today - datetime.timedelta(days=today.weekday())
    weeks = [first_monday + datetime.timedelta(weeks=index) for index in range(params["weeks"])]
    engineers = list(
        EngineerProfile.objects.filter(is_active=True, user__is_active=True).select_related("user")
    )
    if not engineers:
        return []
    calendar = Calendar(engineers, weeks[0], weeks[-1] + datetime.timedelta(days=6))
    allowance = 1 + params["percent"] / 100
    findings = []
    for engineer in engineers:
        over = []
        for monday in weeks:
            sunday = monday + datetime.timedelta(days=6)
            available = calendar.available(engineer.pk, monday, sunday)
            booked = calendar.booked(engineer.pk, monday, sunday)
            if booked > available * allowance:
                over.append(
                    {
                        "start": monday.isoformat(),
                        "booked": _plain(booked),
                        "available": _plain(available),
                    }
                )
        if over:
            findings.append(
                Finding(
                    dedup_key=f"{K.ENGINEER_OVERBOOKED}:engineer:{engineer.pk}",
                    subject_kind=Subject.ENGINEER,
                    team_id=engineer.user.team_id,
                    owner_id=engineer.user_id,
                    facts={
                        "engineer": engineer.user.get_full_name(),
                        "weeks_ahead": params["weeks"],
                        "percent": _plain(params["percent"]),
                        "over_weeks": over,
                    },
                )
            )
    return findings


def describe_engineer_overbooked(facts, alert):
    worst = max(
        facts["over_weeks"], key=lambda week: Decimal(week["booked"]) - Decimal(week["available"])
    )
    return gettext(
        "%(engineer)s is over-booked in %(count)s of the next %(weeks)s weeks; the worst is the "
        "week of %(start)s: %(booked)s h booked against %(available)s h available."
    ) % {
        "engineer": facts["engineer"],
        "count": len(facts["over_weeks"]),
        "weeks": facts["weeks_ahead"],
        "start": _date(worst["start"]),
        "booked": _number(worst["booked"], 1),
        "available": _number(worst["available"], 1),
    }


# Forecast below target


def find_forecast_below_target(rule, params, today, opportunity_ids):
    """Teams whose latest historical-model forecast of this quarter (which counts what is
    already won plus what the open deals are expected to bring) falls below the quarter's
    target x `coverage`. Forecast, bookings so far and target are the stored run's."""
    from salesops.models import Team

    from .models import ForecastRun

    start, _end = period_bounds(QUARTER, today)
    runs = {}
    for run in (
        ForecastRun.objects.filter(
            method=ForecastMethod.HISTORICAL,
            scope=ScopeKind.TEAM,
            period_kind=PeriodKind.QUARTER,
            period_start=start,
            as_of__lte=today,
        )
        .order_by("team_id", "-as_of", "-computed_at", "-pk")
        .values("team_id", "amount", "target", "figures", "as_of")
    ):
        runs.setdefault(run["team_id"], run)
    managers = dict(
        Team.objects.filter(pk__in=runs, is_active=True).values_list("pk", "manager_id")
    )
    coverage = params["coverage"]
    findings = []
    for team_id, run in runs.items():
        target = run["target"] or Decimal(0)
        if team_id not in managers or target <= 0:
            continue
        total = run["amount"]
        won = Decimal(str(run["figures"].get("booked", 0))).quantize(Decimal("0.01"))
        needed = (target * coverage).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if total >= needed:
            continue
        findings.append(
            Finding(
                dedup_key=f"{K.FORECAST_BELOW_TARGET}:team:{team_id}:{start.isoformat()}",
                subject_kind=Subject.TEAM,
                team_id=team_id,
                owner_id=managers[team_id],
                facts={
                    "quarter_start": start.isoformat(),
                    "as_of": run["as_of"].isoformat(),
                    "forecast": _plain(total - won),
                    "won": _plain(won),
                    "total": _plain(total),
                    "target": _plain(target),
                    "coverage": _plain(coverage),
                    "needed": _plain(needed),
                    "shortfall": _plain(needed - total),
                },
            )
        )
    return findings


def describe_forecast_below_target(facts, alert):
    start = datetime.date.fromisoformat(facts["quarter_start"])
    return gettext(
        "Q%(quarter)s %(year)s is heading for %(total)s (%(won)s won, %(forecast)s forecast), "
        "below the target of %(target)s x %(coverage)s = %(needed)s: %(shortfall)s short."
    ) % {
        "quarter": (start.month - 1) // 3 + 1,
        "year": start.year,
        "total": _money(facts["total"]),
        "won": _money(facts["won"]),
        "forecast": _money(facts["forecast"]),
        "target": _money(facts["target"]),
        "coverage": _number(facts["coverage"], 2),
        "needed": _money(facts["needed"]),
        "shortfall": _money(facts["shortfall"]),
    }


# The registry ----------------------------------------------------------------------------


def _from_stage(default: int) -> Param:
    return Param(
        "from_stage_order",
        INT,
        default,
        _("From stage"),
        _("The rule looks at deals in this stage (by order, 1 = first) and later."),
        min=1,
        max=20,
    )


def _register(*specs: RuleSpec) -> None:
    for spec in specs:
        RULES[spec.kind] = spec


_register(
    RuleSpec(
        K.STALLED,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (
            Param(
                "factor",
                DECIMAL,
                Decimal("1.0"),
                _("Factor over the 80th percentile"),
                _(
                    "A deal is stalled when its days in the stage exceed the stage's 80th "
                    "percentile times this factor."
                ),
                min=Decimal("0.1"),
                max=Decimal(10),
            ),
        ),
        find_stalled,
        describe_stalled,
    ),
    RuleSpec(
        K.STAGE_GAP,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (
            Param(
                "stages",
                INT,
                2,
                _("Stages apart"),
                _(
                    "Raised when the sales stage is this many stages ahead of or behind the "
                    "customer's."
                ),
                min=1,
                max=20,
            ),
        ),
        find_stage_gap,
        describe_stage_gap,
    ),
    RuleSpec(
        K.STAGE_SKIPPED,
        Subject.OPPORTUNITY,
        Severity.CRITICAL,
        (),
        find_stage_skipped,
        describe_stage_skipped,
    ),
    RuleSpec(
        K.CLOSE_DATE_SLIPPING,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (
            Param(
                "pushes",
                INT,
                2,
                _("Pushes"),
                _("Raised when the close date was moved later this many times."),
                min=1,
                max=100,
            ),
            Param(
                "within_days",
                INT,
                90,
                _("Within (days)"),
                _("Only pushes made in this many last days count."),
                min=1,
                max=3650,
            ),
        ),
        find_close_date_slipping,
        describe_close_date_slipping,
    ),
    RuleSpec(
        K.AMOUNT_DROPPED,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (
            Param(
                "percent",
                DECIMAL,
                Decimal(30),
                _("Drop (%)"),
                _("Raised when the amount is this much below the highest amount the deal had."),
                min=Decimal("0.1"),
                max=Decimal(100),
            ),
        ),
        find_amount_dropped,
        describe_amount_dropped,
    ),
    RuleSpec(
        K.NO_ACTIVITY,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (
            Param(
                "days",
                INT,
                14,
                _("Days without activity"),
                _("Raised when no activity was logged on the deal for this many days."),
                min=1,
                max=3650,
            ),
            _from_stage(2),
        ),
        find_no_activity,
        describe_no_activity,
    ),
    RuleSpec(
        K.SINGLE_THREADED,
        Subject.OPPORTUNITY,
        Severity.WARNING,
        (_from_stage(4),),
        find_single_threaded,
        describe_single_threaded,
    ),
    RuleSpec(
        K.NO_PRESALES,
        Subject.OPPORTUNITY,
        Severity.INFO,
        (
            Param(
                "min_amount",
                DECIMAL,
                Decimal(1000000),
                _("From amount"),
                _("Deals of this amount or more are big deals."),
                min=Decimal(0),
            ),
            _from_stage(3),
        ),
        find_no_presales,
        describe_no_presales,
    ),
    RuleSpec(
        K.REQUEST_WAITING,
        Subject.REQUEST,
        Severity.WARNING,
        (
            Param(
                "approve_hours",
                INT,
                48,
                _("Hours to approve"),
                _("A submitted request should be approved or rejected within this many hours."),
                min=1,
                max=10000,
            ),
            Param(
                "dispatch_hours",
                INT,
                72,
                _("Hours to dispatch"),
                _("An approved request should be dispatched within this many hours."),
                min=1,
                max=10000,
            ),
        ),
        find_request_waiting,
        describe_request_waiting,
    ),
    RuleSpec(
        K.ENGINEER_OVERBOOKED,
        Subject.ENGINEER,
        Severity.WARNING,
        (
            Param(
                "percent",
                DECIMAL,
                Decimal(0),
                _("Tolerated over capacity (%)"),
                _("Raised when a week is booked beyond the available hours plus this share."),
                min=Decimal(0),
                max=Decimal(100),
            ),
            Param(
                "weeks",
                INT,
                4,
                _("Weeks ahead"),
                _("How many weeks, this one included, are checked."),
                min=1,
                max=26,
            ),
        ),
        find_engineer_overbooked,
        describe_engineer_overbooked,
    ),
    RuleSpec(
        K.FORECAST_BELOW_TARGET,
        Subject.TEAM,
        Severity.CRITICAL,
        (
            Param(
                "coverage",
                DECIMAL,
                Decimal("1.0"),
                _("Coverage of the target"),
                _(
                    "Raised when won plus forecast for the quarter is below the team's target "
                    "times this factor."
                ),
                min=Decimal("0.1"),
                max=Decimal(10),
            ),
        ),
        find_forecast_below_target,
        describe_forecast_below_target,
    ),
)
assert set(RULES) == set(AlertKind.values), "every AlertKind needs a rule"


def describe(alert: Alert) -> str:
    """The alert's explanation in the active language, worded from its facts."""
    try:
        return RULES[alert.kind].describe(alert.facts or {}, alert)
    except (KeyError, TypeError, ValueError, InvalidOperation):
        # Facts of an older shape: say what the rule is rather than fail the page.
        return str(AlertKind(alert.kind).label) if alert.kind in AlertKind.values else ""


# Services --------------------------------------------------------------------------------


def _scan_now(today: datetime.date) -> datetime.datetime:
    """Now, moved to `today` when a scan is run for another day."""
    now = timezone.now()
    return now + datetime.timedelta(days=(today - timezone.localdate()).days)


def rules_ensure() -> list[AlertRule]:
    """Every rule, creating the missing ones with their defaults (the data migration seeds
    them; a flushed test database or a new AlertKind may lack some)."""
    rules = {rule.kind: rule for rule in AlertRule.objects.all()}
    missing = [
        AlertRule(kind=kind, severity=spec.severity, params=spec.defaults())
        for kind, spec in RULES.items()
        if kind not in rules
    ]
    if missing:
        AlertRule.objects.bulk_create(missing, ignore_conflicts=True)
        rules = {rule.kind: rule for rule in AlertRule.objects.all()}
    return [rules[kind] for kind in AlertKind.values if kind in rules]


def _json(facts: dict) -> dict:
    return json.loads(json.dumps(facts, cls=DjangoJSONEncoder))


SCAN_FIELDS = ("severity", "subject_kind", "opportunity_id", "request_id", "team_id", "owner_id")


def _reconcile(
    rule: AlertRule,
    findings: Iterable[Finding],
    *,
    opportunity_ids: list[int] | None,
    now: datetime.datetime,
) -> dict:
    """Make the unresolved alerts of a rule (of the given deals) match its findings."""
    counts = {"opened": 0, "kept": 0, "resolved": 0}
    found: dict[str, Finding] = {}
    for finding in findings:
        found.setdefault(finding.dedup_key, finding)
    current = (
        Alert.objects.select_for_update()
        .filter(kind=rule.kind)
        .exclude(status=AlertStatus.RESOLVED)
    )
    if opportunity_ids is not None:
        current = current.filter(opportunity_id__in=opportunity_ids)
    changed, cleared = [], []
    for alert in current:
        finding = found.pop(alert.dedup_key, None)
        if finding is None:
            cleared.append(alert.pk)
            continue
        counts["kept"] += 1
        wanted = {
            "severity": rule.severity,
            "subject_kind": finding.subject_kind,
            "opportunity_id": finding.opportunity_id,
            "request_id": finding.request_id,
            "team_id": finding.team_id,
            "owner_id": finding.owner_id,
        }
        facts = _json(finding.facts)
        if alert.facts != facts or any(
            getattr(alert, name) != value for name, value in wanted.items()
        ):
            for name, value in wanted.items():
                setattr(alert, name, value)
            alert.facts, alert.last_seen_at = facts, now
            changed.append(alert)
    if changed:
        Alert.objects.bulk_update(changed, [*SCAN_FIELDS, "facts", "last_seen_at"])
    if cleared:
        counts["resolved"] = (
            Alert.objects.filter(pk__in=cleared)
            .exclude(status=AlertStatus.RESOLVED)
            .update(status=AlertStatus.RESOLVED, resolved_at=now, resolved_by=None)
        )
    if found:
        Alert.objects.bulk_create(
            Alert(
                rule=rule,
                kind=rule.kind,
                severity=rule.severity,
                subject_kind=finding.subject_kind,
                opportunity_id=finding.opportunity_id,
                request_id=finding.request_id,
                team_id=finding.team_id,
                owner_id=finding.owner_id,
                dedup_key=finding.dedup_key,
                facts=_json(finding.facts),
                first_seen_at=now,
                last_seen_at=now,
            )
            for finding in found.values()
        )
        counts["opened"] = len(found)
    return counts


def alerts_scan(
    *, opportunity_ids: list[int] | None = None, today: datetime.date | None = None
) -> dict:
    """Run every active rule and reconcile the stored alerts with what they find.

    With `opportunity_ids` (the incremental scan after deals change) only the rules about
    opportunities run, for those deals only, and only those deals' alerts are resolved. Alerts
    of a rule an admin switched off are resolved. Each rule runs in its own transaction, with
    its rule row locked, so two scans never raise the same alert twice. Returns how many
    alerts were opened, kept and resolved."""
    today = today or timezone.localdate()
    totals = {"opened": 0, "kept": 0, "resolved": 0}
    if opportunity_ids is not None:
        opportunity_ids = sorted({int(pk) for pk in opportunity_ids})
        if not opportunity_ids:
            return totals
    for rule in rules_ensure():
        spec = RULES[rule.kind]
        if opportunity_ids is not None and not spec.is_about_opportunities:
            continue
        with transaction.atomic():
            rule = AlertRule.objects.select_for_update().get(pk=rule.pk)
            now = timezone.now()
            findings = (
                spec.find(rule, rule_params(rule), today, opportunity_ids) if rule.is_active else []
            )
            counts = _reconcile(rule, findings, opportunity_ids=opportunity_ids, now=now)
        for name, count in counts.items():
            totals[name] += count
    return totals


def alert_can_resolve(user, alert: Alert) -> bool:
    """Admins; managers of the alert's team subtree or of its responsible person; presales
    leads for alerts about resource requests (they run the dispatch)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin:
        return True
    if alert.subject_kind == Subject.REQUEST and user.role == Role.PRESALES_LEAD:
        return True
    if alert.team_id is not None and can_manage_team(user, alert.team):
        return True
    return alert.owner_id is not None and can_manage_user(user, alert.owner)


def alert_can_acknowledge(user, alert: Alert) -> bool:
    """Whoever may resolve the alert, and the person it is about."""
    if not user.is_authenticated or not user.is_active:
        return False
    return alert.owner_id == user.pk or alert_can_resolve(user, alert)


def _locked(alert: Alert) -> Alert:
    """The alert's row locked (only its own: PostgreSQL refuses to lock the nullable side of
    the joins that bring its team and owner along)."""
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("team", "owner")
        .get(pk=alert.pk)
    )


def _with_note(current: str, note: str) -> str:
    note = note.strip()
    if not note:
        return current
    return f"{current}\n{note}" if current else note


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by, note: str = "") -> Alert:
    """Someone has seen the alert and is on it. The scan keeps it acknowledged while the
    condition holds and resolves it when it clears."""
    locked = _locked(alert)
    if not alert_can_acknowledge(by, locked):
        raise PermissionRefused(gettext("You cannot acknowledge this alert."))
    if locked.status == AlertStatus.RESOLVED:
        raise AlertRefused(gettext("This alert is already resolved."))
    if locked.status == AlertStatus.ACKNOWLEDGED:
        raise AlertRefused(gettext("This alert is already acknowledged."))
    locked.status = AlertStatus.ACKNOWLEDGED
    locked.acknowledged_at, locked.acknowledged_by = timezone.now(), by
    locked.note = _with_note(locked.note, note)
    locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "note"])
    return locked


@transaction.atomic
def alert_resolve(*, alert: Alert, by, note: str = "") -> Alert:
    """A manager closes the alert by hand. Should the condition still hold at the next scan,
    a new alert is raised."""
    locked = _locked(alert)
    if not alert_can_resolve(by, locked):
        raise PermissionRefused(gettext("Only a manager of the team resolves this alert."))
    if locked.status == AlertStatus.RESOLVED:
        raise AlertRefused(gettext("This alert is already resolved."))
    locked.status = AlertStatus.RESOLVED
    locked.resolved_at, locked.resolved_by = timezone.now(), by
    locked.note = _with_note(locked.note, note)
    locked.save(update_fields=["status", "resolved_at", "resolved_by", "note"])
    return locked


@transaction.atomic
def alert_rule_update(
    *, rule: AlertRule, by, is_active: bool, severity: str, params: dict
) -> AlertRule:
    """Admins switch a rule on or off, set its severity and its thresholds (checked against
    the rule's parameter list; ValidationError with a message per field). The unresolved
    alerts of the rule take the new severity at once; the next scan applies the rest."""
    if not by.is_authenticated or not by.is_admin:
        raise PermissionRefused(gettext("Only administrators change alert rules."))
    errors = {}
    if severity not in Severity.values:
        errors["severity"] = [gettext("Choose a severity from the list.")]
    try:
        cleaned = params_clean(rule.kind, params)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
    locked.is_active, locked.severity, locked.params = bool(is_active), severity, cleaned
    locked.updated_by = by
    locked.save()
    Alert.objects.filter(rule=locked).exclude(status=AlertStatus.RESOLVED).exclude(
        severity=severity
    ).update(severity=severity)
    return locked
