"""python -m microintern import_student_record --from-drop | --from-url

One pass of the student-record feed by hand (what the periodic job does), from the drop
directory and/or the address configured in MICROINTERN_STUDENT_FEED.
"""

from django.core.management.base import BaseCommand, CommandError

from microintern.insights.feed import feed_setting, run_feed_pass


class Command(BaseCommand):
    help = "Run one pass of the student-record feed: the drop directory and/or the download."

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-drop", action="store_true", help="Import the files in STUDENT_FEED_DROP_DIR."
        )
        parser.add_argument(
            "--from-url", action="store_true", help="Download and import STUDENT_FEED_URL."
        )

    def handle(self, *args, from_drop: bool, from_url: bool, **options):
        if not (from_drop or from_url):
            raise CommandError("Say where from: --from-drop, --from-url or both.")
        for wanted, name, variable in (
            (from_drop, "DROP_DIR", "STUDENT_FEED_DROP_DIR"),
            (from_url, "URL", "STUDENT_FEED_URL"),
        ):
            if wanted and not feed_setting(name):
                raise CommandError(f"{variable} is not set.")
        result = run_feed_pass(drop=from_drop, url=from_url)
        for delivery in result.deliveries:
            line = f"{delivery.name}: {delivery.get_outcome_display()}"
            staged = delivery.population_import
            if delivery.outcome == "applied" and staged is not None:
                line += (
                    f": {staged.row_count} rows read, {staged.valid_count} imported "
                    f"({staged.created_count} new, {staged.updated_count} updated), "
                    f"{len(staged.invalid_lines)} refused"
                )
            elif delivery.reason:
                line += f": {delivery.reason}"
            self.stdout.write(line)
        if not result.deliveries:
            self.stdout.write("Nothing new.")
        if result.problems:
            raise CommandError("; ".join(result.problems))
