"""Classify inbound mail before anything else is done with it.

Only human mail may become an expression of interest. The order of the checks matters: our
own mail coming back (loop), reports (ARF complaints, DMARC aggregates, SES notifications),
bounce or delivery-status report, auto-reply / out-of-office, mailing list or bulk, and only
then human (possibly with a doubt, for a person to read first).

Also here: the receiving server's spam verdict, and whether our own mail server vouches for
the sender (Authentication-Results with dmarc=pass, RFC 8601). Whether an automatic reply
may go is decided by the table in `replies`.

Pure Python, no Django.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum

from .parse import ParsedMessage, plain_address

__all__ = [
    "DEFAULT_LOOP_HEADER",
    "AuthResult",
    "Classification",
    "Kind",
    "canonical_address",
    "classify",
    "dmarc_pass_from_own_server",
    "parse_authentication_results",
    "spam_verdict",
]

log = logging.getLogger(__name__)

DEFAULT_LOOP_HEADER = "X-Microintern-Loop"
FLUFL_SCAN_MAX_BYTES = 512 * 1024
"""flufl.bounce runs on larger messages only when another bounce sign is present."""
_BOUNCE_HINT_HEADERS = ("x-failed-recipients", "x-failed-recipient")


class Kind(StrEnum):
    """What an inbound message is (stable values, fit for storing)."""

    LOOP = "loop"
    BOUNCE = "bounce"
    AUTO_REPLY = "auto_reply"
    BULK = "bulk"
    HUMAN = "human"


@dataclass(frozen=True, slots=True)
class Classification:
    """The class of a message and the reason, written for staff.

    `failed_recipients` lists the addresses a bounce reports as failed (permanent failures
    first), when they could be found.
    """

    kind: Kind
    reason: str
    failed_recipients: tuple[str, ...] = ()
    doubt: str = ""
    """Why a person should read human mail before anything is done with it (e.g. a bulk
    header a forwarding hop added to a person's reply); empty when there is no doubt."""

    @property
    def is_human(self) -> bool:
        """True when the message may become an expression of interest."""
        return self.kind is Kind.HUMAN


_BOUNCE_LOCALPARTS = frozenset(
    {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon"}
)
# Role addresses people also write from: a bounce sign only together with a bounce's
# structure (a report, failed recipients, a null sender with a failure subject).
_PEOPLE_ROLE_LOCALPARTS = frozenset({"postmaster"})
# Mailing-list managers' own addresses: their notices (held for moderation, bounce
# processing, subscription) are not written by a person.
_LIST_MANAGER_LOCALPARTS = frozenset(
    {"mailman", "listserv", "sympa", "majordomo", "listmaster", "ezmlm", "lyris", "listproc"}
)
# Amazon SNS delivers SES bounce and complaint notifications as JSON from this address.
_SNS_SENDERS = frozenset({"no-reply@sns.amazonaws.com"})
_SES_NOTIFICATION = re.compile(r'"notificationType"\s*:\s*"(Bounce|Complaint|Delivery)"')
_SES_BOUNCED = re.compile(r'"emailAddress"\s*:\s*"([^"\s]+@[^"\s]+)"')
_DMARC_REPORT_SUBJECT = re.compile(r"^\s*report domain:.*\bsubmitter:", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(?:ed|able)\b|(?:permanent )?delivery (?:status notification|failure|"
    r"has failed)|mail delivery (?:failed|failure|system|warning)|returned mail\b|"
    r"failure notice\b|(?:mail|message) could not be delivered\b|"
    r"non[- ]?delivery|unzustellbar|non remis|no entregado|non recapitabile|"
    r"onbestelbaar)",
    re.IGNORECASE,
)
# The names mail servers give themselves in From (sendmail, Postfix, Exim, PMDF and others);
# a person does not sign as "Mail Delivery System".
_MAIL_SYSTEM_NAME = re.compile(
    r"^\s*(?:mail delivery (?:subsystem|system|service)|mailer[- ]daemon|"
    r"internet mail delivery|delivery subsystem)\s*$",
    re.IGNORECASE,
)
# Parts in which a bounce returns the message (or its headers) that could not be delivered.
_RETURNED_MESSAGE_TYPES = frozenset(
    {"message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global"}
)
_DSN_ADDRESS = re.compile(r"[^\s<>;@\"]+@[^\s<>;@\"]+")

# Subjects of out-of-office and other automatic replies, compared after case-folding and
# removing accents, at the start of the subject (after any Re:/AW:/Fwd: prefixes), so that a
# human writing "out of office hours" further into a subject is not affected.
_AUTO_REPLY_SUBJECTS = (
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "out of office",
    "out of the office",
    "ooo:",
    "abwesenheitsnotiz",
    "automatische antwort",
    "abwesend",
    "reponse automatique",
    "absence du bureau",
    "respuesta automatica",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
    "automatisch antwoord",
    "afwezig",
    "autosvar",
    "fravaer",
    "resposta automatica",
    "ausencia",
    "automaattinen vastaus",
    "odpowiedz automatyczna",
    "automatyczna odpowiedz",
    "arpus biroja",
    "automatiska atbilde",
)
# Lotus Notes / Domino: "AUTO: <name> is out of the office (returning ...)". Only with the
# out-of-office phrase: a person may well begin a subject "Auto: ..." (say, about cars).
_LOTUS_NOTES_SUBJECT = re.compile(r"^auto:.*\bis out of (?:the )?office\b")
_SUBJECT_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|antw|wg|fw|fwd|tr|rv|r)\s*(?:\[\d+\])?\s*:)+", re.IGNORECASE
)


