"""API tasks: thin, take ids. `deliver_webhook` is defined in `api.webhooks`, next to the
function it runs, because `webhooks.emit` queues it after commit; it is listed here."""

from .webhooks import deliver_webhook

__all__ = ["deliver_webhook"]
