from django.db import models


class InstrumentKind(models.TextChoices):
    STUDENT_PRE = "student_pre", "Student: before the day"
    STUDENT_POST = "student_post", "Student: end of the day"
    FOLLOW_UP = "follow_up", "Student: follow-up (8–12 weeks)"
    HOST = "host", "Host: after the day"


class ResponseType(models.TextChoices):
    SCALE = "scale", "Rating scale"
    TEXT = "text", "Open answer"
    YES_NO = "yes_no", "Yes or no"
    NUMBER = "number", "Number"


class Timing(models.TextChoices):
    """When the item asks about: now, or 'before today' (retrospective pre-test)."""

    NOW = "now", "Now"
    BEFORE = "before", "Before today (retrospective)"
