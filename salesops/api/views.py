from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from salesops import selectors, services
from salesops.filtersets import TargetFilterSet, TeamFilterSet, UserFilterSet

from .serializers import (
    TargetSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    UserSerializer,
)


class TokenThrottle(AnonRateThrottle):
    scope = "token"


@extend_schema(
    request=TokenRequestSerializer,
    responses={200: TokenResponseSerializer},
    summary="Exchange a username and password for an API token",
    auth=[],
)
@api_view(["POST"])
@permission_classes([AllowAny])
@throttle_classes([TokenThrottle])
def obtain_token(request):
    serializer = TokenRequestSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    user = authenticate(request, **serializer.validated_data)
    if user is None or not user.is_active:
        return Response(
            {"non_field_errors": [_("Unable to log in with the given username and password.")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    token, _created = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})


@extend_schema(responses=UserSerializer, summary="The authenticated user")
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request):
    return Response(UserSerializer(request.user).data)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Users the caller may see: everyone for admins, a manager's subtree, else oneself."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    search_fields = ["username", "name", "first_name", "last_name", "email"]
    ordering_fields = ["username", "name", "role", "date_joined"]
    ordering = ["username"]

    def get_queryset(self):
        return selectors.user_list_visible_to(self.request.user)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """The sales organisation as a tree of regions and teams, scoped to the caller."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "path"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors.team_tree_visible_to(self.request.user)


class TargetViewSet(
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Monthly quotas of teams and users. Managers set them inside the subtree they lead.

    Creating a target for a team or user and month that already has one replaces its amount.
    """

    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet
    ordering_fields = ["month", "amount"]
    ordering = ["-month", "id"]

    def get_queryset(self):
        return selectors.target_list_visible_to(self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.target_set(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        target = serializer.instance
        data = serializer.validated_data
        for field in ("team", "user", "month"):
            if field in data and data[field] != getattr(target, field):
                raise ValidationError({field: [_("Cannot be changed; create a new target.")]})
        serializer.instance = services.target_set(
            by=self.request.user,
            team=target.team,
            user=target.user,
            month=target.month,
            amount=data.get("amount", target.amount),
        )

    def perform_destroy(self, instance):
        services.target_delete(by=self.request.user, target=instance)
