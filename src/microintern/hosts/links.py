"""The signed link that lets a host contact confirm a challenge offered with their address.

The token names the unconfirmed proposal and the contact's address, so it works only for the
address it was sent to; it is signed and timestamped (django.core.signing) and works for
CONFIRM_DAYS.
"""

from datetime import timedelta

from django.core import signing
from django.utils.translation import gettext_lazy as _

from microintern.core.errors import Refusal

from .models import UnconfirmedProposal
from .notifications import host_link

CONFIRM = "hosts.confirm-proposal"
CONFIRM_DAYS = 14


class ProposalLinkProblem(Refusal):
    """A confirm link that cannot be used; `kind` is "expired" or "invalid"."""

    MESSAGES = {
        "expired": _(
            "This link has expired: confirm links work for %(days)d days. Nothing has "
            "been added to your organisation. If you still want to offer the challenge, please "
            "offer it again."
        ),
        "invalid": _(
            "This link does not work: it is incomplete or has been changed. Nothing has been "
            "added to your organisation. Try copying the whole link from the email."
        ),
    }

    def __init__(self, kind: str):
        # Worded when raised, in the language of the page that meets it.
        super().__init__(str(self.MESSAGES[kind]) % {"days": CONFIRM_DAYS})
        self.kind = kind


def confirm_token(proposal: UnconfirmedProposal) -> str:
    return signing.dumps({"p": proposal.pk, "e": proposal.contact.email.lower()}, salt=CONFIRM)


def confirm_url(proposal: UnconfirmedProposal) -> str:
    return host_link("hosts:confirm_proposal", confirm_token(proposal))


def proposal_from_token(token: str) -> UnconfirmedProposal:
    """The proposal a genuine, in-date confirm link is for (still the contact's address)."""
    try:
        data = signing.loads(token, salt=CONFIRM, max_age=timedelta(days=CONFIRM_DAYS))
    except signing.SignatureExpired as error:
        raise ProposalLinkProblem("expired") from error
    except signing.BadSignature as error:
        raise ProposalLinkProblem("invalid") from error
    proposal = (
        UnconfirmedProposal.objects.select_related("contact__organisation")
        .filter(pk=data.get("p"))
        .first()
    )
    if proposal is None or proposal.contact.email.lower() != data.get("e"):
        raise ProposalLinkProblem("invalid")
    return proposal
