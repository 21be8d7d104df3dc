"""The one consent rule for everything built from survey answers or research data.

A student's survey answers and record are used for the impact report (page, exports, PDF),
the dashboard's "gave feedback" stage (page, charts, downloads), the lottery comparison,
quotes and research exports only while their research consent is in
force (given and not withdrawn). Follow-up invitations, which exist only for the research
comparison, go only to students whose consent is in force. Every such output filters through
:func:`only_consenting` (or its condition, :func:`consenting`), so withdrawing consent
removes the student from all of them at once.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import ResearchConsent

CONSENT_WORDING_VERSION = "2026-2"
"""The research consent text in force (``ResearchConsent.wording_version``). Version 2026-2
lists what is exported and asks separately about equality answers."""

EXPORTED_WITH_CONSENT = [
    "a study-specific code instead of your name and student number",
    "the academic year and outcome of each application (interested, offered, attended…)",
    "the broad sector of the host organisation, your school, level and mode of study and "
    "fee status, as recorded by the university that year",
    "widening-participation flags from your student record (area quintiles, care "
    "experience, first in family, carer, commuter)",
    "your answers to the rating and yes/no survey questions (never what you typed)",
]
"""What a research export holds about a consenting student (the consent page lists it)."""

EXPORTED_WITH_EQUALITY_CONSENT = ["your broad ethnic group", "whether you are disabled"]
"""Equality answers exported only when the student also ticked the equality choice."""


def consents_in_force(*, quotes: bool = False, equality: bool = False) -> QuerySet:
    """Research consents in force (optionally: including quotes / equality answers)."""
    consents = ResearchConsent.objects.filter(withdrawn_at__isnull=True)
    if quotes:
        consents = consents.filter(quotes=True)
    if equality:
        consents = consents.filter(equality=True)
    return consents


def consenting(student_field: str, *, quotes: bool = False, equality: bool = False) -> Q:
    """The rule as a condition: the student at ``student_field`` has consent in force.

    For aggregates that count survey answers among other things (the dashboard's "gave
    feedback" stage is a filtered ``Count``); everything else uses :func:`only_consenting`.
    A row without a student never meets it.
    """
    students = consents_in_force(quotes=quotes, equality=equality).values("student")
    return Q(**{f"{student_field}__in": students})


def only_consenting(
    queryset: QuerySet, student_field: str, *, quotes: bool = False, equality: bool = False
) -> QuerySet:
    """``queryset`` narrowed to rows whose student (at ``student_field``) has consent in force.

    Rows without a student (anonymous responses, hosts) are left out as well.
    """
    return queryset.filter(consenting(student_field, quotes=quotes, equality=equality))
