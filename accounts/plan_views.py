"""Pages of a strategic account's yearly plan: objectives and goals, the wish list that the
region and the account team decide on together, and the roadmap. Thin views over
accounts.selectors and accounts.services."""

import datetime
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.exceptions import DomainError
from salesops.models import User

from . import selectors, services
from .choices import BidDecision, Quarter, Tier, WishSide
from .models import Account, AccountPlan, PlanGoal, RoadmapItem, WishListItem
from .plan_forms import (
    AccountPlanForm,
    EscalationDecisionForm,
    GoalStatusForm,
    PlanGoalForm,
    RoadmapItemForm,
    WishListItemForm,
    WishPositionForm,
)

FORM_PAGE = "accounts/plan/plan_form_page.html"


def _account(request, pk: int) -> Account:
    """The account, if the user may see its plan (404 otherwise, as for any hidden record)."""
    accounts = selectors.plan_accounts_visible_to(request.user).select_related(
        "owner_team", "region", "owner"
    )
    return get_object_or_404(accounts, pk=pk)


def _plan(account: Account, year: int) -> AccountPlan:
    return get_object_or_404(
        AccountPlan.objects.select_related("account"), account=account, year=year
    )


def _plan_url(account: Account, year: int, anchor: str = "") -> str:
    url = reverse("accounts:plan-year", args=[account.pk, year])
    return f"{url}#{anchor}" if anchor else url


def _error_text(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error)
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return " ".join(str(message) for messages_ in error.errors.values() for message in messages_)


def _with_viewer_actions(
    item: WishListItem, *, user: User, sides: frozenset[str], strategic: bool
) -> WishListItem:
    """Mark what the viewer may do on the item: the sides they may still take a position for
    (a side may change its mind until the other side answers; nobody takes both positions),
    and whether they decide the escalation."""
    item.open_sides = []
    if strategic and item.decision == BidDecision.PENDING:
        taken_by = {
            WishSide.REGION: item.region_by_id,
            WishSide.ACCOUNT_TEAM: item.account_team_by_id,
        }
        for side in WishSide:
            other = WishSide.ACCOUNT_TEAM if side == WishSide.REGION else WishSide.REGION
            if side in sides and taken_by[other] != user.pk:
                item.open_sides.append(side)
    item.can_decide = (
        strategic
        and item.decision == BidDecision.ESCALATED
        and (user.is_admin or item.escalated_to_id == user.pk)
    )
    return item


def _timeline(plan: AccountPlan) -> dict:
    """The roadmap on a grid of the plan year's twelve months: column 1 holds the labels, the
    months are columns 2–13; initiatives running on beyond the year are clipped and marked."""
    rows = []
    for item in plan.roadmap_items.all():
        span = item.months_in_year(plan.year)
        if span is None:
            continue
        first, last = span
        rows.append(
            {
                "item": item,
                "column_start": first + 1,
                "column_end": last + 2,
                "starts_before": item.start_month.year < plan.year,
                "ends_after": item.end_month.year > plan.year,
            }
        )
    return {
        "months": [datetime.date(plan.year, month, 1) for month in range(1, 13)],
        "quarters": [
            {"label": quarter.label, "column_start": 2 + 3 * (quarter.value - 1)}
            for quarter in Quarter
        ],
        "rows": rows,
    }


def _plan_context(request, account: Account, year: int) -> dict:
    user = request.user
    plan = selectors.account_plan_for(account=account, year=year)
    sides = selectors.wish_item_sides_for(user, account)
    strategic = account.tier == Tier.A
    can_edit = strategic and selectors.can_edit_account_plan(user, account)
    context = {
        "account": account,
        "year": year,
        "years": sorted(set(selectors.account_plan_years(account)) | {year - 1, year, year + 1}),
        "plan": plan,
        "strategic": strategic,
        "region_team": selectors.account_region_team(account),
        "sides": [side for side in WishSide if side in sides],
        "can_edit": can_edit,
        "can_contribute": strategic and (can_edit or WishSide.REGION in sides),
        "plan_form": AccountPlanForm() if can_edit and plan is None else None,
    }
    if plan is not None:
        wish_items = list(plan.wish_items.all())
        # Converted items link to their opportunity: one query for all of them.
        prefetch_related_objects([item for item in wish_items if item.converted_at], "opportunity")
        context.update(
            goals=list(plan.goals.all()),
            wish_items=[
                _with_viewer_actions(item, user=user, sides=sides, strategic=strategic)
                for item in wish_items
            ],
            timeline=_timeline(plan),
            goal_form=PlanGoalForm(),
            wish_form=WishListItemForm(),
            roadmap_form=RoadmapItemForm(plan=plan),
        )
    return context


