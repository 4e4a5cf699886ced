"""The pipeline pages: the Kanban board of open deals by stage, the same deals as a filtered
table, and the move a card makes when it is dropped on another column or sent with its
"Move to…" form. Every rule of a move is opportunities.services.opportunity_advance's; these
views only read the request, call it and show what it answered."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, F, Sum, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.choices import Tier
from salesops.choices import Role
from salesops.exceptions import Conflict, DomainError, PermissionRefused
from salesops.forms import without_blanks
from salesops.selectors import team_list_visible_to, user_list_visible_to

from .. import selectors, services
from ..choices import ForecastCategory, OpportunityStatus
from ..exceptions import StageMoveRefused
from ..filtersets import OpportunityFilterSet
from ..models import SalesProcess, Stage

# A column shows its soonest-closing deals; the list page has the rest. Keeps a big team's
# board one page of HTML, not thousands of cards.
CARDS_PER_COLUMN = 20
PAGE_SIZE = 25
SCOPES = ("mine", "team")
# Filters the board passes to OpportunityFilterSet, per scope.
BOARD_FILTERS = {"mine": ("q",), "team": ("q", "owner", "within_team")}
SORTS = {
    "close": ("expected_close_date", "pk"),
    "-close": ("-expected_close_date", "-pk"),
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "account": ("account__name", "expected_close_date", "pk"),
    "-account": ("-account__name", "expected_close_date", "pk"),
    "stage": ("stage__order", "expected_close_date", "pk"),
    "-stage": ("-stage__order", "expected_close_date", "pk"),
    "amount": ("amount", "pk"),
    "-amount": ("-amount", "pk"),
    "probability": ("probability", "expected_close_date", "pk"),
    "-probability": ("-probability", "expected_close_date", "pk"),
}
AMOUNT_X_PROBABILITY = Sum(
    F("amount") * F("probability"), output_field=DecimalField(max_digits=24, decimal_places=2)
)


# The board ----------------------------------------------------------------------------------


@login_required
def pipeline(request):
    user = request.user
    processes = list(SalesProcess.objects.filter(is_active=True))  # the default one first
    process = next((p for p in processes if p.code == request.GET.get("process")), None)
    process = process or (processes[0] if processes else None)
    scope = _scope(user, request.GET)
    context = {
        "process": process,
        "processes": processes,
        "scope": scope,
        "scope_choices": _scope_choices(user),
        "board_url": request.get_full_path(),
        "today": timezone.localdate(),
        "show_owner": scope == "team",
        "columns": [],
    }
    if process is not None:
        deals, filterset = _board_deals(user, process, scope, request.GET)
        context["stages"] = stages = list(process.stages.order_by("order"))
        context["columns"] = _columns(deals, stages, with_cards=True)
        context["filter"] = filterset
    if scope == "team" and not request.htmx:  # the filter form is outside the partial
        context["teams"] = list(team_list_visible_to(user).order_by("path"))
        context["owners"] = _owners(user)
    template = "opportunities/_board.html" if request.htmx else "opportunities/board.html"
    return render(request, template, context)


@login_required
@require_POST
def move(request, pk: int):
    """Move a deal to the stage posted, at the version the board showed. An htmx request gets
    the updated card (and the column totals) or, when the service refuses, the reasons; a plain
    form post goes back to the board with the same in a message."""
    deal = get_object_or_404(selectors.opportunity_list_visible_to(request.user), pk=pk)
    back = _safe_next(request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest(_("The board sent no version of this opportunity."))
    try:
        deal = services.opportunity_advance(
            opportunity=deal,
            to_stage=request.POST.get("stage", ""),
            by=request.user,
            version=version,
        )
    except DomainError as error:
        return _move_refused(request, deal, error, back)
    moved = _("%(deal)s moved to %(stage)s.") % {"deal": deal.name, "stage": deal.stage.name}
    if not request.htmx:
        messages.success(request, moved)
        return redirect(back)
    scope = _scope(request.user, request.POST)
    deals, _filterset = _board_deals(request.user, deal.process, scope, request.POST)
    stages = list(deal.process.stages.order_by("order"))
    context = {
        "deal": deal,
        "stages": stages,
        "columns": _columns(deals, stages, with_cards=False),
        "show_owner": scope == "team",
        "board_url": back,
        "today": timezone.localdate(),
        "moved": moved,
    }
    return render(request, "opportunities/_moved.html", context)


def _move_refused(request, deal, error: DomainError, back: str):
    if not request.htmx:
        reasons = format_html_join("", "<li>{}</li>", ((reason,) for reason in error.reasons))
        text = format_html('{}<ul class="mb-0">{}</ul>', error.detail, reasons)
        messages.error(request, text if error.reasons else error.detail)
        return redirect(back)
    if isinstance(error, Conflict):
        status = 409
    elif isinstance(error, PermissionRefused):
        status = 403
    else:
        status = 422  # the request was understood; the company's rules refuse it
    context = {
        "error": error,
        "deal": deal,
        "is_conflict": isinstance(error, Conflict),
        "is_refusal": isinstance(error, StageMoveRefused) and bool(error.reasons),
        "board_url": back,
    }
    response = render(request, "opportunities/_move_error.html", context, status=status)
    # The message goes above the board, not into the card; board.js puts the card back.
    response["HX-Retarget"] = "#board-alert"
    response["HX-Reswap"] = "innerHTML"
    return response


def _scope(user, data) -> str:
    """Whose deals the board shows: the user's own (a rep's default) or all they can see
    (a manager's team subtree, the default for those who lead people)."""
    if data.get("scope") in SCOPES:
        return data["scope"]
    return "team" if _leads_people(user) else "mine"


def _scope_choices(user) -> list[tuple[str, str]]:
    if user.is_admin:
        wide = _("All teams")
    elif _leads_people(user):
        wide = _("My team")
    else:
        wide = _("With my account teams")
    return [("mine", _("Mine")), ("team", wide)]


def _leads_people(user) -> bool:
    return user.is_admin or user.role in (Role.MANAGER, Role.PRESALES_LEAD)


def _board_deals(user, process, scope: str, data):
    """The open deals of one process that the board shows, and the filters applied."""
    deals = selectors.opportunity_list_visible_to(user).filter(
        process=process, status=OpportunityStatus.OPEN
    )
    if scope == "mine":
        deals = deals.filter(owner=user)
    filterset = OpportunityFilterSet(_only(data, BOARD_FILTERS[scope]), queryset=deals)
    return (filterset.qs if filterset.is_valid() else deals.none()), filterset


def _columns(deals, stages: list[Stage], *, with_cards: bool) -> list[dict]:
    """One column per stage with its count, amount and weighted amount; with the first cards
    of each column when asked. Two queries, however many deals there are."""
    totals = {
        row["stage_id"]: row
        for row in deals.order_by()
        .values("stage_id")
        .annotate(count=Count("pk"), total=Sum("amount"), amount_x_probability=AMOUNT_X_PROBABILITY)
    }
    cards = {stage.pk: [] for stage in stages}
    if with_cards:
        position = Window(
            RowNumber(),
            partition_by=[F("stage_id")],
            order_by=[F("expected_close_date").asc(), F("pk").asc()],
        )
        first_cards = (
            selectors.with_board_relations(deals)
            .annotate(position=position)
            .filter(position__lte=CARDS_PER_COLUMN)
            .order_by("stage__order", "position")
        )
        for deal in first_cards:
            cards.setdefault(deal.stage_id, []).append(deal)
    columns = []
    for stage in stages:
        row = totals.get(stage.pk, {})
        count = row.get("count", 0)
        weighted = (row.get("amount_x_probability") or Decimal(0)) / 100
        columns.append(
            {
                "stage": stage,
                "count": count,
                "amount": row.get("total") or Decimal(0),
                "weighted": weighted.quantize(Decimal("0.01")),
                "cards": cards[stage.pk],
                "more": count - len(cards[stage.pk]) if with_cards else 0,
            }
        )
    return columns


def _owners(user):
    return list(
        user_list_visible_to(user)
        .filter(is_active=True, team__isnull=False)
        .exclude(pk=user.pk)
        .order_by("name", "username")
    )


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("opportunities:pipeline")


# The list -----------------------------------------------------------------------------------


@login_required
def opportunity_list(request):
    user = request.user
    visible = selectors.with_board_relations(selectors.opportunity_list_visible_to(user))
    query = without_blanks(request.GET)
    if "status" not in request.GET:
        query["status"] = OpportunityStatus.OPEN  # open deals unless the user asks for others
    filterset = OpportunityFilterSet(query, queryset=visible)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "close"
    deals = filterset.qs.order_by(*SORTS[sort]) if filterset.is_valid() else visible.none()
    page = Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = deals.order_by().aggregate(total=Sum("amount"), product=AMOUNT_X_PROBABILITY)
    query.pop("page", None)
    if "status" not in query:
        query["status"] = ""  # "All statuses" stays chosen on the other pages and sorts
    without_sort = query.copy()
    without_sort.pop("sort", None)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "query": query.urlencode(),
        "query_without_sort": without_sort.urlencode(),
        "is_filtered": bool(request.GET.keys() - {"sort", "page"}),
        "total_amount": totals["total"] or Decimal(0),
        "total_weighted": ((totals["product"] or Decimal(0)) / 100).quantize(Decimal("0.01")),
        "today": timezone.localdate(),
        "stages": Stage.objects.filter(process__is_active=True).select_related("process"),
        "teams": list(team_list_visible_to(user).order_by("path")),
        "owners": _owners(user),
        "statuses": OpportunityStatus.choices,
        "tiers": Tier.choices,
        "forecast_categories": ForecastCategory.choices,
    }
    template = "opportunities/_table.html" if request.htmx else "opportunities/list.html"
    return render(request, template, context)


def _only(query, keys):
    cleaned = without_blanks(query)
    for key in list(cleaned):
        if key not in keys:
            del cleaned[key]
    return cleaned
