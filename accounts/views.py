"""Pages for customer accounts: thin views over accounts.selectors and accounts.services."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import account_list_visible_to


@login_required
def account_list(request):
    accounts = account_list_visible_to(request.user).select_related("owner_team", "owner")
    return render(request, "accounts/account_list.html", {"accounts": accounts[:50]})
