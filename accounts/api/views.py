"""The accounts API: thin viewsets over accounts.selectors (reads, visibility first) and
accounts.services (writes). A record the caller cannot see answers 404."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors, services, tasks
from accounts.filtersets import AccountFilterSet, ContactFilterSet, TierChangeFilterSet
from accounts.models import AccountTeamMember, TieringPolicy
from salesops.api.mixins import FILTER_BACKENDS, IsAdministrator

from .serializers import (
    AccountCreateSerializer,
    AccountSerializer,
    AccountTeamSetSerializer,
    AccountUpdateSerializer,
    AssessmentSerializer,
    ContactCreateSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    DetailSerializer,
    TierChangeSerializer,
    TieringPolicySerializer,
    TierOverrideSerializer,
    TransferSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Accounts the caller may see"),
    retrieve=extend_schema(summary="One account with its tier explanation and account team"),
)
class AccountViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Customer accounts. Accounts are not deleted: set their status to closed."""

    serializer_class = AccountSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "tier", "score", "created_at", "updated_at"]
    ordering = ["name"]

    def get_queryset(self):
        return (
            selectors.account_list_visible_to(self.request.user)
            .select_related("region", "parent", "owner_team", "owner")
            .prefetch_related(
                Prefetch(
                    "team_members",
                    queryset=AccountTeamMember.objects.select_related("user").order_by("role"),
                )
            )
        )

    def get_serializer_class(self):
        # Input shapes per action, for validation and for the schema; responses are accounts.
        return {
            "create": AccountCreateSerializer,
            "partial_update": AccountUpdateSerializer,
            "override_tier": TierOverrideSerializer,
            "assess": AssessmentSerializer,
            "transfer": TransferSerializer,
            "team": AccountTeamSetSerializer,
        }.get(self.action, AccountSerializer)

    def _input(self) -> dict:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _account_response(self, account, status_code=status.HTTP_200_OK) -> Response:
        # Reloaded with its relations and account team, as a list or detail shows it.
        account = self.get_queryset().filter(pk=account.pk).first() or account
        return Response(AccountSerializer(account).data, status=status_code)

    @extend_schema(
        summary="Create an account; its tier is computed at once",
        responses={201: AccountSerializer},
    )
    def create(self, request):
        account = services.account_create(by=request.user, **self._input())
        return self._account_response(account, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit an account; send the version you read (a stale one gets 409)",
        responses={200: AccountSerializer},
    )
    def partial_update(self, request, pk=None):
        account = self.get_object()
        serializer = self.get_serializer(account, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version")
        account = services.account_update(
            account=account, by=request.user, version=version, **fields
        )
        return self._account_response(account)

    @extend_schema(
        summary="Set the tier by hand, with a reason (managers of the owner team)",
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["post"], url_path="override-tier")
    def override_tier(self, request, pk=None):
        account = services.account_override_tier(
            account=self.get_object(), by=request.user, **self._input()
        )
        return self._account_response(account)

    @extend_schema(
        summary="Go back to the computed tier (managers of the owner team)",
        request=None,
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["post"], url_path="clear-override")
    def clear_override(self, request, pk=None):
        account = services.account_clear_tier_override(account=self.get_object(), by=request.user)
        return self._account_response(account)

    @extend_schema(
        summary="Score a judgement criterion (0–100) with a note; the tier is recomputed",
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None):
        account = services.account_assess(
            account=self.get_object(), by=request.user, **self._input()
        )
        return self._account_response(account)

    @extend_schema(
        summary="Move the account to another owner team, with a reason",
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        account = services.account_transfer(
            account=self.get_object(), by=request.user, **self._input()
        )
        return self._account_response(account)

    @extend_schema(
        summary="Fill or free (user null) one role of a strategic account's team",
        responses={200: AccountSerializer},
    )
    @action(detail=True, methods=["put", "post"])
    def team(self, request, pk=None):
        account = self.get_object()
        services.account_team_set(account=account, by=request.user, **self._input())
        return self._account_response(account)

    @extend_schema(
        summary="Recompute every account's tier in the background (administrators)",
        request=None,
        responses={202: DetailSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="recompute-tiers",
        permission_classes=[IsAdministrator],
    )
    def recompute_tiers(self, request):
        tasks.recompute_tiers.delay()
        return Response(
            {"detail": _("Tiers are being recomputed.")}, status=status.HTTP_202_ACCEPTED
        )


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People at the caller's visible accounts. Contacts are not deleted: set is_active to
    false when they leave the company."""

    serializer_class = ContactSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ContactFilterSet
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["account__name", "name"]

    def get_queryset(self):
        return selectors.contact_list_visible_to(self.request.user).select_related(
            "account", "reports_to"
        )

    def get_serializer_class(self):
        return {
            "create": ContactCreateSerializer,
            "partial_update": ContactUpdateSerializer,
        }.get(self.action, ContactSerializer)

    def _contact_response(self, contact, status_code=status.HTTP_200_OK) -> Response:
        contact = self.get_queryset().filter(pk=contact.pk).first() or contact
        return Response(ContactSerializer(contact).data, status=status_code)

    @extend_schema(summary="Add a person at an account", responses={201: ContactSerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = services.contact_create(by=request.user, **serializer.validated_data)
        return self._contact_response(contact, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a contact; send the version you read (a stale one gets 409)",
        responses={200: ContactSerializer},
    )
    def partial_update(self, request, pk=None):
        contact = self.get_object()
        serializer = self.get_serializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version")
        contact = services.contact_update(
            contact=contact, by=request.user, version=version, **fields
        )
        return self._contact_response(contact)


class TierChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """The history of tier changes of the caller's visible accounts: computed, overridden,
    cleared, with the score and who changed it."""

    serializer_class = TierChangeSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = TierChangeFilterSet
    ordering_fields = ["changed_at"]
    ordering = ["-changed_at", "-pk"]

    def get_queryset(self):
        return selectors.tier_change_list_visible_to(self.request.user).select_related(
            "account", "changed_by"
        )


class TieringPolicyViewSet(viewsets.GenericViewSet):
    """The company's one tiering policy, at its collection URL: GET reads it, PATCH changes
    it. Administrators only. A change to weights, thresholds or scoring rules re-tiers every
    account in the background."""

    serializer_class = TieringPolicySerializer
    permission_classes = [IsAdministrator]
    pagination_class = None
    filter_backends = []

    @classmethod
    def as_view(cls, actions=None, **initkwargs):
        # A router binds a collection URL to GET (list) and POST (create) only; this singleton
        # is changed with PATCH at that URL and has no detail URL.
        return super().as_view({**(actions or {}), "patch": "change"}, **initkwargs)

    @extend_schema(operation_id="v1_tiering_policy_retrieve", summary="The tiering policy")
    def list(self, request):
        return Response(self.get_serializer(TieringPolicy.current()).data)

    @extend_schema(
        operation_id="v1_tiering_policy_partial_update", summary="Change the tiering policy"
    )
    def change(self, request):
        serializer = self.get_serializer(TieringPolicy.current(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.tiering_policy_update(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(policy).data)
