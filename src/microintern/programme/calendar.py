"""iCalendar (.ics) files for micro-internships, made with the icalendar package."""

from datetime import UTC, datetime

from django.conf import settings
from icalendar import Calendar, Event, vText

PRODID = "-//microintern//Business Clinic micro-internships//EN"


def _event_for(mi, *, description: str = "") -> Event:
    event = Event()
    event.add("uid", f"{mi.reference}@microintern")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", mi.starts_at)
    event.add("dtend", mi.ends_at)
    event.add("summary", f"Micro-internship: {mi.title} ({mi.reference})")
    event.add("location", vText(", ".join(mi.venue_address.splitlines())))
    event.add("description", description or mi.challenge.question)
    event.add("status", "CANCELLED" if mi.state == "cancelled" else "CONFIRMED")
    event.add("sequence", int(mi.state_changed_at.timestamp()) if mi.state_changed_at else 0)
    return event


def calendar_for(micro_internships, *, name: str = "") -> bytes:
    """One calendar holding an event per micro-internship (a feed or a single invite)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name or settings.MICROINTERN["SITE_NAME"])
    for mi in micro_internships:
        calendar.add_component(_event_for(mi))
    return calendar.to_ical()


def invite_for(mi) -> tuple[str, bytes, str]:
    """An email attachment (filename, bytes, MIME type) inviting someone to the day."""
    return (f"{mi.reference}.ics", calendar_for([mi]), "text/calendar")
