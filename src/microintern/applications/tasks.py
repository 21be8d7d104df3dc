"""Background tasks: thin, take ids, call the domain or mail layer."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_tasks import task

from microintern.programme.calendar import invite_for

from .models import ExpressionOfInterest
from .notifications import ROLES_WITH_INVITE


@task()
def send_place_email(interest_id: int, role: str) -> None:
    """Send the student the email for `role` about their expression of interest."""
    interest = ExpressionOfInterest.objects.select_related(
        "student", "micro_internship__challenge__organisation"
    ).get(pk=interest_id)
    context = {
        "interest": interest,
        "student": interest.student,
        "mi": interest.micro_internship,
        "site_name": settings.MICROINTERN["SITE_NAME"],
    }
    subject = render_to_string(f"email/{role}.subject.txt", context).strip()
    body = render_to_string(f"email/{role}.txt", context)
    message = EmailMessage(subject, body, to=[interest.student.email])
    if role in ROLES_WITH_INVITE:
        message.attach(*invite_for(interest.micro_internship))
    message.send()