def _fold(text: str) -> str:
    """Case-fold and strip accents so that 'Réponse' matches 'reponse'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _localpart(address: str) -> str:
    return address.rpartition("@")[0].lower() if "@" in address else address.lower()


def _normalise(address: str) -> str:
    plain = plain_address(address)
    if plain is not None:
        return plain.lower()
    return parseaddr(address)[1].strip().lower() or address.strip().lower()


def classify(
    parsed: ParsedMessage,
    *,
    own_addresses: Iterable[str] = (),
    own_loop_header_value: str | None = None,
    loop_header: str = DEFAULT_LOOP_HEADER,
) -> Classification:
    """Classify a parsed message as loop, bounce, auto-reply, bulk or human (in that order).

    `own_addresses` are the addresses this system sends from (and the mailboxes it reads);
    `own_loop_header_value` is the value of the loop header we put on outgoing mail. When it
    is None, any message carrying the loop header counts as ours.
    """
    result = (
        _loop(parsed, own_addresses, own_loop_header_value, loop_header)
        or _report(parsed)
        or _bounce(parsed)
        or _auto_reply(parsed)
        or _bulk(parsed)
    )
    if result is not None:
        return result
    return Classification(Kind.HUMAN, "Written by a person: no automatic-mail signs found.")


def _loop(
    parsed: ParsedMessage,
    own_addresses: Iterable[str],
    own_value: str | None,
    loop_header: str,
) -> Classification | None:
    for value in parsed.header_all(loop_header):
        if own_value is None or value.strip() == own_value.strip():
            return Classification(
                Kind.LOOP, f"Our own mail came back: it carries our {loop_header} header."
            )
    own = {canonical_address(address) for address in own_addresses} - {""}
    for address in parsed.from_addresses:
        if canonical_address(address) in own:
            return Classification(
                Kind.LOOP, f"Our own mail came back: it is from our own address {address}."
            )
    for value in parsed.header_all("X-Loop"):
        if any(canonical_address(found) in own for found in _DSN_ADDRESS.findall(value)):
            return Classification(
                Kind.LOOP, f"Our own mail came back: X-Loop names our address ({value})."
            )
    return None


def canonical_address(address: str) -> str:
    """An address as a mailbox knows it: lower case, without a +tag, without a display name
    ("Clinic <Business-Clinic+x@Example.ac.uk>" → "business-clinic@example.ac.uk")."""
    address = _normalise(address)
    local, at, domain = address.rpartition("@")
    if not at:
        return ""
    return f"{local.split('+', 1)[0]}@{domain.rstrip('.')}"


def _feedback_type(part) -> str:
    """The Feedback-Type of a message/feedback-report part (the parser may have read its
    fields as the headers of an enclosed message, or kept them as text)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return str(payload[0].get("Feedback-Type", "")).strip() if payload else ""
    text = part.get_payload(decode=True) or b""
    found = re.search(rb"(?im)^feedback-type:\s*([\w-]+)", text)
    return found.group(1).decode("ascii", "replace") if found else ""


