"""Academic years ("2026/27", 1 August – 31 July) and terms, for filters and coarsening."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

YEAR_PATTERN = re.compile(r"^(\d{4})/(\d{2})$")


@dataclass(frozen=True)
class AcademicYear:
    start_year: int

    @classmethod
    def parse(cls, text: str) -> AcademicYear:
        """'2026/27' → AcademicYear(2026); ValueError for anything else (e.g. '2026/28')."""
        match = YEAR_PATTERN.match(text.strip())
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValueError(f"{text!r} is not an academic year like 2026/27")
        return cls(int(match[1]))

    @classmethod
    def containing(cls, day: date | datetime) -> AcademicYear:
        if isinstance(day, datetime):
            day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
        return cls(day.year if day.month >= 8 else day.year - 1)

    def __str__(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def starts(self) -> datetime:
        return timezone.make_aware(datetime.combine(date(self.start_year, 8, 1), time.min))

    @property
    def ends(self) -> datetime:
        """Exclusive end: the first moment of the next academic year."""
        return AcademicYear(self.start_year + 1).starts


def term_of(moment: datetime) -> str:
    """Coarsen a date to its term: 'Autumn 2026/27' (Sep–Dec), 'Spring' (Jan–Apr), 'Summer'."""
    local = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    year = AcademicYear.containing(local)
    if local.month in (8, 9, 10, 11, 12):
        name = "Autumn"
    elif local.month <= 4:
        name = "Spring"
    else:
        name = "Summer"
    return f"{name} {year}"
