"""States and choices of inbound mail."""

from django.db import models


class MessageState(models.TextChoices):
    """Where an inbound message is. Every message ends in one of the final states."""

    STORED = "stored", "Stored, not yet processed"
    QUARANTINED = "quarantined", "Quarantined (not opened)"
    SET_ASIDE = "set_aside", "Set aside"
    TRIAGE = "triage", "Needs a person"
    INTEREST_CREATED = "interest_created", "Interest recorded"
    INTEREST_UPDATED = "interest_updated", "Added to an interest"

    @classmethod
    def final(cls) -> list["MessageState"]:
        return [s for s in cls if s != cls.STORED]


class MessageKind(models.TextChoices):
    """The class of a message (values of `classify.Kind`)."""

    LOOP = "loop", "Our own mail coming back"
    BOUNCE = "bounce", "Bounce or delivery report"
    AUTO_REPLY = "auto_reply", "Automatic reply"
    BULK = "bulk", "Mailing list or bulk"
    HUMAN = "human", "Written by a person"


class Security(models.TextChoices):
    TLS = "tls", "TLS (port 993)"
    STARTTLS = "starttls", "STARTTLS (port 143)"
    NONE = "none", "None (test servers on this machine only)"


class AuthMethod(models.TextChoices):
    PASSWORD = "password", "Password"
    OAUTH2 = "oauth2", "OAuth2 (XOAUTH2, Microsoft 365 app-only)"


class Source(models.TextChoices):
    IMAP = "imap", "IMAP mailbox"
    IMPORT = "import", "Imported file"