def _report(parsed: ParsedMessage) -> Classification | None:
    """Complaint and feedback-loop reports (ARF, RFC 5965; RFC 6591), DMARC aggregate reports
    (RFC 7489) and Amazon SES bounce/complaint notifications (JSON through SNS).

    All are reports made by machines about mail, never a person's message; they are kept
    with the bounces (reports about delivery), with the failed recipients SES names.
    """
    msg = parsed.email
    try:
        report_type = str(msg.get_param("report-type", "") or "").lower()
        if msg.get_content_type() == "multipart/report" and report_type == "feedback-report":
            feedback = ""
            for part in msg.walk():
                if part.get_content_type() == "message/feedback-report":
                    feedback = _feedback_type(part)
                    break
            shown = f", Feedback-Type: {feedback}" if feedback else ""
            return Classification(
                Kind.BOUNCE, f"Complaint report: an ARF feedback-loop report{shown}."
            )
    except Exception:  # a malformed report must not lose the message.
        log.warning("reading the report of %s failed", parsed.sha256, exc_info=True)
    if _DMARC_REPORT_SUBJECT.match(parsed.subject):
        return Classification(
            Kind.BOUNCE,
            "DMARC aggregate report (its subject names the report domain and submitter).",
        )
    if canonical_address(parsed.from_address) in _SNS_SENDERS or (
        parsed.header("x-amz-sns-message-type") is not None
    ):
        found = _SES_NOTIFICATION.search(parsed.body_text)
        if found is None:
            return Classification(
                Kind.AUTO_REPLY,
                "Automatic notification from Amazon SNS (no-reply@sns.amazonaws.com).",
            )
        failed = tuple(dict.fromkeys(a.lower() for a in _SES_BOUNCED.findall(parsed.body_text)))
        label = {"Bounce": "bounce", "Complaint": "complaint", "Delivery": "delivery"}[
            found.group(1)
        ]
        return Classification(
            Kind.BOUNCE,
            f"Amazon SES {label} notification (JSON through Amazon SNS)"
            + (f" for {', '.join(failed)}." if failed else "."),
            failed if label == "bounce" else (),
        )
    return None


def _dsn_address(value: str | None) -> str | None:
    """The address in a DSN recipient field ("rfc822; user@example.org"), if it is one."""
    if not value:
        return None
    found = _DSN_ADDRESS.search(value.rpartition(";")[2])
    return found.group(0).strip(".").lower() if found else None


def _dsn_failures(parsed: ParsedMessage) -> tuple[set[str], set[str]]:
    """Return (permanent, temporary) failed recipients from message/delivery-status parts.

    RFC 3464: one block per recipient, with Action failed (permanent) or delayed (temporary).
    The Original-Recipient is the address the sender used; the Final-Recipient counts when
    there is no usable original (absent, or not an address).
    """
    permanent: set[str] = set()
    temporary: set[str] = set()
    try:
        for part in parsed.email.walk():
            if part.get_content_type() not in (
                "message/delivery-status",
                "message/global-delivery-status",
            ):
                continue
            blocks = part.get_payload()
            for block in blocks if isinstance(blocks, list) else ():
                action = str(block.get("Action", "")).strip().lower()
                if not action:  # missing (against the RFC): the status code's class decides
                    status = str(block.get("Status", "")).strip()
                    action = {"5": "failed", "4": "delayed"}.get(status[:1], "")
                if action not in ("failed", "delayed"):
                    continue
                address = _dsn_address(str(block.get("Original-Recipient", ""))) or _dsn_address(
                    str(block.get("Final-Recipient", ""))
                )
                if address:
                    (permanent if action == "failed" else temporary).add(address)
    except Exception:  # a malformed report must not lose the message.
        log.warning("reading the delivery-status of %s failed", parsed.sha256, exc_info=True)
    return permanent, temporary


