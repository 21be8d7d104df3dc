"""Read-only questions about people that other apps ask."""

from .models import Student


def student_record_imported() -> bool:
    """Whether the university has imported its student record (the population import stamps
    `record_imported_at`). Until then nobody can be checked against it; afterwards a student
    missing from it is not eligible for selection."""
    return Student.objects.filter(record_imported_at__isnull=False).exists()


def missing_from_the_record(student: Student) -> bool:
    """The record has been imported and this student is not on it."""
    return student.record_imported_at is None and student_record_imported()
