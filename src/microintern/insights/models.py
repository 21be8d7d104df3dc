"""Insights data kept apart from the operational record.

* :class:`PopulationRecord` – one row per student per academic year from the student-record
  extract: the eligible population and its widening-participation fields *as they were that
  year* (the dashboard's denominator).
* :class:`PopulationImport` – an uploaded extract, its per-row validation report, and (once
  confirmed) when it was applied. Nothing reaches the records before confirmation.
* :class:`PopulationImportRow` – a confirmed import's rows on their way in: written a chunk
  per transaction, switched into the student records in one short one, then deleted.
* :class:`EqualityMonitoring` – a student's optional equality answers, HESA-coded.
  Special-category data: read only by ``insights.queries`` behind ``microintern.view_insights``,
  only in aggregate, never by selection or applications (a test checks the imports).
* :class:`ResearchConsent` – separate, optional, withdrawable consent to research use.
* :class:`Study` – a research study, with its own pseudonyms in exports.
* :class:`CodingMapping` – a version of how the extract's codes (UG, FT, H, UK …) are read;
  never changed once saved (a change is a new version), so each import keeps its own.
* :class:`FeedDelivery` – one file the unattended student-record feed received (or a
  download that failed), its SHA-256 and what became of it.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode
from microintern.accounts.models import WideningParticipation, quintile_range_constraints

from . import codings, hesa
from .enums import FeedOutcome, FeedSource


def _frame_choices(frame: hesa.CodingFrame) -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in frame.codes]


class PopulationRecord(WideningParticipation):
    """A student counted in the eligible population of one academic year."""

    student = models.ForeignKey(
        "accounts.Student", on_delete=models.CASCADE, related_name="population_records"
    )
    academic_year = models.CharField(max_length=7, help_text="e.g. 2026/27")
    programme = models.CharField(max_length=200, blank=True)
    school = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=20, choices=StudyLevel.choices, blank=True)
    mode = models.CharField(max_length=20, choices=StudyMode.choices, blank=True)
    fee_status = models.CharField(max_length=20, choices=FeeStatus.choices, blank=True)
    domicile = models.CharField(max_length=2, blank=True, help_text="HESA domicile code")
    source_import = models.ForeignKey(
        "PopulationImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "academic_year"], name="one_population_record_per_year"
            ),
            models.CheckConstraint(
                condition=Q(academic_year__regex=r"^[0-9]{4}/[0-9]{2}$"),
                name="population_academic_year_format",
            ),
            *quintile_range_constraints("population"),
        ]
        indexes = [
            models.Index(fields=["academic_year", "school"]),
            # the impact page's cache key reads the latest change on every request
            models.Index(fields=["updated_at"], name="population_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.academic_year}"


class PopulationImport(models.Model):
    """An uploaded student-record extract: validated first, applied only when confirmed."""

    academic_year = models.CharField(max_length=7)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(
        default=list, help_text="Valid rows, cleaned, ready to apply; emptied once applied."
    )
    problems = models.JSONField(default=list, help_text="[{line, field, problem}] per row.")
    readings = models.JSONField(
        default=dict,
        blank=True,
        help_text="How each code was read: {column: {code: [meaning, rows]}}.",
    )
    row_count = models.PositiveIntegerField(default=0)
    valid_count = models.PositiveIntegerField(
        default=0, help_text="Rows without errors (``rows`` is emptied once applied)."
    )
    uploaded_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    mapping = models.ForeignKey(
        "CodingMapping",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="imports",
        help_text="The version of the code mapping the rows were read with (empty: before "
        "mappings were versioned).",
    )

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} for {self.academic_year}"

    @property
    def invalid_lines(self) -> set[int]:
        return {p["line"] for p in self.problems if p.get("severity", "error") == "error"}


class PopulationImportRow(WideningParticipation):
    """One valid row of a population import being applied, not yet in use.

    Applying an import writes its rows here a chunk per transaction, then copies them into
    the students and population records in one short transaction and deletes them
    (``domain.apply_population_import``). Nothing else reads them. The rows of one attempt
    share ``batch``, so an attempt that fails removes only its own; one interrupted so
    hard that it could not (the process killed) is removed by retention a day later.
    """

    population_import = models.ForeignKey(
        PopulationImport, on_delete=models.CASCADE, related_name="+"
    )
    batch = models.CharField(max_length=32)
    student_number = models.CharField(max_length=20)
    email = models.EmailField(null=True, blank=True, help_text="Empty: keep the student's.")
    full_name = models.CharField(
        max_length=200, null=True, blank=True, help_text="Empty: keep the student's."
    )
    programme = models.CharField(max_length=200, blank=True)
    school = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=20, choices=StudyLevel.choices, blank=True)
    mode = models.CharField(max_length=20, choices=StudyMode.choices, blank=True)
    fee_status = models.CharField(max_length=20, choices=FeeStatus.choices, blank=True)
    domicile = models.CharField(max_length=2, blank=True)
    student = models.ForeignKey(
        "accounts.Student",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Filled in by the switch, once every student of the batch exists.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "student_number"], name="one_import_row_per_student_per_batch"
            ),
            *quintile_range_constraints("population_import_row"),
        ]

    def __str__(self) -> str:
        return f"{self.student_number} in batch {self.batch}"


class EqualityMonitoring(models.Model):
    """A student's optional equality-monitoring answers (HESA codes; empty = not answered).

    Special-category data under UK GDPR Art. 9(2)(g) / DPA 2018 Sch. 1 para 8: for
    monitoring equality of opportunity in aggregate only. Deleting the row is how a student
    objects (para 8(5)).
    """

    student = models.OneToOneField(
        "accounts.Student", on_delete=models.CASCADE, related_name="equality_monitoring"
    )
    ethnicity = models.CharField(max_length=3, blank=True, choices=_frame_choices(hesa.ETHNIC))
    disability_codes = models.CharField(
        max_length=60, blank=True, help_text="Comma-separated HESA DISABILITY codes."
    )
    disability_group = models.CharField(
        max_length=40, blank=True, help_text="Derived from the codes (hesa.disability_group)."
    )
    parental_education = models.CharField(
        max_length=2, blank=True, choices=_frame_choices(hesa.PARED)
    )
    care_leaver = models.CharField(
        max_length=2, blank=True, choices=_frame_choices(hesa.CARELEAVER)
    )
    sex = models.CharField(max_length=2, blank=True, choices=_frame_choices(hesa.SEXID))
    gender_identity = models.CharField(
        max_length=2, blank=True, choices=_frame_choices(hesa.GENDERID)
    )
    religion = models.CharField(max_length=2, blank=True, choices=_frame_choices(hesa.RELBLF))
    sexual_orientation = models.CharField(
        max_length=2, blank=True, choices=_frame_choices(hesa.SEXORT)
    )
    answered_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    FIELD_FRAMES = {
        "ethnicity": hesa.ETHNIC,
        "disability_codes": hesa.DISABILITY,
        "parental_education": hesa.PARED,
        "care_leaver": hesa.CARELEAVER,
        "sex": hesa.SEXID,
        "gender_identity": hesa.GENDERID,
        "religion": hesa.RELBLF,
        "sexual_orientation": hesa.SEXORT,
    }

    class Meta:
        db_table = "insights_equality_monitoring"
        default_permissions = ()

    def __str__(self) -> str:
        return f"Equality monitoring answers #{self.pk}"


class ResearchConsent(models.Model):
    """Consent to research use; withdrawal sets ``withdrawn_at`` and is honoured in exports."""

    student = models.ForeignKey(
        "accounts.Student", on_delete=models.CASCADE, related_name="research_consents"
    )
    wording_version = models.CharField(max_length=20, default="2026-1")
    quotes = models.BooleanField(
        default=False, help_text="May quote their survey comments anonymously in reports."
    )
    equality = models.BooleanField(
        default=False,
        help_text="May include their broad ethnic group and disability in research exports.",
    )
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_research_consent",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]
        # the impact page's cache key reads the latest withdrawal on every request
        indexes = [models.Index(fields=["withdrawn_at"], name="consent_withdrawn_at")]

    def __str__(self) -> str:
        return f"Research consent #{self.pk}"


class Study(models.Model):
    """A research study. Its exports use its own pseudonyms: HMAC-SHA256 of the student
    number under the study's key, which is derived from the research key (held outside the
    database) and the study's random ``salt``. Files of different studies cannot be linked,
    and the database alone cannot re-create any pseudonym."""

    name = models.CharField(max_length=200, unique=True)
    salt = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.name


class CodingMapping(models.Model):
    """One version of how the extract's codes are read (``insights.codings.Mapping``).

    ``readings`` is {column: {code written: our value}} for level, mode, fee_status and
    domicile; ``refused`` is {column: {code written: why}}. Saved once and never changed:
    ``insights.domain.save_coding_mapping`` writes the next version, so an import's
    ``mapping`` still says how its rows were read. Version 1 is the default codings.
    """

    version = models.PositiveIntegerField(unique=True)
    readings = models.JSONField(
        help_text='What each code means: {"level": {"UG": "undergraduate", ...}, "mode": '
        '{...}, "fee_status": {...}, "domicile": {"UK": "XK", ...}}. Values: level '
        "foundation, undergraduate, pgt, pgr; mode full_time, part_time; fee_status home, "
        "international; domicile a two-letter HESA or ISO code."
    )
    refused = models.JSONField(
        default=dict,
        blank=True,
        help_text='Codes refused, with the reason: {"level": {"PG": "could be taught or '
        'research: write PGT or PGR"}}.',
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why it changed.")
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="coding_mapping_version_1_up")
        ]

    def __str__(self) -> str:
        return f"Code mapping version {self.version}"

    def clean(self):
        """The admin's form checks the tables with ``codings.check_tables``."""
        problems = codings.check_tables(self.readings, self.refused or {})
        if problems:
            raise ValidationError(problems)


class FeedDelivery(models.Model):
    """One file the student-record feed found (drop directory) or downloaded (URL), or one
    download that failed. ``sha256`` is the file's content hash: a file already imported is
    never imported again (a UNIQUE constraint among the imported ones)."""

    source = models.CharField(max_length=10, choices=FeedSource.choices)
    name = models.CharField(max_length=255, help_text="The file's name, or the URL's path.")
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=FeedOutcome.choices)
    reason = models.TextField(blank=True, help_text="Why it was not imported.")
    population_import = models.ForeignKey(
        PopulationImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
        help_text="The import and its per-row report (imported deliveries).",
    )
    moved_to = models.CharField(max_length=500, blank=True, help_text="Where the file went.")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name_plural = "feed deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(outcome=FeedOutcome.APPLIED),
                name="feed_file_imported_once",
            ),
            models.CheckConstraint(
                condition=Q(outcome=FeedOutcome.UNREACHABLE) | ~Q(sha256=""),
                name="feed_file_has_its_hash",
            ),
        ]
        indexes = [models.Index(fields=["sha256"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.outcome})"
