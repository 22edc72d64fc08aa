"""The invitations API's shapes."""

from __future__ import annotations

from rest_framework import serializers

from clusters.models import Cluster, Membership, Role, School

from .models import Invitation


class InvitationSerializer(serializers.ModelSerializer):
    school_urn = serializers.IntegerField(source="school.urn", read_only=True, allow_null=True)
    cluster_code = serializers.CharField(source="cluster.code", read_only=True, allow_null=True)
    state = serializers.CharField(read_only=True)
    invited_by = serializers.CharField(source="invited_by.username", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id", "email", "first_name", "last_name", "role", "school_urn", "cluster_code",
            "state", "invited_by", "created", "expires_at", "accepted_at", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150)
    last_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    school_urn = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    cluster_code = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate(self, data):
        urn = data.pop("school_urn", None)
        code = data.pop("cluster_code", "")
        data["school"] = data["cluster"] = None
        if urn:
            data["school"] = School.objects.filter(urn=urn).first()
            if data["school"] is None:
                raise serializers.ValidationError({"school_urn": f"No school has URN {urn}"})
        if code:
            data["cluster"] = Cluster.objects.filter(code=code).first()
            if data["cluster"] is None:
                raise serializers.ValidationError({"cluster_code": f"No cluster has code {code}"})
        return data


class BulkSerializer(serializers.Serializer):
    csv = serializers.CharField(
        max_length=2 * 1024 * 1024,
        trim_whitespace=False,
        help_text="The file's text: URN, role, first name, last name, email",
    )
    apply = serializers.BooleanField(
        default=False, help_text="false: preview only (nothing written); true: invite"
    )


class BulkRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    role = serializers.CharField()
    place = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["new", "unchanged"])
    reason = serializers.CharField()


class BulkProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class BulkAnswerSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    new = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rows = BulkRowSerializer(many=True)
    problems = BulkProblemSerializer(many=True)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    email = serializers.CharField(source="user.email", read_only=True)
    school_urn = serializers.IntegerField(source="school.urn", read_only=True, allow_null=True)
    school_name = serializers.CharField(source="school.name", read_only=True, allow_null=True)
    cluster_code = serializers.CharField(source="cluster.code", read_only=True, allow_null=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = [
            "id", "username", "name", "email", "role", "school_urn", "school_name",
            "cluster_code", "created", "ends_on", "current",
        ]  # fmt: skip
        read_only_fields = fields

    def get_current(self, membership: Membership) -> bool:
        return membership.is_current()


class EndMembershipSerializer(serializers.Serializer):
    ends_on = serializers.DateField(
        help_text="The first day the membership gives no access: today or later"
    )
    hand_to = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="Username of another SENCO at the school, to take a leaving SENCO's drafts",
    )
    confirm_chair_changes = serializers.BooleanField(
        default=False,
        help_text="Go ahead although ending their panel seat changes a published meeting's "
        "chair (without it such a change answers 409, listing them, and nothing is saved)",
    )

    def validate_hand_to(self, value: str):
        if not value:
            return None
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=value).first()
        if user is None:
            raise serializers.ValidationError(f"No one has the username {value}")
        return user
