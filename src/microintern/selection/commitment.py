"""What a round commits to, and how the draw is derived from it (pure Python, no Django).

Before interest closes a round publishes one fingerprint, `commitment`: the SHA-256 of the
canonical JSON of the seed's SHA-256, the canonical policy (priority order, and per
micro-internship its places, reserve and programme cap) and the analysis plan. When
interest closes the round records `participants_digest`, the SHA-256 of the confirmed
participant list (each participant's pseudonym, priority group and ranked choices); the
draw uses the groups as sealed, so a record changed after close moves nobody. The draw
uses both:

    pseudonym(student number) = HMAC-SHA256(key = seed, message = student number)
    draw key                  = HMAC-SHA256(key = seed, message = participants digest)
    lottery number            = HMAC-SHA256(key = draw key, message = pseudonym)

(all hex, UTF-8). The seed was fixed before anyone applied and the participant list is
fixed at close, so neither can be chosen after seeing the other. docs/selection.md has a
stdlib-only script that checks all of it from the public audit file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable

AUDIT_FORMAT = "microintern-selection-audit-2"
# A round sealed before priority groups were: its digest and audit file have no groups.
LEGACY_AUDIT_FORMAT = "microintern-selection-audit-1"


def canonical_json(value) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def hmac_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), "sha256").hexdigest()


def canonical_policy(priority: list[str], micro_internships: Iterable[dict]) -> dict:
    """The policy as committed: `priority` in order and, sorted by reference, each
    micro-internship's `reference`, `capacity`, `reserve` ([group, places] or None) and
    `programme_cap` (None for no cap)."""
    return {
        "priority": list(priority),
        "micro_internships": sorted(
            (
                {
                    "reference": m["reference"],
                    "capacity": m["capacity"],
                    "reserve": list(m["reserve"]) if m["reserve"] else None,
                    "programme_cap": m["programme_cap"],
                }
                for m in micro_internships
            ),
            key=lambda m: m["reference"],
        ),
    }


def commitment(seed_sha256: str, policy: dict, analysis_plan: str) -> str:
    """The round's fingerprint: binds the seed, the policy and the analysis plan at once."""
    return sha256_hex(
        canonical_json(
            {"seed_sha256": seed_sha256, "policy": policy, "analysis_plan": analysis_plan}
        )
    )


def pseudonym(seed: str, student_number: str) -> str:
    """A participant's number in the audit file: only they (and staff) know whose it is."""
    return hmac_hex(seed, student_number)


def participants_digest(participants: Iterable[list]) -> str:
    """SHA-256 of the participant list: one line per participant (`pseudonym`, `choices`,
    `group`), the pseudonym, the priority group and the ranked choices comma-separated,
    separated by spaces; lines sorted and joined by newlines. A list sealed before groups
    were sealed has no group, and its lines none."""
    return sha256_hex("\n".join(sorted(_digest_line(*entry) for entry in participants)))


def _digest_line(name: str, choices: list[str], group: int | None = None) -> str:
    if group is None:
        return f"{name} {','.join(choices)}"
    return f"{name} {group} {','.join(choices)}"


def sealed_groups(participants: Iterable[list]) -> dict[str, int]:
    """Pseudonym → priority group, as sealed at close (empty for a list sealed without)."""
    return {entry[0]: entry[2] for entry in participants if len(entry) > 2}


def joined_after_close(sealed: list, now: list) -> list[str]:
    """Pseudonyms in `now` that the sealed list does not cover: new participants, or choices
    not among (or not in the order of) those sealed. Leaving, or dropping a choice, is not
    joining: a student may withdraw after close."""
    at_close = {entry[0]: entry[1] for entry in sealed}
    joined = []
    for name, choices, *_ in now:
        kept = iter(at_close.get(name, ()))
        if name not in at_close or not all(ref in kept for ref in choices):
            joined.append(name)
    return joined


def draw_key(seed: str, digest: str) -> str:
    """The key of the lottery: the committed seed combined with the participant digest."""
    return hmac_hex(seed, digest)


def policy_changes(before: dict, after: dict) -> list[str]:
    """What differs between two canonical policies, in plain English (empty: the same)."""
    changes = []
    if before.get("priority") != after.get("priority"):
        changes.append(
            f"priority order {', '.join(before.get('priority', [])) or 'none'} → "
            f"{', '.join(after.get('priority', [])) or 'none'}"
        )
    old = {m["reference"]: m for m in before.get("micro_internships", [])}
    new = {m["reference"]: m for m in after.get("micro_internships", [])}
    for ref in sorted(old.keys() | new.keys()):
        a, b = old.get(ref), new.get(ref)
        if a is None or b is None:
            changes.append(f"{ref} {'added' if a is None else 'removed'}")
            continue
        for key, label in (
            ("capacity", "places"),
            ("reserve", "reserve"),
            ("programme_cap", "programme cap"),
        ):
            if a[key] != b[key]:
                changes.append(f"{ref} {label} {_show(a[key])} → {_show(b[key])}")
    return changes


def _show(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return f"{value[1]} for group {value[0]}"
    return str(value)
