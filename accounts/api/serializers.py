"""Shapes of the accounts API.

Read serializers describe what comes back. Input serializers check only the shape of a request:
types, choices, and ids among those the caller may pick. Who may do what, tiers, versions and
the model's constraints are checked by accounts.services and the models, whose refusals the
API's exception handler turns into 400, 403 or 409.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.choices import AccountTeamRole, Strategy, Tier
from accounts.models import (
    Account,
    AccountAssessment,
    AccountTeamMember,
    Contact,
    TierChange,
    TieringPolicy,
)
from accounts.selectors import account_list_visible_to, contact_list_visible_to
from accounts.tiering import describe
from salesops.api.mixins import VersionedUpdateMixin
from salesops.choices import TeamKind
from salesops.models import Team, User
from salesops.selectors import team_list_visible_to, user_list_visible_to


def _user_of(serializer: serializers.Serializer) -> User | None:
    request = serializer.context.get("request")
    return request.user if request is not None else None


# Accounts


class TierExplanationSerializer(serializers.Serializer):
    """Where one criterion's points in the tier score come from."""

    criterion = serializers.CharField(help_text=_("The tiering criterion."))
    score = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("The criterion's score, 0–100.")
    )
    weight = serializers.IntegerField(help_text=_("Its weight in the tier score, in percent."))
    points = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text=_("Points it adds to the tier score.")
    )
    source = serializers.CharField(
        help_text=_("Where the score comes from: data, owner (an assessment) or none.")
    )
    reason = serializers.CharField(
        help_text=_(
            "The rule that gave the score: won_revenue, buying_years, budget, size, owner or none."
        )
    )
    detail = serializers.SerializerMethodField()

    def get_detail(self, item: dict) -> str:
        """The rule and its facts in the reader's language."""
        return describe(item)


# A choice set gets one enum in the schema, named after the field that uses it; fields that
# reuse the tier, grid-level or team-role choices under another name are plain strings here
# (their labels are in the *_display fields). Naming them all would take ENUM_NAME_OVERRIDES
# in SPECTACULAR_SETTINGS.


class AccountTeamMemberSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text=_("An account team role."))
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    user_name = serializers.CharField(source="user.get_full_name", read_only=True)

    class Meta:
        model = AccountTeamMember
        fields = ["role", "role_display", "user", "user_name", "since"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    """An account as read. Score, tiers and the nine-grid cell are written only by the
    tiering services (recompute, assessment, override), never by an edit."""

    industry_display = serializers.CharField(source="get_industry_display", read_only=True)
    size_display = serializers.CharField(source="get_size_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True, allow_null=True)
    parent_name = serializers.CharField(source="parent.name", read_only=True, allow_null=True)
    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True)
    owner_name = serializers.CharField(
        source="owner.get_full_name", read_only=True, allow_null=True
    )
    tier_display = serializers.CharField(source="get_tier_display", read_only=True)
    computed_tier = serializers.CharField(
        read_only=True, help_text=_("The tier the score gives: A, B, C, or blank if not tiered.")
    )
    computed_tier_display = serializers.CharField(
        source="get_computed_tier_display", read_only=True
    )
    tier_explanation = TierExplanationSerializer(many=True, read_only=True)
    tier_override = serializers.CharField(
        read_only=True, help_text=_("The tier a manager set by hand (A, B, C), or blank.")
    )
    attractiveness = serializers.CharField(
        read_only=True, help_text=_("Nine-grid row: high, mid, low, or blank if not tiered.")
    )
    attractiveness_display = serializers.CharField(
        source="get_attractiveness_display", read_only=True
    )
    position = serializers.CharField(
        read_only=True,
        help_text=_("Nine-grid column, our competitive position: high, mid, low, or blank."),
    )
    position_display = serializers.CharField(source="get_position_display", read_only=True)
    strategy = serializers.ChoiceField(
        choices=Strategy.choices,
        allow_blank=True,
        read_only=True,
        help_text=_("Set by the nine-grid cell; blank until the account is tiered."),
    )
    strategy_display = serializers.CharField(source="get_strategy_display", read_only=True)
    account_team = AccountTeamMemberSerializer(source="team_members", many=True, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "industry",
            "industry_display",
            "region",
            "region_name",
            "location",
            "size",
            "size_display",
            "employees",
            "annual_budget",
            "parent",
            "parent_name",
            "owner_team",
            "owner_team_name",
            "owner",
            "owner_name",
            "status",
            "status_display",
            "score",
            "computed_tier",
            "computed_tier_display",
            "tier",
            "tier_display",
            "tier_explanation",
            "tier_override",
            "tier_override_reason",
            "tier_override_by",
            "tier_override_at",
            "attractiveness",
            "attractiveness_display",
            "position",
            "position_display",
            "strategy",
            "strategy_display",
            "tiered_at",
            "account_team",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AccountCreateSerializer(serializers.ModelSerializer):
    """A new account. The service checks that the caller may create accounts for the owner
    team; the model that the name is unique, the parent chain has no loop and the owner works
    in the owner team."""

    class Meta:
        model = Account
        fields = [
            "name",
            "industry",
            "status",
            "region",
            "location",
            "size",
            "employees",
            "annual_budget",
            "parent",
            "owner_team",
            "owner",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["parent"].queryset = account_list_visible_to(user)
            self.fields["owner_team"].queryset = team_list_visible_to(user).filter(
                kind=TeamKind.SALES, is_active=True
            )
            self.fields["owner"].queryset = user_list_visible_to(user).filter(is_active=True)


class AccountUpdateSerializer(VersionedUpdateMixin, serializers.ModelSerializer):
    """An edit of an account's own fields, with the version it was read at."""

    version = serializers.IntegerField(
        help_text=_("The version you read; if the account changed since, the edit gets 409.")
    )
    fixed_fields = {
        "owner_team": _("Transfer the account to move it to another team."),
    }

    class Meta:
        model = Account
        fields = [
            "name",
            "industry",
            "status",
            "region",
            "location",
            "size",
            "employees",
            "annual_budget",
            "parent",
            "owner",
            "version",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["parent"].queryset = account_list_visible_to(user)
            self.fields["owner"].queryset = user_list_visible_to(user).filter(is_active=True)


class TierOverrideSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    reason = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "Why the computed tier is wrong for this account. Required; kept in the history."
        ),
    )


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccountAssessment
        fields = ["criterion", "score", "note"]
        # The service explains what a blank note lacks.
        extra_kwargs = {"note": {"allow_blank": True}}


class TransferSerializer(serializers.Serializer):
    to_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(kind=TeamKind.SALES, is_active=True)
    )
    reason = serializers.CharField(allow_blank=True, help_text=_("Required; kept in the history."))


class AccountTeamSetSerializer(serializers.Serializer):
    # A string, not an enum, to keep the schema's RoleEnum the users' role; the service
    # refuses an unknown role.
    role = serializers.CharField(
        help_text=format_lazy(_("One of: {roles}."), roles=", ".join(AccountTeamRole.values))
    )
    # Anyone active may serve on an account team: solution and delivery owners usually work
    # outside the sales team that owns the account.
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text=_("The person for the role, or null to free it."),
    )


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


