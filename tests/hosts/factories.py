"""factory-boy factories for hosts: organisations, contacts, their challenges and the
briefing files they share."""

import factory

from microintern.hosts.enums import OrganisationKind, SizeBand
from microintern.hosts.models import BriefingMaterial, Challenge, HostContact, Organisation


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Host Organisation {n}")
    kind = OrganisationKind.CHARITY
    sector = "Community"
    size_band = SizeBand.SMALL
    address = "1 High Street\nMidtown"


class HostContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostContact

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Faker("name", locale="en_GB")
    email = factory.Sequence(lambda n: f"contact{n}@host.example")


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    contact = factory.SubFactory(HostContactFactory)
    organisation = factory.SelfAttribute("contact.organisation")
    title = factory.Sequence(lambda n: f"Challenge {n}")
    context = "A small charity."
    question = "How should we recruit volunteers?"
    good_outcome = "Three options and a recommendation."


class BriefingMaterialFactory(factory.django.DjangoModelFactory):
    """A briefing file already checked and stored (a small PDF by default)."""

    class Meta:
        model = BriefingMaterial

    micro_internship = factory.SubFactory("tests.programme.factories.MicroInternshipFactory")
    token = factory.Sequence(lambda n: f"briefing-token-{n}")
    original_name = "brief.pdf"
    content_type = "application/pdf"
    file = factory.django.FileField(data=b"%PDF-1.4\n% brief\n", filename="brief")
    size = factory.LazyAttribute(lambda o: len(o.file.read()) if o.file else 0)
