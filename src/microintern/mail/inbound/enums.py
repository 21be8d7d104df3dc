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
        """Every state processing can end in."""
        return [s for s in cls if s != cls.STORED]

    @classmethod
    def reopenable(cls) -> frozenset["MessageState"]:
        """Final states a person can still act on: process again, link, set aside."""
        return frozenset({cls.TRIAGE, cls.SET_ASIDE, cls.QUARANTINED})

    @classmethod
    def became_interest(cls) -> frozenset["MessageState"]:
        """The message was understood as (part of) an expression of interest; it stays so."""
        return frozenset({cls.INTEREST_CREATED, cls.INTEREST_UPDATED})


# Where a message may go from each state. A stored message is processed into one of the final
# states; one a person can still act on may be processed again, linked or set aside (into
# any final state, its own included); one that became an interest stays as it is.
INBOUND_MESSAGE_TRANSITIONS: dict[MessageState, set[MessageState]] = {
    MessageState.STORED: set(MessageState.final()),
    **{state: set(MessageState.final()) for state in MessageState.reopenable()},
    **{state: set() for state in MessageState.became_interest()},
}


class MessageKind(models.TextChoices):
    """The class of a message (values of `classify.Kind`)."""

    LOOP = "loop", "Our own mail coming back"
    BOUNCE = "bounce", "Bounce or delivery report"
    AUTO_REPLY = "auto_reply", "Automatic reply"
    BULK = "bulk", "Mailing list or bulk"
    HUMAN = "human", "Written by a person"


class ReasonCode(models.TextChoices):
    """Why a message is quarantined or set aside, as a group staff can count and filter by
    (the message's `reason` says it in full). Quarantine codes are `parse.QuarantineCode`'s."""

    TOO_LARGE = "too_large", "Too large"
    HEADER_TOO_LARGE = "header_too_large", "A header too large"
    HEADER_BLOCK_TOO_LARGE = "header_block_too_large", "Headers too long"
    TOO_MANY_PARTS = "too_many_parts", "Too many parts"
    TOO_DEEP = "too_deep", "Nested too deeply"
    UNPARSEABLE = "unparseable", "Could not be read"
    DUPLICATE = "duplicate", "Duplicate"
    BY_STAFF = "by_staff", "Set aside by staff"

    @classmethod
    def answerable(cls) -> frozenset["ReasonCode"]:
        """Refusals whose sender we can tell what to send instead: the headers were read
        safely, only the size or the structure of the body was refused."""
        return frozenset({cls.TOO_LARGE, cls.TOO_MANY_PARTS, cls.TOO_DEEP})


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
