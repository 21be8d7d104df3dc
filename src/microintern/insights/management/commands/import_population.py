"""python -m microintern import_population PATH --year 2026/27 [--dry-run]

The file is read and checked before anything is written; a file broken as a whole changes
nothing. The import is then saved with its report and applied all or nothing
(``insights.domain.apply_population_import``), without holding the database for long.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from microintern.insights import domain
from microintern.insights.population import ExtractError


class Command(BaseCommand):
    help = "Validate a student-record extract (CSV/XLSX), print the report, then import it."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--year", required=True, help="Academic year, e.g. 2026/27")
        parser.add_argument("--dry-run", action="store_true", help="Report only; write nothing.")

    def handle(self, *args, path: str, year: str, dry_run: bool, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        check = domain.check_population_extract if dry_run else domain.stage_population_import
        try:
            staged = check(name=file.name, content=file.read_bytes(), academic_year=year)
        except (ExtractError, ValueError) as error:
            raise CommandError(str(error)) from error
        for problem in staged.problems:
            self.stdout.write(
                f"line {problem['line']}: {problem['field']}: {problem['problem']}"
                f" ({problem['severity']})"
            )
        self.stdout.write(
            f"{staged.row_count} rows read, {staged.valid_count} valid, "
            f"{staged.row_count - staged.valid_count} with errors."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing written.")
            return
        staged = domain.apply_population_import(staged)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported for {staged.academic_year}: {staged.created_count} new, "
                f"{staged.updated_count} updated."
            )
        )
