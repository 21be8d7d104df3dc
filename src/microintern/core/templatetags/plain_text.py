"""``|plain_name``: a name, sender, subject or file name without direction controls."""

from django import template

from microintern.core.text import without_bidi_controls

register = template.Library()


@register.filter(is_safe=True)
def plain_name(value) -> str:
    """The value as text, direction controls removed ("" for None, so |default still works)."""
    return "" if value is None else without_bidi_controls(str(value))
