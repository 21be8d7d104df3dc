"""How complete each translation is (`core.translations`)."""

from django.core.management.base import BaseCommand

from microintern.core.translations import build_report, report_lines


class Command(BaseCommand):
    help = (
        "List, per language, the strings translated, untranslated and fuzzy, the emails with "
        "wording in that language, and the page templates with nothing marked for "
        "translation yet (those pages are in English whatever the language)."
    )

    def handle(self, *args, **options):
        for line in report_lines(build_report()):
            self.stdout.write(line)
