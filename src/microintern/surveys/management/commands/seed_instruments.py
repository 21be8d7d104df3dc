from django.core.management.base import BaseCommand

from microintern.surveys.instruments import install
from microintern.surveys.models import Instrument, InstrumentVersion, Item


class Command(BaseCommand):
    help = "Install the standard survey instruments if they are missing (idempotent)."

    def handle(self, *args, **options):
        created = install(Instrument, InstrumentVersion, Item)
        self.stdout.write(self.style.SUCCESS(f"{created} instrument(s) installed."))
