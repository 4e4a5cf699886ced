from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role

# (url name, label, icon, roles that see it; None = everyone signed in). Later apps add theirs.
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("opportunities:pipeline", _("Pipeline"), "kanban", None),
    ("opportunities:agenda", _("My agenda"), "calendar-check", None),
    (
        "opportunities:gates-pending",
        _("Gate reviews"),
        "signpost-split",
        {Role.MANAGER, Role.ADMIN},
    ),
    ("accounts:list", _("Accounts"), "buildings", None),
    (
        "forecasting:dashboard",
        _("Dashboard"),
        "speedometer2",
        {Role.REP, Role.MANAGER, Role.ADMIN},
    ),
    ("forecasting:alerts", _("Alerts"), "exclamation-triangle", None),
    ("resources:list", _("My requests"), "person-raised-hand", {Role.REP, Role.MANAGER}),
    ("resources:queue", _("Dispatch queue"), "inboxes", {Role.PRESALES_LEAD, Role.ADMIN}),
    ("resources:assignments", _("My assignments"), "briefcase", {Role.PRESALES_ENGINEER}),
    (
        "organisation",
        _("Organisation"),
        "diagram-3",
        {Role.MANAGER, Role.PRESALES_LEAD, Role.ADMIN},
    ),
]


def _active_item(request, names: list[str]) -> str | None:
    """The entry of the current page: its own, else its app's first entry (an account's
    page belongs under Accounts, a deal's under Pipeline)."""
    match = request.resolver_match
    if match is None:
        return None
    if match.view_name in names:
        return match.view_name
    if not match.namespace:
        return None
    return next((name for name in names if name.startswith(f"{match.namespace}:")), None)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = Role.ADMIN if user.is_admin else user.role
    entries = [entry for entry in NAVIGATION if entry[3] is None or role in entry[3]]
    active = _active_item(request, [entry[0] for entry in entries])
    items = [
        {"url": reverse(name), "label": label, "icon": icon, "active": name == active}
        for name, label, icon, _roles in entries
    ]
    return {"nav_items": items}
