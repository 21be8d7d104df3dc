"""Links on students' pages: {% load student_links %} then `address|map_url` or
{% feedback_path interest %}. (Email templates use the interest's *_url properties.)"""

from django import template
from django.urls import reverse

from .. import links

register = template.Library()


@register.simple_tag
def feedback_path(interest) -> str:
    return reverse("applications:feedback", args=[links.after_the_day_token(interest)])


@register.filter
def map_url(address: str) -> str:
    return links.map_url(address)
