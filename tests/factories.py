"""Factories for the core models. Each area may add its own ``tests/<app>/factories.py``."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from clusters.models import Cluster, District, Membership, Phase, Role, School, SchoolYearStats
from funding.models import FundingRequest, FundingStream, ProvisionLine, ReviewCycle

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"District {n}")


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"Cluster {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    urn = factory.Sequence(lambda n: 100000 + n)
    name = factory.Sequence(lambda n: f"School {n} Primary")
    la_code = "931"
    la_name = "Oxfordshire"
    establishment_type = "Community school"
    gias_phase = "Primary"
    phase = Phase.PRIMARY
    cluster = factory.SubFactory(ClusterFactory)


class SchoolYearStatsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYearStats

    school = factory.SubFactory(SchoolFactory)
    academic_year = 2025
    number_on_roll = 300
    fsm_pupils = 45
    fsm_percent = Decimal("15.00")
    ehcp_pupils = 9
    sen_support_pupils = 40
    suspensions = 3
    permanent_exclusions = 0
    sen_joiners_no_move = 1
    notional_sen_budget = Decimal("120000.00")


def make_user(
    role: str, *, school: School | None = None, cluster: Cluster | None = None, **kw
) -> User:
    """A user holding one role, scoped as the role needs."""
    user = UserFactory(**kw)
    Membership.objects.create(
        user=user,
        role=role,
        school=school if role in (Role.SENCO, Role.HEADTEACHER) else None,
        cluster=cluster if role == Role.PANEL_MEMBER else None,
    )
    return user


class FundingStreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingStream
        django_get_or_create = ("code",)

    code = "ENG"
    name = "Exceptional Needs Grant"
    max_award = Decimal("15000.00")
    max_duration_weeks = 52
    eligible_phases = ["nursery", "primary", "secondary", "all_through", "post16"]


class FundingRequestFactory(factory.django.DjangoModelFactory):
    """A complete draft for an individual pupil, ready to submit."""

    class Meta:
        model = FundingRequest
        skip_postgeneration_save = True

    stream = factory.SubFactory(FundingStreamFactory)
    school = factory.SubFactory(SchoolFactory)
    cluster = factory.LazyAttribute(lambda r: r.school.cluster)
    created_by = factory.SubFactory(UserFactory)
    pupil_initials = "AB"
    year_group = "4"
    sex = "F"
    primary_need = "SLCN"
    secondary_need = "SEMH"
    sen_support_since = factory.Faker("date_between", start_date="-3y", end_date="-6M")
    ordinarily_available_provision = "Visual timetable, small-group phonics, quiet space."
    outcomes_sought = "To communicate needs in class using a full sentence."
    agencies_involved = "Speech and language therapy (NHS)."
    parent_voice = "We want her to make friends."
    pupil_voice = "I like talking with Miss."
    start_date = factory.Faker("date_between", start_date="+1M", end_date="+2M")
    end_date = factory.LazyAttribute(lambda r: r.start_date + timedelta(weeks=30))
    parental_consent = True
    consent_date = factory.Faker("date_between", start_date="-1M", end_date="today")

    @factory.post_generation
    def evidence(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        ReviewCycle.objects.create(
            request=obj,
            order=1,
            assess="Speech screen: below age.",
            plan="Talk Boost, 3x weekly",
            duration_weeks=10,
            impact="Some progress; still cannot join class talk.",
        )
        ProvisionLine.objects.create(
            request=obj,
            order=1,
            description="Teaching assistant 1:1",
            hours_per_week=Decimal("10"),
            weeks=Decimal("30"),
            hourly_rate=Decimal("25.00"),
        )
