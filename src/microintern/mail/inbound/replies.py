"""When an automatic acknowledgement may go: the decision table (RFC 3834 and beyond).

`REPLY_RULES` is the table itself, in order: the first rule that holds says "no reply", and
why. docs/email-intake.md shows the same table (a test compares them). Only a message that
passes every rule is acknowledged, to its envelope sender; in doubt a person decides (the
message is never answered automatically, staff can still reply by hand).

Pure Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .classify import (
    DEFAULT_LOOP_HEADER,
    Classification,
    Kind,
    authentication_failure_at_own_server,
    canonical_address,
    parse_authentication_results,
    spam_verdict,
)
from .interpret import normalise_address
from .parse import ParsedMessage

__all__ = [
    "REPLY_RULES",
    "ReplyDecision",
    "ReplyFacts",
    "Rule",
    "auto_reply_decision",
    "reply_decision",
]


@dataclass(frozen=True, slots=True)
class ReplyFacts:
    """What the rules look at: the message, its class and what the caller knows."""

    parsed: ParsedMessage
    classification: Classification
    envelope: str
    """The envelope sender, lower-cased ("" when absent or null)."""
    own: frozenset[str]
    """Our own addresses, as `canonical_address` writes them."""
    trusted_authserv_id: str
    sender_on_record: bool
    """True when the sender is a student: their university address on record, or a
    personal address they confirmed."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table: `code` (stable), `never_when` (the row as the docs show it) and
    `check`, which returns what it found (the reason) or None."""

    code: str
    never_when: str
    check: Callable[[ReplyFacts], str | None]


@dataclass(frozen=True, slots=True)
class ReplyDecision:
    allowed: bool
    rule: str
    """The code of the rule that refused, or "reply"."""
    reason: str


_NOREPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply)(?:[-_.+].*)?$")
_AUTOMATED_LOCALPARTS = frozenset(
    {
        "mailer-daemon",
        "mailerdaemon",
        "mail-daemon",
        "mdaemon",
        "postmaster",
        "notification",
        "notifications",
        "notify",
        "alerts",
        "automailer",
        "auto-reply",
        "autoreply",
    }
)
_BOUNCE_LOCAL = re.compile(
    r"^(?:bounces?|bounce[-+=_.].*|bounces[-+=_.].*|.*[-+_.]bounces?|pm_bounces|"
    r"return(?:s|-path)?|returns?[-+=_.].*|msprvs\d?=.*|prvs=.*|btv1==.*|owner-.*|.*-request|"
    r".*-owner)$"
)
_BOUNCE_DOMAIN_LABELS = frozenset({"bounce", "bounces", "bnc", "returns", "return", "pm-bounces"})
# Envelope domains of email service providers and notification systems: what they send
# carries a machine's envelope address, never a person's mailbox.
_ESP_DOMAINS = (
    "amazonses.com",
    "sns.amazonaws.com",
    "sendgrid.net",
    "mailgun.net",
    "mandrillapp.com",
    "mcsv.net",
    "mcdlv.net",
    "rsgsv.net",
    "sparkpostmail.com",
    "postmarkapp.com",
    "mtasv.net",
    "mailjet.com",
    "sendinblue.com",
    "brevo.com",
    "exacttarget.com",
    "cmail19.com",
    "cmail20.com",
    "hubspotemail.net",
    "mktomail.com",
)
_ESP_HEADERS = ("X-SES-Outgoing", "X-SG-EID", "X-Mailgun-Sid", "X-PM-Message-Id", "X-MC-User")
_SUPPRESS = frozenset({"all", "autoreply", "oof"})


def _local(address: str) -> str:
    return address.rpartition("@")[0]


def _domain(address: str) -> str:
    return address.rpartition("@")[2].rstrip(".")


def _not_human(f: ReplyFacts) -> str | None:
    kind = f.classification.kind
    return None if kind is Kind.HUMAN else f"not human mail ({kind.value})"


def _doubt(f: ReplyFacts) -> str | None:
    return f.classification.doubt or None


def _no_sender(f: ReplyFacts) -> str | None:
    if f.parsed.sender:
        return None
    return "the From header is not a single, well-formed address"


def _no_envelope(f: ReplyFacts) -> str | None:
    if f.parsed.return_path is None and not f.envelope:
        return "the envelope sender is unknown (no Return-Path)"
    return None if f.envelope else "the envelope sender is null (<>)"


def _auto_submitted(f: ReplyFacts) -> str | None:
    value = (f.parsed.auto_submitted or "").split(";")[0].strip().lower()
    if value and value != "no":
        return f"Auto-Submitted: {value}"
    suppress = {
        token.strip().lower()
        for value in f.parsed.header_all("X-Auto-Response-Suppress")
        for token in value.split(",")
    }
    if suppress & _SUPPRESS:
        return "X-Auto-Response-Suppress asks for no automatic replies"
    return None


def _automated_sender(f: ReplyFacts) -> str | None:
    for address in (f.envelope, f.parsed.sender or ""):
        local = _local(address.lower())
        if local and (_NOREPLY.match(local) or local in _AUTOMATED_LOCALPARTS):
            return f"{address} is an automated or role address"
    return None


def _spam(f: ReplyFacts) -> str | None:
    verdict = spam_verdict(f.parsed)
    return f"the receiving mail server marked it as spam ({verdict})" if verdict else None


def _authentication_failed(f: ReplyFacts) -> str | None:
    """A fail for the From domain in the topmost Authentication-Results header (the hop
    nearest to us, whoever it is: a forged "fail" only costs its forger a reply; headers
    further down are anyone's), or at our own server (dmarc=fail, spf=fail without a valid
    DKIM signature)."""
    own = authentication_failure_at_own_server(f.parsed, f.trusted_authserv_id)
    if own is not None:
        return f"the sender failed authentication at our mail server ({own})"
    sender_domain = _domain(f.parsed.sender or "").lower()
    if not sender_domain or not f.parsed.authentication_results:
        return None
    _authserv, results = parse_authentication_results(f.parsed.authentication_results[0])
    signed = any(r.method == "dkim" and r.result == "pass" for r in results)
    for r in results:
        if r.result not in ("fail", "hardfail"):
            continue
        domain = {
            "dmarc": r.properties.get("header.from", ""),
            "dkim": "" if signed else r.properties.get("header.d", ""),
            "spf": "" if signed else _domain(r.properties.get("smtp.mailfrom", "")),
        }.get(r.method, "")
        if domain and _aligned(domain, sender_domain):
            return f"{r.method}=fail for {sender_domain}"
    return None


def _aligned(domain: str, sender_domain: str) -> bool:
    domain = domain.strip().lower().rstrip(".")
    return bool(domain) and (domain == sender_domain or sender_domain.endswith("." + domain))


def _complaint_report(f: ReplyFacts) -> str | None:
    try:
        msg = f.parsed.email
        report = str(msg.get_param("report-type", "") or "").lower()
        if msg.get_content_type() == "multipart/report":
            return f"it is a report (multipart/report; report-type={report or 'none'})"
    except Exception:  # noqa: BLE001 - an unreadable type is no report
        return None
    return None


def _esp_sender(f: ReplyFacts) -> str | None:
    domain = _domain(f.envelope)
    for esp in _ESP_DOMAINS:
        if domain == esp or domain.endswith("." + esp):
            return f"the envelope sender {f.envelope} belongs to a mail service ({esp})"
    for header in _ESP_HEADERS:
        if f.parsed.header(header) is not None:
            return f"it was sent through an email service provider ({header})"
    return None


def _bounce_address(f: ReplyFacts) -> str | None:
    local, domain = _local(f.envelope), _domain(f.envelope)
    labels = set(domain.split("."))
    if _BOUNCE_LOCAL.match(local) or labels & _BOUNCE_DOMAIN_LABELS:
        return f"the envelope sender {f.envelope} is a bounce or list address (VERP)"
    return None


def _list_traffic(f: ReplyFacts) -> str | None:
    for header in ("List-Id", "List-Unsubscribe", "List-Post", "List-Help", "Feedback-ID"):
        if f.parsed.header(header) is not None:
            return f"it has a {header} header"
    precedence = (f.parsed.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    return None


def _loop(f: ReplyFacts) -> str | None:
    if f.parsed.header("X-Loop") is not None:
        return "it carries an X-Loop header"
    if f.parsed.header(DEFAULT_LOOP_HEADER) is not None:
        return f"it carries our {DEFAULT_LOOP_HEADER} header"
    addresses = [f.envelope, *f.parsed.from_addresses, *f.parsed.reply_to]
    for address in addresses:
        if canonical_address(address) in f.own:
            return f"{address} is our own address"
    shown = " ".join([f.parsed.from_name, *f.parsed.header_all("From")]).lower()
    for own in f.own:
        if own in shown and canonical_address(f.parsed.sender or "") != own:
            return f"the From header shows our own address {own} but is another mailbox"
    return None


def _not_on_record(f: ReplyFacts) -> str | None:
    if f.sender_on_record:
        return None
    return f"{f.parsed.sender} is not a student on record: a person replies"


REPLY_RULES: tuple[Rule, ...] = (
    Rule(
        "not-human",
        "it is not human mail (a loop, bounce, report, automatic reply, list or bulk mail, spam)",
        _not_human,
    ),
    Rule(
        "doubt",
        "the classifier is in doubt (e.g. a person's reply with a bulk header a "
        "hop added): a person decides",
        _doubt,
    ),
    Rule("no-sender", "From is not exactly one well-formed address", _no_sender),
    Rule("null-envelope", "the envelope sender (Return-Path) is absent or null <>", _no_envelope),
    Rule(
        "auto-submitted",
        "Auto-Submitted is other than no, or X-Auto-Response-Suppress says All, AutoReply or OOF",
        _auto_submitted,
    ),
    Rule(
        "automated-sender",
        "the envelope or From address is a noreply variant, a mailer "
        "daemon, postmaster or a notification address",
        _automated_sender,
    ),
    Rule(
        "spam",
        "the receiving server marked it as spam: X-Spam-Flag: YES, X-Spam-Status: "
        "Yes, Microsoft SCL 5 or more",
        _spam,
    ),
    Rule(
        "auth-fail",
        "the topmost Authentication-Results has dmarc=fail, or dkim or spf fail without a "
        "valid DKIM signature, for the From domain; or our own server found it forged",
        _authentication_failed,
    ),
    Rule(
        "report",
        "it is a report: multipart/report of any type (delivery status, ARF feedback report)",
        _complaint_report,
    ),
    Rule(
        "esp-sender",
        "the envelope sender is an email service's (SES, SNS, SendGrid, "
        "Mailgun, Postmark, Mailchimp, …) or an ESP header is present",
        _esp_sender,
    ),
    Rule(
        "bounce-address",
        "the envelope sender is a bounce/VERP or list address (bounces@, "
        "…-bounces@, bounce+…@, @bounce.…, @returns.…, owner-…, …-request)",
        _bounce_address,
    ),
    Rule(
        "list",
        "List-Id, List-Unsubscribe, List-Post, List-Help or Feedback-ID is present, "
        "or Precedence is list, junk or bulk",
        _list_traffic,
    ),
    Rule(
        "loop",
        "X-Loop or our loop header is present, or the envelope, From or Reply-To is "
        "our own address (any case, any +tag), or a display name shows ours",
        _loop,
    ),
    Rule(
        "not-on-record",
        "the sender is not a student on record (their university address, or a personal "
        "address they confirmed): spam and phishing with no sign of it stop here",
        _not_on_record,
    ),
)


def reply_decision(
    parsed: ParsedMessage,
    classification: Classification,
    *,
    own_addresses: Iterable[str] = (),
    envelope_sender: str | None = None,
    trusted_authserv_id: str = "",
    sender_on_record: bool = False,
) -> ReplyDecision:
    """Apply `REPLY_RULES` in order: the first that holds refuses; none → acknowledge to the
    envelope sender (`envelope_sender` when the caller knows it, else the Return-Path)."""
    envelope = envelope_sender if envelope_sender is not None else parsed.return_path
    facts = ReplyFacts(
        parsed=parsed,
        classification=classification,
        envelope=normalise_address(envelope or ""),
        own=frozenset(canonical_address(a) for a in own_addresses) - {""},
        trusted_authserv_id=trusted_authserv_id,
        sender_on_record=sender_on_record,
    )
    for rule in REPLY_RULES:
        found = rule.check(facts)
        if found is not None:
            return ReplyDecision(False, rule.code, found)
    return ReplyDecision(True, "reply", f"acknowledge to {facts.envelope}")


def auto_reply_decision(
    parsed: ParsedMessage,
    classification: Classification,
    *,
    own_addresses: Iterable[str] = (),
    envelope_sender: str | None = None,
    trusted_authserv_id: str = "",
    sender_on_record: bool = False,
) -> tuple[bool, str]:
    """(allowed, reason) of `reply_decision`."""
    decision = reply_decision(
        parsed,
        classification,
        own_addresses=own_addresses,
        envelope_sender=envelope_sender,
        trusted_authserv_id=trusted_authserv_id,
        sender_on_record=sender_on_record,
    )
    return decision.allowed, decision.reason
