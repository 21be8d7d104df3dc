"""Tests only: the engine as it was before its explanations were built lazily, kept
verbatim so that a property test can check the engine still gives identical results.

Fair, explainable selection of students for micro-internships (pure Python, no Django).

Plain data in, plain data out: :func:`allocate` takes :class:`MicroInternship` and
:class:`Student` records and a seed, and returns an :class:`Allocation` with the assignment,
a waiting list per micro-internship, team-balance warnings and a structured
:class:`Explanation` for every student. :func:`render_explanation` turns an explanation into
plain English.

The policy
==========

*Lottery.* Every student's lottery number is ``HMAC-SHA256(key=seed, msg=str(student_id))``
(UTF-8), or of ``lottery_messages[student_id]`` when the caller gives them (the app keys the
draw with the seed combined with the sealed participant list and uses pseudonyms as the
messages: see ``selection.commitment``). Before the interest window closes the round
publishes :func:`seed_commitment` (``sha256(seed)``); after the draw it publishes the seed,
and anyone can recompute every number with :func:`lottery_number`.

*Priority.* One common order for all micro-internships: by priority tier (a lower number
is a higher priority), then by lottery number (a smaller number comes first). Which tiers
exist, their order, and whether a tier is switched off is decided upstream; the engine only
sees a tier number per student.

*Reserves (soft).* A micro-internship may keep ``seats`` of its places for students of one
tier. Its choice rule, given the students applying to it (Hafalir, Yenmez and Yildirim 2013,
"soft minority reserves"): first the best (by priority order) students of the reserved tier
take up to ``seats`` reserved places; then every other applicant, in priority order,
competes for the remaining places. Reserved places nobody from that tier wants become
open places. Because the priority order is tier first, a reserve for the highest tier
present never changes anything (those students already come first); a reserve matters
when it is for a lower tier, e.g. keeping 3 of 10 places for widening-participation
students even when first-timers alone would fill the team.

*Deferred acceptance.* Students propose down their ranked lists; each micro-internship
tentatively holds what its choice rule picks from those holding plus the newcomer and
rejects the rest (student-proposing deferred acceptance). The choice rule is substitutable
and fills every place it can, so the result is the student-optimal stable matching and
ranking honestly is a student's best strategy. Without reserves the choice rule is the
common order itself and the result equals serial dictatorship. Students propose in
priority order, so a micro-internship only ever takes back a place when a reserved-tier
student claims a reserved place; the engine therefore runs in time close to one pass over
the preference lists.

*Stability with reserves (the definition the tests check).* Given a team at micro-
internship ``j``, its reserved places are held by the best ``min(seats, k)`` of its ``k``
reserved-tier members; every other member holds an open place. Student ``i``, who prefers
``j`` to what they got, has *justified envy* towards member ``m`` of ``j``'s team when

(a) ``m`` holds an open place and ``i`` has the higher priority; or
(b) ``m`` holds a reserved place, ``i`` is in the reserved tier and has the higher
    priority; or
(c) ``i`` is in the reserved tier, the team has fewer reserved-tier members than reserved
    places, and ``m`` is not in the reserved tier (``i`` could claim a reserved place).

The matching is *non-wasteful* when no student prefers a micro-internship that has an empty
place. Equivalently: nobody would be picked by ``j``'s choice rule from ``j``'s team plus
themselves. The result has no justified envy and is non-wasteful.

*Team balance (soft, reported, never enforced).* A micro-internship may set
``programme_cap``: the most students from one programme it would like in its team. Meeting
it would mean passing over a student with a better priority for one with a worse priority,
which the published policy cannot justify to the student passed over. So the engine never
changes an assignment for it; instead every team over the cap gets a :class:`TeamWarning`
and staff decide (overrides are logged with a reason).

*Waiting lists.* For each micro-internship: every student who ranked it above the place
they got (or who got none), in priority order. Reserves are not applied to waiting-list
order; when a place comes free, the caller decides whether it was a reserved one.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

__all__ = [
    "Allocation",
    "Cutoff",
    "Explanation",
    "MicroInternship",
    "MicroInternshipOutcome",
    "Missed",
    "Reserve",
    "Student",
    "TeamWarning",
    "allocate",
    "lottery_number",
    "render_explanation",
    "seed_commitment",
]

# Reasons a student did not get a choice ranked above the one they got (Missed.reason).
HIGHER_GROUP = "higher_group"  # every place they could take went to a higher tier
LOTTERY = "lottery"  # the last place they could take went to their own tier, earlier lottery
RESERVED = "reserved"  # all places went to the reserved tier, which they are not in


# --------------------------------------------------------------------------- inputs


@dataclass(slots=True, frozen=True)
class Reserve:
    """Up to ``seats`` places kept for students of priority tier ``tier`` (soft)."""

    tier: int
    seats: int


@dataclass(slots=True, frozen=True)
class MicroInternship:
    """A micro-internship as the engine sees it.

    ``capacity`` is the number of places (1..10); ``reserve`` optionally keeps places for one
    tier; ``programme_cap`` optionally asks for at most that many students of one programme
    in the team (reported, never enforced).
    """

    id: Hashable
    capacity: int
    reserve: Reserve | None = None
    programme_cap: int | None = None


@dataclass(slots=True, frozen=True)
class Student:
    """An eligible student: priority ``tier`` (lower is higher priority), ``programme`` and
    ``choices``, the micro-internship ids in order of preference (best first)."""

    id: Hashable
    tier: int
    programme: str
    choices: tuple[Hashable, ...]


# -------------------------------------------------------------------------- outputs


@dataclass(slots=True, frozen=True)
class Cutoff:
    """The last student admitted to (some places of) a micro-internship.

    ``position`` is their place in the round's priority order (1-based), ``tier`` their
    priority tier and ``tier_position`` their lottery position within that tier (1-based).
    """

    position: int
    tier: int
    tier_position: int


@dataclass(slots=True)
class Missed:
    """A choice ranked above the one the student got.

    ``choice`` is its rank in the student's list (1 = first choice). ``reason`` is one of
    ``"higher_group"``, ``"lottery"`` or ``"reserved"``; ``cutoff`` is the last student
    admitted to the places this student could have taken (``None`` when all places were
    reserved for another tier). ``reserved_tier``/``reserved_taken`` say how many places
    went to a reserve this student was not eligible for (0 when none).
    ``waitlist_position`` is the student's 1-based place on that waiting list.
    """

    micro_internship: Hashable
    choice: int
    reason: str
    cutoff: Cutoff | None
    reserved_tier: int | None
    reserved_taken: int
    waitlist_position: int


@dataclass(slots=True)
class Explanation:
    """Why a student got the outcome they got.

    ``position`` of ``round_size``: place in the common priority order. ``tier_position`` of
    ``tier_size``: lottery position within the student's tier. ``offered`` is the
    micro-internship offered (``None`` if none) and ``offered_choice`` its rank in the
    student's list (1-based). ``missed`` covers every choice ranked above the offer (every
    choice if no offer). ``lottery`` is the raw HMAC-SHA256 digest.
    """

    student: Hashable
    tier: int
    position: int
    round_size: int
    tier_position: int
    tier_size: int
    offered: Hashable | None
    offered_choice: int | None
    missed: tuple[Missed, ...]
    lottery: bytes


@dataclass(slots=True, frozen=True)
class TeamWarning:
    """A team has ``count`` students from ``programme``, above the soft ``cap``."""

    micro_internship: Hashable
    programme: str
    count: int
    cap: int


@dataclass(slots=True)
class MicroInternshipOutcome:
    """The result for one micro-internship.

    ``team`` and ``waitlist`` are student ids in priority order. ``reserved_filled`` is the
    number of reserved places taken by the reserved tier. ``cutoff`` is the last student
    admitted; ``open_cutoff`` the last one admitted to an open place. ``warnings`` lists
    programmes over the soft cap.
    """

    id: Hashable
    capacity: int
    team: tuple[Hashable, ...]
    waitlist: tuple[Hashable, ...]
    reserve: Reserve | None
    reserved_filled: int
    cutoff: Cutoff | None
    open_cutoff: Cutoff | None
    warnings: tuple[TeamWarning, ...]


@dataclass(slots=True)
class Allocation:
    """The outcome of a selection round."""

    assignment: dict[Hashable, Hashable | None]
    micro_internships: dict[Hashable, MicroInternshipOutcome]
    explanations: dict[Hashable, Explanation]
    priority_order: list[Hashable]
    seed_commitment: str

    @property
    def waitlists(self) -> dict[Hashable, tuple[Hashable, ...]]:
        """Waiting list (student ids in priority order) for every micro-internship."""
        return {k: v.waitlist for k, v in self.micro_internships.items()}

    @property
    def teams(self) -> dict[Hashable, tuple[Hashable, ...]]:
        """Offered students (ids in priority order) for every micro-internship."""
        return {k: v.team for k, v in self.micro_internships.items()}

    @property
    def warnings(self) -> list[TeamWarning]:
        """Every team-balance warning in the round."""
        return [w for v in self.micro_internships.values() for w in v.warnings]


# -------------------------------------------------------------------------- lottery


def _seed_bytes(seed: bytes | str) -> bytes:
    if isinstance(seed, str):
        return seed.encode("utf-8")
    if isinstance(seed, bytes | bytearray | memoryview):
        return bytes(seed)
    raise TypeError("seed must be bytes or str")


def seed_commitment(seed: bytes | str) -> str:
    """Return the hex SHA-256 of the seed, to publish before the interest window closes."""
    return hashlib.sha256(_seed_bytes(seed)).hexdigest()


def lottery_number(seed: bytes | str, student_id: Hashable) -> str:
    """Return a student's lottery number: hex HMAC-SHA256(seed, str(student_id)).

    Anyone with the published seed can recompute it; smaller numbers come first.
    """
    return hmac.digest(_seed_bytes(seed), str(student_id).encode("utf-8"), "sha256").hex()


def _hmac_sha256_many(key: bytes, messages: list[str]) -> list[bytes]:
    """HMAC-SHA256(key, m) for every message (UTF-8), equal to ``hmac.digest``.

    RFC 2104 spelled out with the padded-key states hashed once and copied per message,
    which is more than twice as fast as calling ``hmac.digest`` 100,000 times.
    """
    block = 64  # SHA-256 block size in bytes
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    append = out.append
    for m in messages:
        inner = inner0.copy()
        inner.update(m.encode("utf-8"))
        outer = outer0.copy()
        outer.update(inner.digest())
        append(outer.digest())
    return out


# ----------------------------------------------------------------------- the engine


def allocate(
    micro_internships: Iterable[MicroInternship],
    students: Iterable[Student],
    seed: bytes | str,
    *,
    lottery_messages: Mapping[Hashable, str] | None = None,
) -> Allocation:
    """Run a selection round and return the :class:`Allocation`.

    A student's lottery number is HMAC-SHA256(seed, message), the message being
    ``lottery_messages[student id]`` when given, else ``str(student id)``.

    Raises ``ValueError`` for duplicate ids, an unknown or repeated choice, a capacity
    outside 1..10 or a reserve larger than the capacity.
    """
    # The round allocates many small acyclic objects; cyclic garbage collection passes
    # over them would only cost time (about a third of it at 100k students).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _allocate(
            list(micro_internships), list(students), _seed_bytes(seed), lottery_messages
        )
    finally:
        if gc_was_enabled:
            gc.enable()


def _allocate(
    mis: list[MicroInternship],
    studs: list[Student],
    key: bytes,
    lottery_messages: Mapping[Hashable, str] | None = None,
) -> Allocation:
    n = len(studs)
    cap: dict[Hashable, int] = {}
    res_tier: dict[Hashable, int | None] = {}
    res_seats: dict[Hashable, int] = {}
    for mi in mis:
        if mi.id in cap:
            raise ValueError(f"duplicate micro-internship id {mi.id!r}")
        if not 1 <= mi.capacity <= 10:
            raise ValueError(f"capacity of {mi.id!r} must be 1..10, got {mi.capacity}")
        cap[mi.id] = mi.capacity
        res_tier[mi.id] = None
        res_seats[mi.id] = 0
        if mi.reserve is not None and mi.reserve.seats > 0:
            if mi.reserve.seats > mi.capacity:
                raise ValueError(f"reserve of {mi.id!r} is larger than its capacity")
            res_tier[mi.id] = mi.reserve.tier
            res_seats[mi.id] = mi.reserve.seats

    # Lottery and the common priority order (tier, lottery number).
    ids_in = [s.id for s in studs]
    id_text = [str(i) for i in ids_in]
    if len(set(id_text)) != n:
        raise ValueError("duplicate student ids")
    messages = id_text if lottery_messages is None else [lottery_messages[i] for i in ids_in]
    lots_in = _hmac_sha256_many(key, messages)
    tiers_in = [s.tier for s in studs]
    order = sorted(range(n), key=lots_in.__getitem__)
    order.sort(key=tiers_in.__getitem__)

    # Re-index students by priority position r (0 = highest priority).
    ranked = list(map(studs.__getitem__, order))
    ids = list(map(attrgetter("id"), ranked))
    tier = list(map(tiers_in.__getitem__, order))
    prefs = list(map(attrgetter("choices"), ranked))
    unknown = set(chain.from_iterable(prefs)).difference(cap)
    if unknown:
        raise ValueError(f"unknown micro-internship id(s) ranked: {sorted(map(repr, unknown))}")
    if list(map(len, prefs)) != list(map(len, map(set, prefs))):
        bad = next(i for i, p in zip(ids, prefs, strict=True) if len(set(p)) != len(p))
        raise ValueError(f"student {bad!r} ranked a micro-internship twice")

    holders, got = _deferred_acceptance(prefs, tier, cap, res_tier, res_seats)
    for h in holders.values():
        h.sort()

    # Lottery position within tier.
    tier_pos = [0] * n
    tier_size: dict[int, int] = {}
    prev = object()
    k = 0
    for r in range(n):
        t = tier[r]
        if t != prev:
            prev = t
            k = 0
        k += 1
        tier_pos[r] = k
        tier_size[t] = k

    # Reserved/open split and cut-offs.
    cut_all: dict[Hashable, Cutoff | None] = {}
    cut_open: dict[Hashable, Cutoff | None] = {}
    reserved_filled: dict[Hashable, int] = {}
    for j, team in holders.items():
        reserved_filled[j] = 0
        if not team:
            cut_all[j] = cut_open[j] = None
            continue
        last = team[-1]
        cut_all[j] = cut_open[j] = Cutoff(last + 1, tier[last], tier_pos[last])
        rt = res_tier[j]
        if rt is None:
            continue
        reserved = [r for r in team if tier[r] == rt][: res_seats[j]]
        reserved_filled[j] = len(reserved)
        if reserved:
            open_ = [r for r in team if r not in reserved]
            if not open_:
                cut_open[j] = None
            elif open_[-1] != last:
                last = open_[-1]
                cut_open[j] = Cutoff(last + 1, tier[last], tier_pos[last])

    # Waiting lists and explanations, in one pass in priority order. For a student who
    # missed micro-internship j, what they competed for depends only on whether they are in
    # j's reserved tier: the whole team if so (or if j has no reserve), else its open places.
    waitlists: dict[Hashable, list[Hashable]] = {j: [] for j in cap}
    info = {}
    for j in cap:
        rt = res_tier[j]
        whole = (cut_all[j], None, 0)
        taken = reserved_filled[j]
        open_ = (cut_open[j], rt, taken) if taken else (cut_open[j], None, 0)
        info[j] = (waitlists[j], rt, whole, open_)
    explanations: dict[Hashable, Explanation] = {}
    assignment: dict[Hashable, Hashable | None] = {}
    lots = list(map(lots_in.__getitem__, order))
    no_missed: tuple[Missed, ...] = ()
    rows = zip(prefs, got, tier, ids, tier_pos, lots, strict=True)
    for r, (p, g, t, sid, tpos, lot) in enumerate(rows, 1):
        missed = no_missed
        if g:  # something above the offer was missed (g == -1: no offer, all missed)
            out = []
            for c in range(g if g > 0 else len(p)):
                j = p[c]
                wl, rt, whole, open_ = info[j]
                wl.append(sid)
                cut, rt, taken = whole if rt is None or rt == t else open_
                if cut is None:
                    reason = RESERVED
                elif cut.tier < t:
                    reason = HIGHER_GROUP
                else:
                    reason = LOTTERY
                out.append(Missed(j, c + 1, reason, cut, rt, taken, len(wl)))
            missed = tuple(out)
        if g >= 0:
            offered = p[g]
            assignment[sid] = offered
            explanations[sid] = Explanation(
                sid, t, r, n, tpos, tier_size[t], offered, g + 1, missed, lot
            )
        else:
            assignment[sid] = None
            explanations[sid] = Explanation(
                sid, t, r, n, tpos, tier_size[t], None, None, missed, lot
            )

    programme = list(map(attrgetter("programme"), ranked))
    outcomes: dict[Hashable, MicroInternshipOutcome] = {}
    for mi in mis:
        j = mi.id
        team = holders[j]
        warnings: tuple[TeamWarning, ...] = ()
        pc = mi.programme_cap
        if pc is not None and len(team) > pc:
            counts: dict[str, int] = {}
            for r in team:
                counts[programme[r]] = counts.get(programme[r], 0) + 1
            warnings = tuple(
                TeamWarning(j, prog, cnt, pc) for prog, cnt in counts.items() if cnt > pc
            )
        outcomes[j] = MicroInternshipOutcome(
            j,
            mi.capacity,
            tuple([ids[r] for r in team]),
            tuple(waitlists[j]),
            mi.reserve,
            reserved_filled[j],
            cut_all[j],
            cut_open[j],
            warnings,
        )

    return Allocation(assignment, outcomes, explanations, ids, hashlib.sha256(key).hexdigest())


def _deferred_acceptance(
    prefs: list[tuple[Hashable, ...]],
    tier: list[int],
    cap: dict[Hashable, int],
    res_tier: dict[Hashable, int | None],
    res_seats: dict[Hashable, int],
) -> tuple[dict[Hashable, list[int]], list[int]]:
    """Student-proposing deferred acceptance with soft reserves.

    Students are indexed by priority position (0 is best) and propose in that order.
    Returns the students (priority positions) each micro-internship holds at the end and,
    per student, the index in their list of the place they hold (-1 for none).
    """
    holders: dict[Hashable, list[int]] = {j: [] for j in cap}
    gcount = dict.fromkeys(cap, 0)  # holders in the reserved tier
    got = [-1] * len(prefs)
    for r, p in enumerate(prefs):
        t = tier[r]
        for c, j in enumerate(p):
            h = holders[j]
            if len(h) < cap[j]:
                h.append(r)
                if t == res_tier[j]:
                    gcount[j] += 1
                got[r] = c
                break
            # Full. A newcomer is worse than every holder (they propose in priority order),
            # so it is rejected unless it can claim a reserved place.
            if t == res_tier[j] and gcount[j] < res_seats[j]:
                _claim(r, c, prefs, tier, cap, res_tier, res_seats, holders, gcount, got)
                break
    return holders, got


def _claim(
    r: int,
    c: int,
    prefs: list[tuple[Hashable, ...]],
    tier: list[int],
    cap: dict[Hashable, int],
    res_tier: dict[Hashable, int | None],
    res_seats: dict[Hashable, int],
    holders: dict[Hashable, list[int]],
    gcount: dict[Hashable, int],
    got: list[int],
) -> None:
    """Let student ``r`` propose from choice ``c`` on, with the full choice rule, and let
    everyone this displaces propose further down their lists (the slow path)."""
    stack = [(r, c)]
    while stack:
        s, c = stack.pop()
        p = prefs[s]
        while c < len(p):
            j = p[c]
            h = holders[j]
            rt = res_tier[j]
            if len(h) < cap[j]:
                h.append(s)
                if tier[s] == rt:
                    gcount[j] += 1
                got[s] = c
                break
            loser = _rejected(h, s, tier, rt, res_seats[j])
            if loser == s:
                c += 1
                continue
            h[h.index(loser)] = s
            gcount[j] += (tier[s] == rt) - (tier[loser] == rt)
            got[s] = c
            stack.append((loser, got[loser] + 1))
            got[loser] = -1
            break


def _rejected(holders: list[int], s: int, tier: list[int], rt: int | None, seats: int) -> int:
    """Which one of a full team's ``holders`` plus newcomer ``s`` the choice rule rejects.

    The best ``seats`` reserved-tier applicants take the reserved places; the worst of the
    rest (by priority position, larger is worse) is rejected.
    """
    applicants = sorted([*holders, s])
    if rt is None or not seats:
        return applicants[-1]
    reserved = [a for a in applicants if tier[a] == rt][:seats]
    return max(a for a in applicants if a not in reserved)


# ---------------------------------------------------------------------- plain English

_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
)


def _ordinal(k: int) -> str:
    return _ORDINALS[k - 1] if 1 <= k <= len(_ORDINALS) else f"number {k}"


def _group(tier: int, labels: Mapping[int, str]) -> str:
    label = labels.get(tier)
    return f"priority group {tier} ({label})" if label else f"priority group {tier}"


def _missed_clause(miss: Missed, labels: Mapping[int, str]) -> str:
    choice = f"your {_ordinal(miss.choice)} choice"
    if miss.reason == RESERVED:
        text = (
            f"{choice} had all its places reserved for {_group(miss.reserved_tier, labels)}"
            " and they were all taken"
        )
        return text
    if miss.reason == HIGHER_GROUP:
        text = f"{choice} was filled by students in a higher priority group"
    else:
        text = (
            f"{choice} was filled by students in your priority group with earlier lottery "
            f"positions (the last place went to lottery position {miss.cutoff.tier_position})"
        )
    if miss.reserved_taken:
        places = "place was" if miss.reserved_taken == 1 else "places were"
        text += (
            f", after {miss.reserved_taken} {places} kept for {_group(miss.reserved_tier, labels)}"
        )
    return text


def render_explanation(
    explanation: Explanation, tier_labels: Mapping[int, str] | None = None
) -> str:
    """Render an explanation in plain English.

    ``tier_labels`` maps a tier number to a short label, e.g. ``{1: "first
    micro-internship"}``. Example output: "Priority group 1: first micro-internship. Lottery
    position 4 of 23. Your first choice was filled by students in a higher priority group;
    you were offered your second choice. You are number 2 on the waiting list for your first
    choice."
    """
    labels = tier_labels or {}
    e = explanation
    label = labels.get(e.tier)
    parts = [f"Priority group {e.tier}: {label}." if label else f"Priority group {e.tier}."]
    parts.append(f"Lottery position {e.tier_position} of {e.tier_size}.")
    clauses = [_missed_clause(miss, labels) for miss in e.missed]
    if e.offered_choice is not None:
        clauses.append(f"you were offered your {_ordinal(e.offered_choice)} choice")
        body = "; ".join(clauses)
    else:
        body = "; ".join(clauses)
        body = (
            f"{body}. You were not offered a place this time"
            if body
            else ("You were not offered a place this time")
        )
    parts.append(body[0].upper() + body[1:] + ".")
    if e.missed:
        waits = [
            f"number {miss.waitlist_position} for your {_ordinal(miss.choice)} choice"
            for miss in e.missed
        ]
        if len(waits) == 1:
            parts.append(f"You are {waits[0].replace(' for ', ' on the waiting list for ', 1)}.")
        else:
            parts.append("You are on the waiting lists: " + ", ".join(waits) + ".")
    return " ".join(parts)
