from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.selectors import home_wish_items
from opportunities.selectors import home_pipeline
from resources.selectors import home_presales

from . import selectors
from .choices import Role

HOME_TEMPLATES = {
    Role.REP: "home/rep.html",
    Role.MANAGER: "home/manager.html",
    Role.PRESALES_LEAD: "home/presales_lead.html",
    Role.PRESALES_ENGINEER: "home/presales_engineer.html",
    Role.ADMIN: "home/admin.html",
}


@login_required
def home(request):
    role = Role.ADMIN if request.user.is_admin else Role(request.user.role)
    month = timezone.localdate().replace(day=1)
    context = selectors.home_overview(user=request.user, month=month)
    # What awaits the user in the apps built on salesops comes from those apps' selectors:
    # salesops.selectors must not import them (accounts.selectors imports it).
    context.update(home_wish_items(user=request.user))
    context.update(home_pipeline(user=request.user))
    context.update(home_presales(user=request.user))
    context["today"] = timezone.localdate()
    return render(request, HOME_TEMPLATES[role], {"month": month, **context})


@login_required
def organisation(request):
    if not (request.user.is_admin or request.user.role in (Role.MANAGER, Role.PRESALES_LEAD)):
        raise PermissionDenied
    month = timezone.localdate().replace(day=1)
    teams = selectors.organisation_tree(user=request.user, month=month)
    return render(request, "salesops/organisation.html", {"teams": teams, "month": month})


@never_cache
def healthz(request):
    """Liveness for load balancers and compose: the database and the cache answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    cache.set("healthz", "ok", 5)
    return JsonResponse({"database": "ok", "cache": cache.get("healthz") or "unavailable"})