def _bounce_failures(parsed: ParsedMessage) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (permanent, temporary) failed recipients: flufl.bounce's, and the report's own.

    Only addresses count: flufl.bounce also returns bare local parts ("1") it found in text.
    """
    from flufl.bounce import all_failures  # noqa: PLC0415 - heavy, loaded at the first bounce

    try:
        temporary, permanent = all_failures(parsed.email)
    except Exception:  # a detector failing must not lose the message.
        log.warning("flufl.bounce failed on message %s", parsed.sha256, exc_info=True)
        temporary, permanent = set(), set()

    def decode(addresses: Iterable[bytes]) -> set[str]:
        decoded = (a.decode("ascii", "replace").strip().lower() for a in addresses)
        return {a for a in decoded if "@" in a}

    dsn_permanent, dsn_temporary = _dsn_failures(parsed)
    permanent_s = tuple(sorted(decode(permanent) | dsn_permanent))
    temporary_s = tuple(sorted((decode(temporary) | dsn_temporary) - set(permanent_s)))
    return permanent_s, temporary_s


def _is_delivery_report(parsed: ParsedMessage) -> bool:
    msg = parsed.email
    try:
        if msg.get_content_type() == "multipart/report":
            report_type = str(msg.get_param("report-type", "") or "").lower()
            if report_type in ("delivery-status", ""):
                return True
        for part in msg.walk():
            if part.get_content_type() in (
                "message/delivery-status",
                "message/global-delivery-status",
            ):
                return True
    except Exception:
        return False
    return False


def _bounce_hint(parsed: ParsedMessage) -> bool:
    """True when a message without a firm bounce sign may still be one, worth a flufl scan."""
    return (
        parsed.return_path == ""
        or any(parsed.header(name) is not None for name in _BOUNCE_HINT_HEADERS)
        or _BOUNCE_SUBJECT.search(parsed.subject) is not None
    )


def _null_from(parsed: ParsedMessage) -> bool:
    """True when From is the null address ("Mail System" <>), which only mail systems use.

    Read from the raw header: the decoded one also shows "<>" for an address the header
    parser could not read (such as <Postmaster\\@example.com@host>).
    """
    if parsed.from_address:
        return False
    try:
        raw = [str(v) for name, v in parsed.email.raw_items() if name.lower() == "from"]
    except Exception:
        return False
    return bool(raw) and all(re.search(r"<\s*>", value) for value in raw)


def _returns_a_message(parsed: ParsedMessage) -> bool:
    """True when a part holds a returned message or its headers (as bounces attach them)."""
    try:
        return any(
            part.get_content_type() in _RETURNED_MESSAGE_TYPES for part in parsed.email.walk()
        )
    except Exception:
        return False


def _bounce(parsed: ParsedMessage) -> Classification | None:
    signs: list[str] = []
    if _is_delivery_report(parsed):
        signs.append("it is a delivery-status report")
    sender = parsed.from_address
    role_sender = _localpart(sender) in _PEOPLE_ROLE_LOCALPARTS
    if _localpart(sender) in _BOUNCE_LOCALPARTS and not role_sender:
        signs.append(f"it is from {sender}")
    elif _MAIL_SYSTEM_NAME.match(parsed.from_name or ""):
        signs.append(f'it is from "{parsed.from_name.strip()}"')
    elif _null_from(parsed):
        signs.append("its From address is null (<>)")
    if parsed.return_path == "" and _BOUNCE_SUBJECT.search(parsed.subject):
        signs.append("it has a null sender and a delivery-failure subject")
    # flufl.bounce's heuristic detectors read every text part (about 6 ms a message), so they
    # run only on a message that already looks like a bounce: a sign above, or a weaker hint
    # (a null envelope sender, an X-Failed-Recipients header, a delivery-failure subject) on
    # a message small enough to be one. Human mail shows none of these.
    if signs or ((role_sender or _bounce_hint(parsed)) and parsed.size <= FLUFL_SCAN_MAX_BYTES):
        permanent, temporary = _bounce_failures(parsed)
    else:
        permanent, temporary = (), ()
    failed = permanent + temporary
    if failed:
        label = "delivery failed" if permanent else "delivery delayed"
        signs.append(f"{label} for {', '.join(failed)}")
    if not signs and _BOUNCE_SUBJECT.search(parsed.subject) and _returns_a_message(parsed):
        # A forward by a person starts "Fwd:", which the subject pattern does not allow.
        signs.append("it has a delivery-failure subject and returns the original message")
    if not signs:
        return None
    if role_sender:  # postmaster@ with a bounce's structure: say who it is from, too.
        signs.insert(0, f"it is from {sender}")
    return Classification(
        Kind.BOUNCE, "Bounce or delivery report: " + "; ".join(signs) + ".", failed
    )


def _auto_reply(parsed: ParsedMessage) -> Classification | None:
    def found(sign: str) -> Classification:
        return Classification(Kind.AUTO_REPLY, f"Automatic reply: {sign}.")

    auto_submitted = (parsed.auto_submitted or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return found(f"Auto-Submitted: {auto_submitted}")
    for header in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From"):
        value = parsed.header(header)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return found(f"{header}: {value}" if value else f"{header} present")
    precedence = (parsed.header("Precedence") or "").strip().lower()
    if precedence == "auto_reply":
        return found("Precedence: auto_reply")
    if parsed.header("X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return found("X-MS-Exchange-Inbox-Rules-Loop (an Outlook rule or out-of-office)")
    source = parsed.header("X-MS-Exchange-Generated-Message-Source") or ""
    if "autoreply" in source.lower().replace(" ", "") or "mailbox rules" in source.lower():
        return found(f"X-MS-Exchange-Generated-Message-Source: {source}")
    # Some systems put the phrase in brackets: "[Automatyczna odpowiedź] <subject>".
    subject = _SUBJECT_PREFIX.sub("", parsed.subject).strip().lstrip("[(").lstrip()
    folded = _fold(subject)
    for phrase in _AUTO_REPLY_SUBJECTS:
        if folded.startswith(phrase):
            return found(f'the subject begins "{subject[: len(phrase)].strip()}"')
    if _LOTUS_NOTES_SUBJECT.match(folded):
        return found('the subject is a Lotus Notes "AUTO: ... is out of the office"')
    if parsed.return_path == "":
        return found("the envelope sender is null (Return-Path: <>)")
    return None


_FOREFRONT_SCL = re.compile(r"(?:^|;)\s*SCL:(-?\d+)", re.IGNORECASE)
SPAM_CONFIDENCE_LEVEL = 5
"""Exchange's spam confidence level from which mail is spam (5–6 spam, 9 high confidence)."""


