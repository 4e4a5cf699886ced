import datetime
from decimal import Decimal

import factory

from salesops.choices import Role, TeamKind
from salesops.models import Target, Team, User


class TeamFactory(factory.django.DjangoModelFactory):
    """Builds tree nodes through treebeard: pass parent=... for a child team."""

    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n:03d}")
    kind = TeamKind.SALES

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        if parent is None:
            return model_class.objects.add_root(kwargs)
        return model_class.objects.add_child(parent, kwargs)

    @classmethod
    def region(cls, **kwargs):
        return cls(kind=TeamKind.REGION, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    role = Role.REP
    team = factory.SubFactory(TeamFactory)
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])

    class Params:
        admin = factory.Trait(role=Role.ADMIN, team=None, is_staff=True, is_superuser=True)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    user = factory.SubFactory(UserFactory)
    month = datetime.date(2026, 11, 1)
    amount = Decimal("500000.00")


class AccountFactory(factory.django.DjangoModelFactory):
    """An account row as stored; use accounts.services.account_create for the full rules."""

    class Meta:
        model = "accounts.Account"

    name = factory.Sequence(lambda n: f"Customer {n:04d} Ltd")
    industry = "manufacturing"
    owner_team = factory.SubFactory(TeamFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Contact"

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name", locale="zh_CN")
    title = "IT Director"
    email = factory.Sequence(lambda n: f"contact{n}@customer.example.com")


class SalesProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "opportunities.SalesProcess"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"process-{n}")
    name_en = factory.LazyAttribute(lambda process: process.code.title())


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "opportunities.Stage"

    process = factory.SubFactory(SalesProcessFactory)
    order = factory.Sequence(lambda n: n + 1)
    code = factory.LazyAttribute(lambda stage: f"stage-{stage.order}")
    name_en = factory.LazyAttribute(lambda stage: f"Stage {stage.order}")
    customer_name_en = factory.LazyAttribute(lambda stage: f"Customer stage {stage.order}")
    probability = 10
    customer_probability = factory.LazyAttribute(lambda stage: stage.probability)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "opportunities.Milestone"

    stage = factory.SubFactory(StageFactory)
    code = factory.Sequence(lambda n: f"milestone-{n}")
    name_en = factory.LazyAttribute(lambda milestone: milestone.code.replace("-", " "))
    is_required = True


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resources.Skill"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n:03d}")


class EngineerProfileFactory(factory.django.DjangoModelFactory):
    """A presales engineer: 40 hours a week, 500 an hour, in a presales team of their own
    unless a user is given."""

    class Meta:
        model = "resources.EngineerProfile"
        django_get_or_create = ("user",)

    user = factory.SubFactory(
        UserFactory,
        role=Role.PRESALES_ENGINEER,
        team=factory.SubFactory(TeamFactory, kind=TeamKind.PRESALES),
    )
    weekly_capacity_hours = Decimal("40.00")
    cost_rate_per_hour = Decimal("500.00")


class EngineerSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resources.EngineerSkill"

    engineer = factory.SubFactory(EngineerProfileFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class DayOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "resources.DayOff"

    engineer = factory.SubFactory(EngineerProfileFactory)
    date = datetime.date(2027, 3, 3)
    reason = "Annual leave"
