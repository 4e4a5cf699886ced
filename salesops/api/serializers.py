from rest_framework import serializers

from salesops.models import Target, Team, User
from salesops.selectors import team_list_visible_to, user_list_visible_to


class UserSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "email",
            "role",
            "role_display",
            "team",
            "title",
            "is_active",
        ]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", read_only=True, allow_null=True)
    manager_name = serializers.CharField(
        source="manager.get_full_name", read_only=True, default=None
    )

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "depth", "manager", "manager_name", "is_active"]
        read_only_fields = fields


class TargetSerializer(serializers.ModelSerializer):
    """Writes go through salesops.services.target_set, which owns the rules."""

    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, allow_null=True
    )
    set_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Target
        fields = ["id", "team", "user", "month", "amount", "set_by", "updated_at"]
        read_only_fields = ["id", "set_by", "updated_at"]
        # Setting a target that exists replaces it (the service upserts), so the model's
        # unique constraints are not validation errors here.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = team_list_visible_to(request.user)
            self.fields["user"].queryset = user_list_visible_to(request.user)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