def _render_plan(request, account: Account, year: int, **bound_forms):
    context = _plan_context(request, account, year)
    context.update(bound_forms)
    return render(request, "accounts/plan/plan_detail.html", context)


@login_required
def plan_detail(request, pk: int, year: int | None = None):
    account = _account(request, pk)
    return _render_plan(request, account, year or timezone.localdate().year)


@login_required
@require_POST
def plan_create(request, pk: int, year: int):
    account = _account(request, pk)
    form = AccountPlanForm(request.POST)
    if form.is_valid():
        try:
            services.account_plan_create(
                account=account, by=request.user, year=year, **form.service_fields()
            )
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Account plan for %(year)s started.") % {"year": year})
            return redirect(_plan_url(account, year))
    return _render_plan(request, account, year, plan_form=form)


def _form_page(request, *, account: Account, year: int, form, title: str, back: str):
    context = {"account": account, "year": year, "form": form, "title": title, "back": back}
    return render(request, FORM_PAGE, context)


def _edit_page(request, *, account, year, form, update, saved: str, title: str, back: str):
    """One versioned edit form: on a valid POST, `update(version=..., **fields)` calls the
    service; its refusal lands on the form, success goes back with `saved` as the message."""
    if request.method == "POST" and form.is_valid():
        try:
            update(version=form.cleaned_data["version"] or 0, **form.service_fields())
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, saved)
            return redirect(back)
    return _form_page(request, account=account, year=year, form=form, title=title, back=back)


@login_required
def plan_edit(request, pk: int, year: int):
    account = _account(request, pk)
    plan = _plan(account, year)
    return _edit_page(
        request,
        account=account,
        year=year,
        form=AccountPlanForm(request.POST or None, instance=plan),
        update=partial(services.account_plan_update, plan=plan, by=request.user),
        saved=_("Objectives saved."),
        title=_("Objectives for %(year)s") % {"year": year},
        back=_plan_url(account, year),
    )


@login_required
@require_POST
def goal_create(request, pk: int, year: int):
    account = _account(request, pk)
    plan = _plan(account, year)
    form = PlanGoalForm(request.POST)
    if form.is_valid():
        try:
            services.plan_goal_create(plan=plan, by=request.user, **form.service_fields())
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Goal added."))
            return redirect(_plan_url(account, year, "goals"))
    return _render_plan(request, account, year, goal_form=form)


def _goal(account: Account, goal_pk: int) -> PlanGoal:
    return get_object_or_404(
        PlanGoal.objects.select_related("plan__account"), pk=goal_pk, plan__account=account
    )


@login_required
def goal_edit(request, pk: int, goal_pk: int):
    account = _account(request, pk)
    goal = _goal(account, goal_pk)
    year = goal.plan.year
    return _edit_page(
        request,
        account=account,
        year=year,
        form=PlanGoalForm(request.POST or None, instance=goal),
        update=partial(services.plan_goal_update, goal=goal, by=request.user),
        saved=_("Goal saved."),
        title=_("Edit goal"),
        back=_plan_url(account, year, "goals"),
    )


