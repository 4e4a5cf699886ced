"""Forms of the account pages. They collect input; the rules live in accounts.services and the
models, whose messages the views put back on the form."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from salesops.choices import TeamKind
from salesops.exceptions import DomainError
from salesops.forms import BootstrapFormMixin
from salesops.models import Team, User
from salesops.selectors import team_list_visible_to, user_list_visible_to

from .choices import AccountTeamRole, Tier
from .models import Account, AccountAssessment, Contact, TieringPolicy
from .selectors import account_list_visible_to


class ServiceErrorsMixin(BootstrapFormMixin):
    """Put a service's refusal on the form: field messages on their fields, the rest on top."""

    def add_service_error(self, error: Exception) -> None:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                target = field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        elif isinstance(error, ValidationError):
            for message in error.messages:
                self.add_error(None, message)
        elif isinstance(error, DomainError):
            self.add_error(None, error.detail)
            for reason in error.reasons:
                self.add_error(None, reason)
        else:
            raise error


class AccountForm(ServiceErrorsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

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

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Team.objects.filter(kind=TeamKind.REGION, is_active=True)
        parents = account_list_visible_to(user).only("pk", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["owner"].queryset = user_list_visible_to(user).filter(is_active=True)
        if self.instance.pk:
            # Ownership moves between teams through a transfer, not an edit.
            del self.fields["owner_team"]
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
            self.fields["owner_team"].queryset = team_list_visible_to(user).filter(
                kind=TeamKind.SALES, is_active=True
            )
            if user.team_id and user.team.kind == TeamKind.SALES:
                self.fields["owner_team"].initial = user.team_id
                self.fields["owner"].initial = user.pk

    def _post_clean(self):
        # The service runs the model's validation once, on the locked row; running it here
        # as well would check a stale copy.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("owner_team", None)
        return data


class TierOverrideForm(BootstrapFormMixin, forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the computed tier is wrong for this account. Kept in the history."),
    )


class AssessmentForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = AccountAssessment
        fields = ["criterion", "score", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"score": _("0–100"), "note": _("What the score rests on.")}

    def _post_clean(self):
        pass


class TransferForm(BootstrapFormMixin, forms.Form):
    to_team = forms.ModelChoiceField(label=_("To team"), queryset=Team.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user: User, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = (
            Team.objects.filter(kind=TeamKind.SALES, is_active=True)
            .exclude(pk=account.owner_team_id)
            .order_by("path")
        )


class AccountTeamForm(BootstrapFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=AccountTeamRole.choices)
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Leave empty to free the role."),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("name")


def _contact_label(contact: Contact) -> str:
    return f"{contact.name} · {contact.title}" if contact.title else contact.name


class ContactForm(ServiceErrorsMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "department",
            "phone",
            "email",
            "reports_to",
            "is_active",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        colleagues = account.contacts.order_by("name")
        if self.instance.pk:
            colleagues = colleagues.exclude(pk=self.instance.pk)
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]
        self.fields["reports_to"].queryset = colleagues
        self.fields["reports_to"].label_from_instance = _contact_label

    def _post_clean(self):
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


POLICY_GROUPS = [
    (
        _("Criterion weights (sum 100)"),
        [
            "weight_contribution",
            "weight_potential",
            "weight_winnability",
            "weight_demonstration",
            "weight_continuity",
        ],
    ),
    (_("Tier thresholds"), ["tier_a_min_score", "tier_b_min_score"]),
    (
        _("Scoring rules"),
        ["contribution_full_revenue", "potential_full_budget", "continuity_full_years"],
    ),
    (
        _("Nine-grid attractiveness (sum 100)"),
        [
            "attractiveness_weight_potential",
            "attractiveness_weight_contribution",
            "attractiveness_weight_demonstration",
        ],
    ),
    (_("Nine-grid levels"), ["grid_high_min", "grid_mid_min"]),
    (
        _("Presales priority weight by tier"),
        ["presales_weight_a", "presales_weight_b", "presales_weight_c"],
    ),
]


class TieringPolicyForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = TieringPolicy
        fields = [name for _title, names in POLICY_GROUPS for name in names]

    def groups(self):
        return [
            {"title": title, "fields": [self[name] for name in names]}
            for title, names in POLICY_GROUPS
        ]

    def _post_clean(self):
        pass
