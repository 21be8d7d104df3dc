"""Links on students' pages: {% load student_links %} then `address|map_url`,
{% feedback_path interest %} or {% certificate_check_url interest as url %}.
(Email templates use the interest's *_url properties.)"""

from django import template
from django.urls import reverse

from .. import badges, links

register = template.Library()


@register.simple_tag
def feedback_path(interest) -> str:
    return reverse("applications:feedback", args=[links.after_the_day_token(interest)])


@register.filter
def map_url(address: str) -> str:
    return links.map_url(address)


@register.simple_tag
def certificate_check_url(interest) -> str:
    """The public address that checks the student's certificate (and badge) by its code."""
    return badges.credential_address(interest.certificate_code)
