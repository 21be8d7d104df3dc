from django.db import models


class MessageState(models.TextChoices):
    """Where an outbound email stands.

    draft → queued → sending → sent, or → failed (permanent refusal, or too many temporary
    ones). "sending" holds a lease: a worker that dies mid-send leaves the row "sending" until
    the lease expires, then `outbox.retry_due` puts it back to "queued".
    """

    DRAFT = "draft", "Held for review"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"

    @classmethod
    def waiting(cls) -> list["MessageState"]:
        return [cls.DRAFT, cls.QUEUED, cls.SENDING]