def spam_verdict(parsed: ParsedMessage) -> str | None:
    """The receiving mail server's verdict, when it says spam; None otherwise.

    SpamAssassin (and filters that copy it) write X-Spam-Flag: YES or X-Spam-Status: Yes;
    Exchange and Microsoft 365 write a spam confidence level (SCL) of 5 or more in
    X-MS-Exchange-Organization-SCL or X-Forefront-Antispam-Report. A sender can only forge
    these against their own mail, so they are taken as they are.
    """
    if (parsed.header("X-Spam-Flag") or "").strip().lower() == "yes":
        return "X-Spam-Flag: YES"
    if (parsed.header("X-Spam-Status") or "").strip().lower().startswith("yes"):
        return "X-Spam-Status: Yes"
    levels = [
        ("X-MS-Exchange-Organization-SCL", (parsed.header("X-MS-Exchange-Organization-SCL") or "")),
        ("X-Forefront-Antispam-Report", _scl(parsed.header("X-Forefront-Antispam-Report"))),
    ]
    for header, value in levels:
        try:
            level = int(value.strip())
        except ValueError:
            continue
        if level >= SPAM_CONFIDENCE_LEVEL:
            return f"{header} spam confidence level {level}"
    return None


def _scl(report: str | None) -> str:
    found = _FOREFRONT_SCL.search(report or "")
    return found.group(1) if found else ""