# Contacts


class ContactSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    reports_to_name = serializers.CharField(
        source="reports_to.name", read_only=True, allow_null=True
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "account_name",
            "name",
            "title",
            "department",
            "phone",
            "email",
            "reports_to",
            "reports_to_name",
            "is_active",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


CONTACT_INPUT_FIELDS = [
    "name",
    "title",
    "department",
    "phone",
    "email",
    "reports_to",
    "is_active",
    "notes",
]


class ContactCreateSerializer(serializers.ModelSerializer):
    """A person at one of the caller's visible accounts. The model checks that they report to
    someone at the same account."""

    class Meta:
        model = Contact
        fields = ["account", *CONTACT_INPUT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["account"].queryset = account_list_visible_to(user)
            self.fields["reports_to"].queryset = contact_list_visible_to(user)


class ContactUpdateSerializer(VersionedUpdateMixin, serializers.ModelSerializer):
    version = serializers.IntegerField(
        help_text=_("The version you read; if the contact changed since, the edit gets 409.")
    )
    fixed_fields = {
        "account": _("A contact stays with their account; add them to the other account."),
    }

    class Meta:
        model = Contact
        fields = [*CONTACT_INPUT_FIELDS, "version"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["reports_to"].queryset = contact_list_visible_to(user)


# Tier history and policy


class TierChangeSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    old_tier = serializers.CharField(
        read_only=True, help_text=_("A, B, C, or blank when the account was created.")
    )
    old_tier_display = serializers.CharField(source="get_old_tier_display", read_only=True)
    new_tier = serializers.CharField(read_only=True, help_text=_("A, B or C."))
    new_tier_display = serializers.CharField(source="get_new_tier_display", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    changed_by_name = serializers.CharField(
        source="changed_by.get_full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = TierChange
        fields = [
            "id",
            "account",
            "account_name",
            "old_tier",
            "old_tier_display",
            "new_tier",
            "new_tier_display",
            "score",
            "source",
            "source_display",
            "reason",
            "changed_by",
            "changed_by_name",
            "changed_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(many=False)  # the one policy, although it sits at a collection URL
class TieringPolicySerializer(serializers.ModelSerializer):
    """The company's tiering policy. The model checks that weights add up to 100 and that
    thresholds are in order."""

    class Meta:
        model = TieringPolicy
        exclude = ["id"]
        read_only_fields = ["updated_at", "updated_by"]