@login_required
@require_POST
def goal_status(request, pk: int, goal_pk: int):
    account = _account(request, pk)
    goal = _goal(account, goal_pk)
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        try:
            services.plan_goal_update(
                goal=goal,
                by=request.user,
                version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
            )
        except (DomainError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Goal updated."))
    else:
        messages.error(request, _error_text(form))
    return redirect(_plan_url(account, goal.plan.year, "goals"))


@login_required
@require_POST
def goal_delete(request, pk: int, goal_pk: int):
    account = _account(request, pk)
    goal = _goal(account, goal_pk)
    try:
        services.plan_goal_delete(goal=goal, by=request.user)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Goal removed."))
    return redirect(_plan_url(account, goal.plan.year, "goals"))


@login_required
@require_POST
def wish_item_create(request, pk: int, year: int):
    account = _account(request, pk)
    plan = _plan(account, year)
    form = WishListItemForm(request.POST)
    if form.is_valid():
        try:
            services.wish_item_create(plan=plan, by=request.user, **form.service_fields())
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Added to the wish list; both sides can now decide."))
            return redirect(_plan_url(account, year, "wish-list"))
    return _render_plan(request, account, year, wish_form=form)


def _wish_item(account: Account, item_pk: int) -> WishListItem:
    return get_object_or_404(
        WishListItem.objects.select_related(
            "plan__account", "region_by", "account_team_by", "escalated_to", "escalation_by"
        ),
        pk=item_pk,
        plan__account=account,
    )


@login_required
def wish_item_edit(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _wish_item(account, item_pk)
    year = item.plan.year
    return _edit_page(
        request,
        account=account,
        year=year,
        form=WishListItemForm(request.POST or None, instance=item),
        update=partial(services.wish_item_update, item=item, by=request.user),
        saved=_("Wish-list item saved."),
        title=_("Edit wish-list item"),
        back=_plan_url(account, year, f"wish-{item.pk}"),
    )


@login_required
@require_POST
def wish_item_delete(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _wish_item(account, item_pk)
    try:
        version = int(request.POST.get("version", ""))
        services.wish_item_delete(item=item, by=request.user, version=version)
    except ValueError:
        messages.error(request, _("Reload the page and try again."))
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Removed from the wish list."))
    return redirect(_plan_url(account, item.plan.year, "wish-list"))


def _wish_item_answer(request, account: Account, item: WishListItem, *, error=None, done=""):
    """htmx swaps the item's card in place (errors shown inside it); a plain form post goes
    back to the plan page with a message."""
    if request.htmx:
        item = _wish_item(account, item.pk)
        sides = selectors.wish_item_sides_for(request.user, account)
        strategic = account.tier == Tier.A
        _with_viewer_actions(item, user=request.user, sides=sides, strategic=strategic)
        context = {"item": item, "account": account, "error": error and _error_text(error)}
        context["can_edit"] = strategic and selectors.can_edit_account_plan(request.user, account)
        context["can_contribute"] = context["can_edit"] or (strategic and WishSide.REGION in sides)
        return render(request, "accounts/plan/_wish_item.html", context)
    if error is not None:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    return redirect(_plan_url(account, item.plan.year, f"wish-{item.pk}"))


@login_required
@require_POST
def wish_item_position(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _wish_item(account, item_pk)
    form = WishPositionForm(request.POST)
    if not form.is_valid():
        return _wish_item_answer(request, account, item, error=form)
    try:
        services.wish_item_take_position(
            item=item,
            by=request.user,
            position=form.cleaned_data["position"],
            note=form.cleaned_data["note"],
            side=form.cleaned_data["side"] or None,
        )
    except DomainError as error:
        return _wish_item_answer(request, account, item, error=error)
    return _wish_item_answer(request, account, item, done=_("Position recorded."))


@login_required
@require_POST
def wish_item_decide(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _wish_item(account, item_pk)
    form = EscalationDecisionForm(request.POST)
    if not form.is_valid():
        return _wish_item_answer(request, account, item, error=form)
    try:
        services.wish_item_decide_escalation(item=item, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _wish_item_answer(request, account, item, error=error)
    return _wish_item_answer(request, account, item, done=_("Escalation decided."))


@login_required
@require_POST
def roadmap_item_create(request, pk: int, year: int):
    account = _account(request, pk)
    plan = _plan(account, year)
    form = RoadmapItemForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            services.roadmap_item_create(plan=plan, by=request.user, **form.service_fields())
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Added to the roadmap."))
            return redirect(_plan_url(account, year, "roadmap"))
    return _render_plan(request, account, year, roadmap_form=form)


def _roadmap_item(account: Account, item_pk: int) -> RoadmapItem:
    return get_object_or_404(
        RoadmapItem.objects.select_related("plan__account"), pk=item_pk, plan__account=account
    )


@login_required
def roadmap_item_edit(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _roadmap_item(account, item_pk)
    year = item.plan.year
    return _edit_page(
        request,
        account=account,
        year=year,
        form=RoadmapItemForm(request.POST or None, instance=item, plan=item.plan),
        update=partial(services.roadmap_item_update, item=item, by=request.user),
        saved=_("Roadmap item saved."),
        title=_("Edit roadmap item"),
        back=_plan_url(account, year, "roadmap"),
    )


@login_required
@require_POST
def roadmap_item_delete(request, pk: int, item_pk: int):
    account = _account(request, pk)
    item = _roadmap_item(account, item_pk)
    try:
        services.roadmap_item_delete(item=item, by=request.user)
    except DomainError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Removed from the roadmap."))
    return redirect(_plan_url(account, item.plan.year, "roadmap"))
