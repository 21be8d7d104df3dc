from django.core.management.base import BaseCommand

from microintern.surveys.domain import invite_due


class Command(BaseCommand):
    help = "Send the survey invitations that are due (idempotent; run daily)."

    def handle(self, *args, **options):
        self.stdout.write(f"{invite_due()} invitation(s) due (already-sent ones are not resent).")
