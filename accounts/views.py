"""Pages for customer accounts: thin views over accounts.selectors and accounts.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesops.exceptions import DomainError
from salesops.forms import without_blanks

from . import selectors, services
from .filtersets import AccountFilterSet
from .forms import (
    AccountForm,
    AccountTeamForm,
    AssessmentForm,
    ContactForm,
    TieringPolicyForm,
    TierOverrideForm,
    TransferForm,
)
from .models import Account, TieringPolicy
from .tasks import recompute_tiers

PAGE_SIZE = 25
SORTS = {
    "name": ("name",),
    "-name": ("-name",),
    "tier": ("tier", "-score", "name"),
    "-tier": ("-tier", "score", "name"),
    "score": ("score", "name"),
    "-score": ("-score", "name"),
    "-updated": ("-updated_at",),
}


def _visible_account(request, pk: int) -> Account:
    return get_object_or_404(selectors.account_list_visible_to(request.user), pk=pk)


@login_required
def account_list(request):
    queryset = selectors.account_list_visible_to(request.user).select_related(
        "owner_team", "owner", "region"
    )
    filterset = AccountFilterSet(without_blanks(request.GET), queryset=queryset)
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "name"
    accounts = filterset.qs.order_by(*SORTS[sort]) if filterset.is_valid() else queryset.none()
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = without_blanks(request.GET)
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "sort": sort,
        "query": query.urlencode(),
        "query_without_sort": _without(query, "sort"),
        "can_create": request.user.is_admin or request.user.team_id is not None,
        "owners": selectors.account_owners_visible_to(request.user),
    }
    template = "accounts/_account_table.html" if request.htmx else "accounts/account_list.html"
    return render(request, template, context)


def _without(query, key: str) -> str:
    query = query.copy()
    query.pop(key, None)
    return query.urlencode()


@login_required
def account_detail(request, pk: int):
    account = _visible_account(request, pk)
    context = selectors.account_overview(account=account, user=request.user)
    context["override_form"] = TierOverrideForm(initial={"tier": account.tier})
    context["assessment_form"] = AssessmentForm()
    context["team_form"] = AccountTeamForm(user=request.user)
    return render(request, "accounts/account_detail.html", context)


@login_required
def account_create(request):
    form = AccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(
                by=request.user, owner_team=form.cleaned_data["owner_team"], **form.service_fields()
            )
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form})


@login_required
def account_edit(request, pk: int):
    account = _visible_account(request, pk)
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(
                account=account,
                by=request.user,
                version=form.cleaned_data["version"] or 0,
                **form.service_fields(),
            )
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Account saved."))
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
def account_override_tier(request, pk: int):
    account = _visible_account(request, pk)
    form = TierOverrideForm(request.POST or None, initial={"tier": account.tier})
    if request.method == "POST" and form.is_valid():
        try:
            services.account_override_tier(account=account, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, _("Tier overridden."))
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/tier_override.html", {"form": form, "account": account})


@login_required
@require_POST
def account_clear_override(request, pk: int):
    account = _visible_account(request, pk)
    try:
        services.account_clear_tier_override(account=account, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Override cleared; the computed tier applies again."))
    return redirect("accounts:detail", pk=account.pk)


@login_required
@require_POST
def account_assess(request, pk: int):
    account = _visible_account(request, pk)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        try:
            services.account_assess(account=account, by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Assessment saved; the tier was recomputed."))
    else:
        messages.error(request, _form_errors_text(form))
    return redirect("accounts:detail", pk=account.pk)


@login_required
def account_transfer(request, pk: int):
    account = _visible_account(request, pk)
    form = TransferForm(request.POST or None, user=request.user, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_transfer(account=account, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, _("Account transferred."))
            if selectors.account_list_visible_to(request.user).filter(pk=account.pk).exists():
                return redirect("accounts:detail", pk=account.pk)
            return redirect("accounts:list")
    return render(request, "accounts/transfer.html", {"form": form, "account": account})


@login_required
@require_POST
def account_team_set(request, pk: int):
    account = _visible_account(request, pk)
    form = AccountTeamForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.account_team_set(account=account, by=request.user, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("Account team updated."))
    else:
        messages.error(request, _form_errors_text(form))
    return redirect("accounts:detail", pk=account.pk)


@login_required
def contact_create(request, pk: int):
    account = _visible_account(request, pk)
    form = ContactForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(account=account, by=request.user, **form.service_fields())
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Contact added."))
            return redirect("accounts:detail", pk=account.pk)
    return render(request, "accounts/contact_form.html", {"form": form, "account": account})


@login_required
def contact_edit(request, pk: int, contact_pk: int):
    account = _visible_account(request, pk)
    contact = get_object_or_404(account.contacts, pk=contact_pk)
    form = ContactForm(request.POST or None, instance=contact, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact,
                by=request.user,
                version=form.cleaned_data["version"] or 0,
                **form.service_fields(),
            )
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect("accounts:detail", pk=account.pk)
    context = {"form": form, "account": account, "contact": contact}
    return render(request, "accounts/contact_form.html", context)


@login_required
def contact_chart(request, pk: int):
    account = _visible_account(request, pk)
    roots = selectors.contact_tree(account=account)
    return render(request, "accounts/contact_chart.html", {"account": account, "roots": roots})


@login_required
def nine_grid(request):
    accounts = selectors.account_list_visible_to(request.user)
    filterset = AccountFilterSet(without_blanks(request.GET), queryset=accounts)
    if filterset.is_valid():
        accounts = filterset.qs
    context = {"grid": selectors.nine_grid(accounts), "filter": filterset}
    return render(request, "accounts/nine_grid.html", context)


@login_required
def tiering_policy(request):
    if not request.user.is_admin:
        raise PermissionDenied
    policy = TieringPolicy.current()
    form = TieringPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.tiering_policy_update(by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, _("Tiering policy saved. All tiers are being recomputed with it.")
            )
            return redirect("accounts:tiering-policy")
    return render(request, "accounts/tiering_policy.html", {"form": form, "policy": policy})


@login_required
@require_POST
def recompute_now(request):
    if not request.user.is_admin:
        raise PermissionDenied
    recompute_tiers.delay()
    messages.success(request, _("Tier recompute started for every account."))
    return redirect("accounts:tiering-policy")


def _error_text(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error)
    return " ".join(error.messages)


def _form_errors_text(form) -> str:
    return " ".join(str(message) for messages_ in form.errors.values() for message in messages_)
