from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Role

# (url name, label, icon, roles that see it; None = everyone signed in). Later apps add theirs.
NAVIGATION = [
    ("home", _("Home"), "house", None),
    (
        "organisation",
        _("Organisation"),
        "diagram-3",
        {Role.MANAGER, Role.PRESALES_LEAD, Role.ADMIN},
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = Role.ADMIN if user.is_admin else user.role
    items = [
        {
            "url": reverse(name),
            "label": label,
            "icon": icon,
            "active": request.resolver_match is not None
            and request.resolver_match.url_name == name,
        }
        for name, label, icon, roles in NAVIGATION
        if roles is None or role in roles
    ]
    return {"nav_items": items}
