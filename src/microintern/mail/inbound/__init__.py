"""Inbound email: store every message as received, then process it once.

The modules, by job:
- `parse`, `classify`, `interpret`: the pure core (no Django): safe parsing behind caps,
  the class of a message (loop, bounce, auto-reply, bulk, human), reference codes and
  statements. Their heavy libraries (BeautifulSoup, flufl.bounce, email-reply-parser) load
  when a message is first read, not when this package is imported;
- `store`: the raw bytes in, once (idempotent);
- `pipeline`: batches of stored messages through parse → classify → interpret → interest;
- `acknowledge`: the one acknowledgement to human mail, and never to anyone else;
- `triage`: what staff (and the sender) do with a message afterwards;
- `addresses`: our own addresses, students' addresses, confirmed personal addresses;
- `lifecycle`: the message's states and the only code that changes them;
- `imap`, `importers`: where messages come from.

Typical use of the pure core, after the raw bytes are stored::

    parsed = parse_message(raw)
    if isinstance(parsed, Quarantined):
        ...  # set aside with parsed.code / parsed.reason
    else:
        result = classify(parsed, own_addresses=..., own_loop_header_value=...)
        if result.kind is Kind.HUMAN:
            codes = find_reference_codes(parsed.subject, parsed.body_trimmed)
            statement = extract_statement(parsed)
"""
