"""Certificate of participation (PDF, made with fpdf2) for a student marked as attended."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from microintern.core.errors import Refusal
from microintern.core.tagged_pdf import tagged_pdf
from microintern.programme.domain import check_the_day_has_come

from .domain import certificate_code
from .enums import PlaceState
from .links import absolute

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


class NotAttended(Refusal):
    """Certificates are only for students marked as having attended."""

    def __init__(self, message: str = ""):
        super().__init__(message or "Certificates are only for students marked as having attended.")


def certificate_pdf(interest, now=None) -> bytes:
    """An A4 landscape certificate naming the student, the host, the challenge and the day,
    with the code and address where anyone can check it.

    Refuses NotAttended unless the student is marked as attended, and
    `programme.domain.NotYetTheDay` before the day (so a mark made early by mistake issues
    nothing). The first certificate of a place gives it its code (kept from then on)."""
    if interest.state != PlaceState.ATTENDED:
        raise NotAttended
    mi = interest.micro_internship
    check_the_day_has_come(mi, "certificate", now)
    code = spaced_code(certificate_code(interest))
    pdf = tagged_pdf(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate of participation – {mi.reference}")
    pdf.set_author(settings.MICROINTERN["SITE_NAME"])
    pdf.set_subject(f"Check this certificate at {check_address()} with the code {code}")
    pdf.set_lang("en-GB")
    pdf.set_compression(False)  # small anyway; keeps the text searchable by simple tools
    family = _font(pdf)
    pdf.set_font(family)
    pdf.add_page()
    with pdf.artifact():
        pdf.set_line_width(1.5)
        pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_y(35)

    def line(text: str, size: int, gap: float = 6, tag: str = "P") -> None:
        pdf.paragraph(_safe(text, family), size=size, tag=tag, align="C", gap=gap)

    line("Certificate of participation", 30, 12, tag="H1")
    line("This is to certify that", 14)
    line(interest.student.full_name, 26, 10)
    line("took part in the micro-internship", 14)
    line(f"“{mi.title}”", 20, 4)
    line(f"with {mi.challenge.organisation.name}", 16, 8)
    day = timezone.localtime(mi.starts_at)
    line(
        f"on {day:%A} {day.day} {day:%B %Y}, working in a team of students on a real question "
        "from the host and presenting recommendations at the end of the day.",
        13,
        14,
    )
    line(f"{settings.MICROINTERN['SITE_NAME']} · reference {mi.reference}", 11, 2)
    line(f"Check this certificate at {check_address()} with the code {code}", 11)
    return bytes(pdf.output())


def spaced_code(code: str) -> str:
    """A certificate code in groups of four, as printed: 7K3M-Q9XA-2B4D."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def check_address() -> str:
    return absolute(reverse("public:check_certificate"))


def _font(pdf) -> str:
    if UNICODE_FONT.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        return "DejaVu"
    return "Helvetica"


def _safe(text: str, family: str) -> str:
    """The built-in Helvetica only has Latin-1; without a Unicode font, replace the rest."""
    if family != "Helvetica":
        return text
    text = text.replace("“", '"').replace("”", '"').replace("·", "-").replace("–", "-")
    return text.encode("latin-1", "replace").decode("latin-1")
