from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .choices import (
    AccountSize,
    AccountStatus,
    AccountTeamRole,
    BidDecision,
    BidPosition,
    Criterion,
    GridLevel,
    Industry,
    PlanGoalKind,
    PlanGoalStatus,
    Quarter,
    Strategy,
    Tier,
    TierChangeSource,
)

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{4,38}(?:(?:ext|x|转)\s*[0-9]{1,6})?$",
    _(
        "Enter a phone number: digits, spaces, dashes or brackets, "
        "optionally a leading + and an extension."
    ),
)


class TieringPolicy(models.Model):
    """The company's tiering policy: criterion weights, tier thresholds, the rules that turn
    data into criterion scores, and the service level of each tier. One row (pk=1)."""

    weight_contribution = models.PositiveSmallIntegerField(
        _("weight: contribution"), default=30, validators=PERCENT
    )
    weight_potential = models.PositiveSmallIntegerField(
        _("weight: potential"), default=25, validators=PERCENT
    )
    weight_winnability = models.PositiveSmallIntegerField(
        _("weight: winnability"), default=20, validators=PERCENT
    )
    weight_demonstration = models.PositiveSmallIntegerField(
        _("weight: demonstration value"), default=15, validators=PERCENT
    )
    weight_continuity = models.PositiveSmallIntegerField(
        _("weight: continuity of demand"), default=10, validators=PERCENT
    )
    tier_a_min_score = models.PositiveSmallIntegerField(
        _("tier A from score"), default=70, validators=PERCENT
    )
    tier_b_min_score = models.PositiveSmallIntegerField(
        _("tier B from score"), default=40, validators=PERCENT
    )
    contribution_full_revenue = models.DecimalField(
        _("won revenue for full contribution"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("5000000"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Revenue won to date that scores 100 points of contribution."),
    )
    potential_full_budget = models.DecimalField(
        _("yearly budget for full potential"),
        max_digits=16,
        decimal_places=2,
        default=Decimal("10000000"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("A yearly budget in our category that scores 100 points of potential."),
    )
    continuity_full_years = models.PositiveSmallIntegerField(
        _("buying years for full continuity"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Distinct years with a won deal that score 100 points of continuity."),
    )
    attractiveness_weight_potential = models.PositiveSmallIntegerField(
        _("attractiveness: potential"), default=40, validators=PERCENT
    )
    attractiveness_weight_contribution = models.PositiveSmallIntegerField(
        _("attractiveness: contribution"), default=35, validators=PERCENT
    )
    attractiveness_weight_demonstration = models.PositiveSmallIntegerField(
        _("attractiveness: demonstration value"), default=25, validators=PERCENT
    )
    grid_high_min = models.PositiveSmallIntegerField(
        _("nine-grid: high from"), default=67, validators=PERCENT
    )
    grid_mid_min = models.PositiveSmallIntegerField(
        _("nine-grid: medium from"), default=34, validators=PERCENT
    )
    presales_weight_a = models.DecimalField(
        _("presales priority weight, tier A"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.50"),
    )
    presales_weight_b = models.DecimalField(
        _("presales priority weight, tier B"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
    )
    presales_weight_c = models.DecimalField(
        _("presales priority weight, tier C"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.60"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("tiering policy")
        verbose_name_plural = _("tiering policy")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="tiering_policy_single_row")
        ]

    def __str__(self) -> str:
        return str(_("Tiering policy"))

    @classmethod
    def current(cls) -> "TieringPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def weight(self, criterion: str) -> int:
        return getattr(self, f"weight_{criterion}")

    def presales_weight(self, tier: str) -> Decimal:
        return getattr(self, f"presales_weight_{tier.lower()}")

    def clean(self):
        super().clean()
        errors = {}
        if sum(self.weight(criterion) for criterion in Criterion.values) != 100:
            errors["weight_contribution"] = _("The five criterion weights must add up to 100.")
        if (
            self.attractiveness_weight_potential
            + self.attractiveness_weight_contribution
            + self.attractiveness_weight_demonstration
        ) != 100:
            errors["attractiveness_weight_potential"] = _(
                "The attractiveness weights must add up to 100."
            )
        if self.tier_b_min_score >= self.tier_a_min_score:
            errors["tier_b_min_score"] = _("Tier B must start below tier A.")
        if self.grid_mid_min >= self.grid_high_min:
            errors["grid_mid_min"] = _("Medium must start below high.")
        if errors:
            raise ValidationError(errors)


class Account(models.Model):
    """A customer company. Its tier fields are written only by accounts.services."""

    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(
        _("industry"), max_length=30, choices=Industry, default=Industry.OTHER
    )
    region = models.ForeignKey(
        "salesops.Team",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="region_accounts",
        limit_choices_to={"kind": "region"},
    )
    location = models.CharField(_("location"), max_length=120, blank=True)
    size = models.CharField(_("size"), max_length=20, choices=AccountSize, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_budget = models.DecimalField(
        _("yearly budget in our category"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("The customer's estimated yearly spend on what we sell."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    owner_team = models.ForeignKey(
        "salesops.Team",
        verbose_name=_("owner team"),
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_accounts",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AccountStatus, default=AccountStatus.PROSPECT
    )

    # Tiering results, written by accounts.services only.
    score = models.DecimalField(
        _("tier score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    computed_tier = models.CharField(_("computed tier"), max_length=1, choices=Tier, blank=True)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier, default=Tier.C, db_index=True)
    tier_explanation = models.JSONField(_("tier explanation"), default=list, blank=True)
    tier_override = models.CharField(_("tier override"), max_length=1, choices=Tier, blank=True)
    tier_override_reason = models.TextField(_("override reason"), blank=True)
    tier_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tier_override_at = models.DateTimeField(null=True, blank=True)
    attractiveness = models.CharField(
        _("attractiveness"), max_length=4, choices=GridLevel, blank=True
    )
    position = models.CharField(
        _("competitive position"), max_length=4, choices=GridLevel, blank=True
    )
    tiered_at = models.DateTimeField(_("tiered at"), null=True, blank=True)

    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="account_name_unique_ci",
                violation_error_message=_("An account with this name already exists."),
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="account_not_own_parent"
            ),
        ]
        indexes = [
            models.Index(fields=["owner_team", "tier"]),
            models.Index(fields=["attractiveness", "position"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def strategy(self) -> str:
        from .choices import NINE_GRID_STRATEGY

        if not (self.attractiveness and self.position):
            return ""
        return NINE_GRID_STRATEGY[(GridLevel(self.attractiveness), GridLevel(self.position))]

    def get_strategy_display(self) -> str:
        return Strategy(self.strategy).label if self.strategy else ""

    def clean(self):
        super().clean()
        if self.name:
            self.name = " ".join(self.name.split())
        if self.parent_id:
            seen = {self.pk} if self.pk else set()
            ancestor = self.parent
            while ancestor is not None:
                if ancestor.pk in seen:
                    raise ValidationError({"parent": _("An account cannot be its own ancestor.")})
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
        if self.region_id and self.region.kind != "region":
            raise ValidationError({"region": _("Choose a region, not a team.")})
        if (
            self.owner_id
            and self.owner_team_id
            and self.owner.team_id is not None
            and not (self.owner.team.path.startswith(self.owner_team.path))
        ):
            raise ValidationError({"owner": _("The account owner must work in the owner team.")})


class AssessmentCriterion(models.TextChoices):
    """The criteria an account owner scores by hand (the others come from data)."""

    POTENTIAL = Criterion.POTENTIAL.value, Criterion.POTENTIAL.label
    WINNABILITY = Criterion.WINNABILITY.value, Criterion.WINNABILITY.label
    DEMONSTRATION = Criterion.DEMONSTRATION.value, Criterion.DEMONSTRATION.label


class AccountAssessment(models.Model):
    """The account owner's score of one criterion, with the reason for it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.CharField(_("criterion"), max_length=20, choices=AssessmentCriterion)
    score = models.PositiveSmallIntegerField(_("score"), validators=PERCENT)
    note = models.TextField(_("note"))
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assessed_at = models.DateTimeField(_("assessed at"), auto_now=True)

    class Meta:
        verbose_name = _("account assessment")
        verbose_name_plural = _("account assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "criterion"], name="assessment_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=models.Q(score__lte=100), name="assessment_score_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.criterion}={self.score}"


class TierChange(models.Model):
    """History of every change of an account's tier: old, new, score, why and by whom."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tier_changes")
    old_tier = models.CharField(_("old tier"), max_length=1, choices=Tier, blank=True)
    new_tier = models.CharField(_("new tier"), max_length=1, choices=Tier)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True)
    source = models.CharField(_("source"), max_length=20, choices=TierChangeSource)
    reason = models.TextField(_("reason"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.account}: {self.old_tier or '—'} → {self.new_tier}"


class AccountTeamMember(models.Model):
    """The iron triangle of a strategic account: one person per role."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=AccountTeamRole)
    since = models.DateField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")
        constraints = [
            models.UniqueConstraint(fields=["account", "role"], name="account_team_one_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_role_display()} {self.user}"


class AccountTransfer(models.Model):
    """An account moved from one owner team to another."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey("salesops.Team", on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey("salesops.Team", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    transferred_at = models.DateTimeField(_("transferred at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account transfer")
        verbose_name_plural = _("account transfers")
        ordering = ["-transferred_at"]

    def __str__(self) -> str:
        return f"{self.account}: {self.from_team} → {self.to_team}"


class Contact(models.Model):
    """A person at the customer. Contacts belong to the account, not to the rep."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=[PHONE])
    email = models.EmailField(_("e-mail"), blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    is_active = models.BooleanField(_("still at the company"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account})"

    def clean(self):
        super().clean()
        if self.reports_to_id:
            if self.reports_to.account_id != self.account_id:
                raise ValidationError(
                    {"reports_to": _("A contact reports to someone at the same account.")}
                )
            seen = {self.pk} if self.pk else set()
            boss = self.reports_to
            while boss is not None:
                if boss.pk in seen:
                    raise ValidationError({"reports_to": _("Reporting lines cannot form a loop.")})
                seen.add(boss.pk)
                boss = boss.reports_to


class AccountPlan(models.Model):
    """The yearly plan of a strategic (tier A) account: objectives, goals beyond revenue, a
    wish list of target opportunities that the region and the account team decide on together,
    and a roadmap of the customer's initiatives against our offerings. Written by
    accounts.services only."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    revenue_objective = models.DecimalField(
        _("revenue objective"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Revenue to win from this customer in the year."),
    )
    gross_margin_objective_pct = models.DecimalField(
        _("gross margin objective (%)"),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT,
        help_text=_("Gross margin on that revenue, in per cent."),
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        ordering = ["account", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "year"],
                name="account_plan_one_per_year",
                violation_error_message=_("This account already has a plan for that year."),
            ),
            models.CheckConstraint(
                condition=models.Q(revenue_objective__gte=0),
                name="account_plan_revenue_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    gross_margin_objective_pct__gte=0, gross_margin_objective_pct__lte=100
                ),
                name="account_plan_margin_is_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.year}"

    @property
    def agreed_bid_amount(self) -> Decimal:
        """Estimated amount of the wish-list items decided as bid (uses prefetched items)."""
        return sum(
            (
                item.estimated_amount or Decimal(0)
                for item in self.wish_items.all()
                if item.decision == BidDecision.BID
            ),
            Decimal(0),
        )


class PlanGoal(models.Model):
    """A non-financial goal of an account plan, e.g. a reference site or a new business line."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="goals")
    kind = models.CharField(_("kind"), max_length=30, choices=PlanGoalKind)
    description = models.CharField(_("description"), max_length=300)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=PlanGoalStatus, default=PlanGoalStatus.OPEN
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        ordering = [models.F("due_date").asc(nulls_last=True), "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"


class WishListItem(models.Model):
    """A target opportunity on a strategic account's plan. The region and the account team
    each take a bid / no-bid position; when they agree that is the decision, when they
    disagree it is escalated to the next management level, which decides with both positions
    on record. `converted_at` is set when an opportunity is made from a bid item."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="wish_items")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    offering = models.CharField(
        _("our offering"), max_length=120, help_text=_("Our product or solution line.")
    )
    estimated_amount = models.DecimalField(
        _("estimated amount"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    expected_quarter = models.PositiveSmallIntegerField(
        _("expected quarter"), choices=Quarter, null=True, blank=True
    )

    region_position = models.CharField(
        _("region's position"),
        max_length=10,
        choices=BidPosition,
        default=BidPosition.UNDECIDED,
    )
    region_note = models.TextField(_("region's reason"), blank=True)
    region_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    region_at = models.DateTimeField(null=True, blank=True)
    account_team_position = models.CharField(
        _("account team's position"),
        max_length=10,
        choices=BidPosition,
        default=BidPosition.UNDECIDED,
    )
    account_team_note = models.TextField(_("account team's reason"), blank=True)
    account_team_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_team_at = models.DateTimeField(null=True, blank=True)

    decision = models.CharField(
        _("decision"),
        max_length=10,
        choices=BidDecision,
        default=BidDecision.PENDING,
        db_index=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalated_wish_items",
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_decision = models.CharField(
        _("escalation decision"),
        max_length=10,
        choices=BidPosition,
        default=BidPosition.UNDECIDED,
    )
    escalation_note = models.TextField(_("escalation reason"), blank=True)
    escalation_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalation_at = models.DateTimeField(null=True, blank=True)

    converted_at = models.DateTimeField(
        _("made an opportunity at"),
        null=True,
        blank=True,
        help_text=_("When an opportunity was made from this item."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")

    class Meta:
        verbose_name = _("wish-list item")
        verbose_name_plural = _("wish-list items")
        ordering = [models.F("expected_quarter").asc(nulls_last=True), "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region_position="undecided", region_at__isnull=True)
                | (~models.Q(region_position="undecided") & models.Q(region_at__isnull=False)),
                name="wish_region_position_dated",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(account_team_position="undecided", account_team_at__isnull=True)
                )
                | (
                    ~models.Q(account_team_position="undecided")
                    & models.Q(account_team_at__isnull=False)
                ),
                name="wish_account_team_position_dated",
            ),
            models.CheckConstraint(
                condition=models.Q(decision="pending")
                | models.Q(region_at__isnull=False, account_team_at__isnull=False),
                name="wish_decision_needs_both_positions",
            ),
            models.CheckConstraint(
                condition=models.Q(escalation_decision="undecided")
                | models.Q(escalated_at__isnull=False),
                name="wish_escalation_decided_after_escalation",
            ),
            models.CheckConstraint(
                condition=models.Q(converted_at__isnull=True) | models.Q(decision="bid"),
                name="wish_converted_only_when_bid",
            ),
            models.CheckConstraint(
                condition=models.Q(estimated_amount__isnull=True)
                | models.Q(estimated_amount__gte=0),
                name="wish_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_decided(self) -> bool:
        """A final bid or no-bid: positions can no longer change."""
        return self.decision in (BidDecision.BID, BidDecision.NO_BID)

    @property
    def was_escalated(self) -> bool:
        return self.escalated_at is not None


class RoadmapItem(models.Model):
    """One of the customer's planned initiatives, in months, against the offering of ours
    that serves it; optionally the wish-list item that targets it."""

    plan = models.ForeignKey(AccountPlan, on_delete=models.CASCADE, related_name="roadmap_items")
    initiative = models.CharField(_("customer initiative"), max_length=200)
    offering = models.CharField(
        _("our offering"), max_length=120, help_text=_("Our product or solution line.")
    )
    start_month = models.DateField(_("start month"), help_text=_("The first day of the month."))
    end_month = models.DateField(_("end month"), help_text=_("The first day of the month."))
    wish_item = models.ForeignKey(
        WishListItem,
        verbose_name=_("wish-list item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_items",
    )
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("roadmap item")
        verbose_name_plural = _("roadmap items")
        ordering = ["start_month", "end_month", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_month__gte=models.F("start_month")),
                name="roadmap_ends_after_start",
                violation_error_message=_("The end month cannot be before the start month."),
            ),
            models.CheckConstraint(
                condition=models.Q(start_month__day=1, end_month__day=1),
                name="roadmap_months_first_day",
                violation_error_message=_("Roadmap months start on the first day."),
            ),
        ]

    def __str__(self) -> str:
        return self.initiative

    def clean(self):
        super().clean()
        if self.start_month:
            self.start_month = self.start_month.replace(day=1)
        if self.end_month:
            self.end_month = self.end_month.replace(day=1)
        errors = {}
        if self.start_month and self.end_month and self.end_month < self.start_month:
            errors["end_month"] = _("The end month cannot be before the start month.")
        elif self.plan_id and self.start_month and self.end_month:
            year = self.plan.year
            if self.end_month.year < year or self.start_month.year > year:
                errors["start_month"] = _(
                    "The initiative must run at least partly in %(year)s, the plan's year."
                ) % {"year": year}
        if self.wish_item_id and self.wish_item.plan_id != self.plan_id:
            errors["wish_item"] = _("Choose a wish-list item of the same plan.")
        if errors:
            raise ValidationError(errors)

    def months_in_year(self, year: int) -> tuple[int, int] | None:
        """The first and last month (1–12) of the initiative within `year`, or None."""
        if self.end_month.year < year or self.start_month.year > year:
            return None
        first = self.start_month.month if self.start_month.year == year else 1
        last = self.end_month.month if self.end_month.year == year else 12
        return first, last