def _bulk(parsed: ParsedMessage) -> Classification | None:
    verdict = spam_verdict(parsed)
    if verdict is not None:
        return Classification(
            Kind.BULK, f"Spam: the receiving mail server marked it as spam ({verdict})."
        )
    administrivia = (parsed.header("X-List-Administrivia") or "").strip().lower()
    senders = [parsed.from_address, *(_normalise(v) for v in parsed.header_all("Sender"))]
    if administrivia == "yes" or any(
        _localpart(address) in _LIST_MANAGER_LOCALPARTS for address in senders
    ):
        return Classification(
            Kind.BULK,
            "Mailing-list manager's notice: "
            + (
                "X-List-Administrivia: yes."
                if administrivia == "yes"
                else f"it is from {senders[0]}."
            ),
        )
    list_id = parsed.header("List-Id")
    if list_id is not None:
        return Classification(Kind.BULK, f"Mailing-list mail: List-Id: {list_id}.")
    if parsed.return_path and _VERP_ENVELOPE.match(parsed.return_path):
        return Classification(
            Kind.BULK,
            f"Bulk mail: its envelope sender {parsed.return_path} encodes the recipient (VERP), "
            "as mailing systems do.",
        )
    if parsed.header("List-Unsubscribe") is not None:
        return Classification(Kind.BULK, "Bulk mail: it has a List-Unsubscribe header.")
    for address in senders:
        if _is_list_address(address):
            return Classification(
                Kind.BULK, f"Mailing-list mail: it is sent by the list's own address {address}."
            )
    precedence = (parsed.header("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list"):
        if precedence != "list" and _reply_by_a_person(parsed):
            return Classification(
                Kind.HUMAN,
                f"Written by a person: a reply (Precedence: {precedence}, no list headers).",
                doubt=(
                    f"A person's reply marked Precedence: {precedence} (a forwarding hop can "
                    "add it): please read it yourself."
                ),
            )
        return Classification(Kind.BULK, f"Bulk or list mail: Precedence: {precedence}.")
    return None


def _reply_by_a_person(parsed: ParsedMessage) -> bool:
    """A reply or forward: a Re:/Fwd: subject and a reference to an earlier message (its
    Message-ID, or the quoted or forwarded message in the text)."""
    return bool(_SUBJECT_PREFIX.match(parsed.subject)) and bool(
        parsed.in_reply_to or parsed.references or _QUOTED_MESSAGE.search(parsed.body_text)
    )


_QUOTED_MESSAGE = re.compile(
    r"(?im)^(?:-{2,}\s*(?:original message|forwarded message)\s*-{2,}|>?\s*from:\s.+@|"
    r"on .{5,80} wrote:\s*$)"
)


# bounces+user=example.org@…, bounces-main+user=example.org@…, list-bounces+user=… : the
# recipient's address is written into the envelope sender, so each bounce names whom it was for.
_VERP_ENVELOPE = re.compile(r"^[^@]*bounces?[^@+]*\+[^@=]+=[^@]+@", re.IGNORECASE)


def _is_list_address(address: str) -> bool:
    """A mailing list's own address: list-request, list-bounces or owner-list.

    Not "-admin" or "-owner" endings: people's shared mailboxes use those too.
    """
    local = _localpart(address)
    return "@" in address and (
        local.startswith("owner-") or local.endswith(("-request", "-bounces"))
    )


# --------------------------------------------------------------------------------------------
# Authentication-Results (RFC 8601).


@dataclass(frozen=True, slots=True)
class AuthResult:
    """One method result from an Authentication-Results header."""

    method: str
    result: str
    properties: dict[str, str]


def _strip_comments(value: str) -> str:
    """Remove (possibly nested) RFC 5322 comments outside quoted strings, iteratively."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
            continue
        if ch == "(":
            depth += 1
            continue
        if ch == ")" and depth:
            depth -= 1
            continue
        if depth:
            continue
        if ch == '"':
            quoted = True
        out.append(ch)
    return "".join(out)


def parse_authentication_results(value: str) -> tuple[str | None, list[AuthResult]]:
    """Parse one Authentication-Results value into (authserv-id, results).

    The authserv-id is None when the header has none (Microsoft 365 omits it).
    """
    segments = [segment.strip() for segment in _strip_comments(value).split(";")]
    if not segments:
        return None, []
    head = segments[0].split()
    authserv_id: str | None = None
    if head and "=" not in head[0]:
        authserv_id = head[0].lower()
        rest = segments[1:]
    else:
        rest = segments
    results: list[AuthResult] = []
    for segment in rest:
        tokens = segment.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        properties: dict[str, str] = {}
        for token in tokens[1:]:
            key, sep, val = token.partition("=")
            if sep:
                properties[key.lower()] = val.strip('"').lower()
        results.append(AuthResult(method.split("/")[0].lower(), result.lower(), properties))
    return authserv_id, results


def _own_server_results(parsed: ParsedMessage, trusted_authserv_id: str) -> list[AuthResult]:
    """The results in the topmost Authentication-Results header our own server added."""
    trusted = (trusted_authserv_id or "").strip().lower()
    if not trusted:
        return []
    for value in parsed.authentication_results:
        authserv_id, results = parse_authentication_results(value)
        if authserv_id == trusted:
            return list(results)
    return []


def authentication_failure_at_own_server(
    parsed: ParsedMessage, trusted_authserv_id: str
) -> str | None:
    """How the sender failed authentication at our own mail server, or None.

    A failure is dmarc=fail, or spf=fail without any dkim=pass (a domain that publishes a
    hard SPF fail and no valid signature did not send this). Only our server's topmost
    header counts, as for `dmarc_pass_from_own_server`.
    """
    results = _own_server_results(parsed, trusted_authserv_id)
    outcomes = {(r.method, r.result) for r in results}
    if ("dmarc", "fail") in outcomes:
        return "dmarc=fail"
    if ("spf", "fail") in outcomes and ("dkim", "pass") not in outcomes:
        return "spf=fail and no valid DKIM signature"
    return None


def dmarc_pass_from_own_server(parsed: ParsedMessage, trusted_authserv_id: str) -> bool:
    """Return True when our own mail server recorded dmarc=pass for the From domain.

    Only the topmost Authentication-Results header whose authserv-id is `trusted_authserv_id`
    counts (the one our server added last); headers from anyone else, including forged ones
    further down, are ignored. The message must have exactly one From address and the
    result's header.from must be its domain. Our MTA must remove incoming headers that claim
    our authserv-id (RFC 8601 section 5) for this to be meaningful.
    """
    if not parsed.sender:
        return False
    from_domain = parsed.sender.rpartition("@")[2].strip().lower().rstrip(".")
    return bool(from_domain) and any(
        r.method == "dmarc"
        and r.result == "pass"
        and r.properties.get("header.from", "").rstrip(".") == from_domain
        for r in _own_server_results(parsed, trusted_authserv_id)
    )
