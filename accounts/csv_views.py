"""CSV import and export pages for accounts and contacts: thin views over accounts.imports.

The import page posts the file twice: "Preview" runs a dry run and shows the counts and every
error; "Import" (offered after a clean preview) posts the same form again and writes. Nothing is
stored between the two steps: with htmx the file stays selected in the form, and the import
validates the whole file again anyway, so a file changed in between cannot slip through.
"""

from itertools import chain

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from salesops.forms import BootstrapFormMixin

from .filtersets import AccountFilterSet
from .imports import (
    ACCOUNT_COLUMNS,
    CONTACT_COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    ImportKind,
    ImportMode,
    export_accounts,
    export_contacts,
    import_accounts,
    import_contacts,
)
from .selectors import account_list_visible_to

IMPORTERS = {ImportKind.ACCOUNTS: import_accounts, ImportKind.CONTACTS: import_contacts}


class ImportForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ImportKind.choices)
    mode = forms.ChoiceField(
        label=gettext_lazy("Rows that exist already"),
        choices=ImportMode.choices,
        initial=ImportMode.CREATE,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


@login_required
def csv_import(request):
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        dry_run = request.POST.get("action") != "import"
        result = IMPORTERS[form.cleaned_data["kind"]](
            by=request.user,
            file=form.cleaned_data["file"],
            mode=form.cleaned_data["mode"],
            dry_run=dry_run,
        )
        if result.committed:
            message = _(
                "Import done: %(created)s new, %(updated)s updated, %(unchanged)s unchanged."
            )
            counts = {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            }
            messages.success(request, message % counts)
            if request.htmx:
                return HttpResponseClientRedirect(reverse("accounts:list"))
            return redirect("accounts:list")
    context = {
        "form": form,
        "result": result,
        "max_megabytes": MAX_BYTES // 1024 // 1024,
        "max_rows": MAX_ROWS,
        "account_columns": ACCOUNT_COLUMNS,
        "contact_columns": CONTACT_COLUMNS,
    }
    if request.htmx and request.method == "POST":
        return render(request, "accounts/_import_result.html", context)
    return render(request, "accounts/import.html", context)


@login_required
@require_GET
def account_export(request):
    return _csv_download(export_accounts(accounts=_filtered_accounts(request)), "accounts")


@login_required
@require_GET
def contact_export(request):
    return _csv_download(export_contacts(accounts=_filtered_accounts(request)), "contacts")


def _filtered_accounts(request):
    """The accounts of the list page: visible to the user, with the page's filters."""
    filterset = AccountFilterSet(request.GET, queryset=account_list_visible_to(request.user))
    return filterset.qs if filterset.is_valid() else filterset.queryset.none()


def _csv_download(lines, name: str) -> StreamingHttpResponse:
    # The byte order mark makes Excel read the file as UTF-8 (Chinese names intact).
    response = StreamingHttpResponse(
        chain(["\ufeff"], lines), content_type="text/csv; charset=utf-8"
    )
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
