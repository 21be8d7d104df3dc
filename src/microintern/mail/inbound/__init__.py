"""The pure (no Django) core of inbound email: safe parsing, classification, interpretation.

Typical use by the ingestion layer, after the raw bytes are stored::

    parsed = parse_message(raw)
    if isinstance(parsed, Quarantined):
        ...  # set aside with parsed.code / parsed.reason
    else:
        result = classify(parsed, own_addresses=..., own_loop_header_value=...)
        if result.kind is Kind.HUMAN:
            codes = find_reference_codes(parsed.subject, parsed.body_trimmed)
            statement = extract_statement(parsed)
"""

from .classify import (
    DEFAULT_LOOP_HEADER,
    Classification,
    Kind,
    auto_reply_allowed,
    auto_reply_decision,
    classify,
    dmarc_pass_from_own_server,
)
from .interpret import (
    Statement,
    extract_statement,
    find_reference_codes,
    is_university_address,
    normalise_address,
)
from .parse import (
    DEFAULT_LIMITS,
    Attachment,
    Limits,
    ParsedMessage,
    QuarantineCode,
    Quarantined,
    extract_message_id,
    parse_message,
)

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_LOOP_HEADER",
    "Attachment",
    "Classification",
    "Kind",
    "Limits",
    "ParsedMessage",
    "QuarantineCode",
    "Quarantined",
    "Statement",
    "auto_reply_allowed",
    "auto_reply_decision",
    "classify",
    "dmarc_pass_from_own_server",
    "extract_message_id",
    "extract_statement",
    "find_reference_codes",
    "is_university_address",
    "normalise_address",
    "parse_message",
]
