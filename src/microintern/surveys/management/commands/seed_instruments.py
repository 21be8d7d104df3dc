from django.core.management.base import BaseCommand

from microintern.surveys.instruments import install, upgrade
from microintern.surveys.models import Instrument, InstrumentVersion, Item


class Command(BaseCommand):
    help = "Install the standard survey instruments if missing, or give them the current wording."

    def handle(self, *args, **options):
        created = install(Instrument, InstrumentVersion, Item)
        upgraded = upgrade(Instrument, InstrumentVersion, Item)
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} instrument(s) installed, {upgraded} given the current wording."
            )
        )
