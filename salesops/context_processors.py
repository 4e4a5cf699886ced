from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role

# (url name, label, icon, roles that see it; None = everyone signed in). Later apps add theirs.
NAVIGATION = [
    ("home", _("Home"), "house", None),
    ("accounts:list", _("Accounts"), "buildings", None),
    ("accounts:nine-grid", _("Nine-grid"), "grid-3x3", None),
    ("accounts:tiering-policy", _("Tiering policy"), "sliders", {Role.ADMIN}),
    (
        "organisation",
        _("Organisation"),
        "diagram-3",
        {Role.MANAGER, Role.PRESALES_LEAD, Role.ADMIN},
    ),
]


def _active_item(request, names: list[str]) -> str | None:
    """The entry of the current page: its own, else its app's list page (an account's
    detail page belongs under Accounts)."""
    match = request.resolver_match
    if match is None:
        return None
    if match.view_name in names:
        return match.view_name
    app_list = f"{match.namespace}:list"
    return app_list if match.namespace and app_list in names else None


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
