from django.db import models


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    HOST = "host", "Host contact"
    STAFF = "staff", "Business Clinic staff"
    RESEARCHER = "researcher", "Researcher"
    ADMINISTRATOR = "administrator", "Administrator"

    @classmethod
    def signing_in_with_password(cls) -> set["Role"]:
        """Roles that use a password plus TOTP; the others sign in with emailed codes."""
        return {cls.STAFF, cls.RESEARCHER, cls.ADMINISTRATOR}


class StudyLevel(models.TextChoices):
    FOUNDATION = "foundation", "Foundation year"
    UNDERGRADUATE = "undergraduate", "Undergraduate"
    POSTGRADUATE_TAUGHT = "pgt", "Postgraduate taught"
    POSTGRADUATE_RESEARCH = "pgr", "Postgraduate research"


class StudyMode(models.TextChoices):
    FULL_TIME = "full_time", "Full-time"
    PART_TIME = "part_time", "Part-time"


class FeeStatus(models.TextChoices):
    HOME = "home", "Home"
    INTERNATIONAL = "international", "International"
