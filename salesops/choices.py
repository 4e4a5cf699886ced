from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    PRESALES_LEAD = "presales_lead", _("Presales lead")
    PRESALES_ENGINEER = "presales_engineer", _("Presales engineer")
    ADMIN = "admin", _("Administrator")


class TeamKind(models.TextChoices):
    REGION = "region", _("Region")
    SALES = "sales", _("Sales team")
    PRESALES = "presales", _("Presales team")


# Who may lead a team of each kind.
LEADER_ROLES = {
    TeamKind.REGION: {Role.MANAGER, Role.ADMIN},
    TeamKind.SALES: {Role.MANAGER, Role.ADMIN},
    TeamKind.PRESALES: {Role.PRESALES_LEAD, Role.ADMIN},
}
