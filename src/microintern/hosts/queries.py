"""Read-only selections for host pages."""

from .models import Challenge, HostContact


def challenge_to_offer_again(contact: HostContact, pk: int | None = None) -> Challenge | None:
    """The challenge a host contact's "Offer another challenge" form starts from: the one
    numbered `pk` when it belongs to the contact's organisation (None otherwise: a host
    never sees another organisation's challenge), else their organisation's newest."""
    own = Challenge.objects.filter(organisation_id=contact.organisation_id)
    if pk is not None:
        return own.filter(pk=pk).first()
    return own.order_by("-proposed_at", "-pk").first()
