"""Test data builders. Users and teams via factory_boy; tickets through the services, so every
ticket a test uses has the same events a real one would."""

from __future__ import annotations

import factory
from django.utils.text import slugify

from backline.accounts.choices import Role
from backline.accounts.models import Team, TeamMembership, User
from backline.tickets import services

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        for team in extracted or []:
            TeamMembership.objects.create(user=self, team=team)
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.name))
    tier = 2


def make_ticket(actor: User, **fields):
    """A ticket created by `actor` through the service layer."""
    fields.setdefault("title", "Printer on floor 3 prints blank pages")
    return services.ticket_create(actor=actor, **fields)
