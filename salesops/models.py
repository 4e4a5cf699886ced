from decimal import Decimal

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from .choices import LEADER_ROLES, Role, TeamKind


class Team(MP_Node):
    """A node of the sales organisation: regions at the top, sales and presales teams below.

    The materialised path (treebeard) makes "this team and everything under it" one indexed
    prefix query, which is what the visibility rule needs.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind, default=TeamKind.SALES)
    manager = models.ForeignKey(
        "User",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        help_text=_("Leads this team and sees everything under it."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="team_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self.manager_id and self.manager.role not in LEADER_ROLES[self.kind]:
            raise ValidationError(
                {
                    "manager": _("The role “%(role)s” cannot lead a team of kind “%(kind)s”.")
                    % {"role": self.manager.get_role_display(), "kind": self.get_kind_display()}
                }
            )
        if self.name and Team.objects.filter(name__iexact=self.name).exclude(pk=self.pk).exists():
            raise ValidationError({"name": _("A team with this name already exists.")})

    def subtree(self):
        """This team and all teams below it."""
        return Team.objects.filter(path__startswith=self.path)


class SalesOpsUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    name = models.CharField(
        _("full name"), max_length=150, blank=True, help_text=_("As colleagues know you.")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role, default=Role.REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    objects = SalesOpsUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name()

    def get_full_name(self) -> str:
        return self.name or super().get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    def clean(self):
        super().clean()
        if self.role in (Role.REP, Role.PRESALES_ENGINEER, Role.MANAGER) and not self.team_id:
            raise ValidationError(
                {"team": _("A %(role)s must belong to a team.") % {"role": self.get_role_display()}}
            )


class Target(models.Model):
    """A booking quota for one month, for a team or for one user (never both)."""

    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="targets",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    set_by = models.ForeignKey(
        User,
        verbose_name=_("set by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-month", "team__path", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, user__isnull=True)
                | models.Q(team__isnull=True, user__isnull=False),
                name="target_for_team_xor_user",
                violation_error_message=_("A target is set for a team or for a user, not both."),
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1),
                name="target_month_is_first_day",
                violation_error_message=_("A target month starts on the first day."),
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="target_amount_not_negative"
            ),
            models.UniqueConstraint(
                fields=["team", "month"],
                condition=models.Q(team__isnull=False),
                name="target_unique_team_month",
                violation_error_message=_("This team already has a target for that month."),
            ),
            models.UniqueConstraint(
                fields=["user", "month"],
                condition=models.Q(user__isnull=False),
                name="target_unique_user_month",
                violation_error_message=_("This user already has a target for that month."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team or self.user} {self.month:%Y-%m}: {self.amount}"

    @property
    def subject(self):
        return self.team or self.user


class WebhookEvent(models.TextChoices):
    OPPORTUNITY_CREATED = "opportunity.created", _("Opportunity created")
    OPPORTUNITY_CHANGED = "opportunity.changed", _("Opportunity changed")
    OPPORTUNITY_STAGE_CHANGED = "opportunity.stage_changed", _("Opportunity moved to a stage")
    OPPORTUNITY_WON = "opportunity.won", _("Opportunity won")
    OPPORTUNITY_CLOSED = "opportunity.closed", _("Opportunity lost or abandoned")


class Webhook(models.Model):
    """An integration's endpoint (ERP, BI, chat bot) that is told when deals change. Events
    carry ids, not records: the receiver reads what it needs through the API."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        help_text=_("Each delivery carries an HMAC-SHA256 of its body with this secret."),
    )
    events = models.JSONField(
        _("events"), default=list, help_text=_("Events to send; empty sends every event.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        unknown = set(self.events or []) - set(WebhookEvent.values)
        if unknown:
            raise ValidationError(
                {"events": _("Unknown events: %(events)s") % {"events": ", ".join(sorted(unknown))}}
            )

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook}"
