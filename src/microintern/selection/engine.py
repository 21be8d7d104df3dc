"""Fair, explainable selection of students for micro-internships (pure Python, no Django).

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
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, compress, count, islice
from operator import attrgetter, eq

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
    explanations: Mapping[Hashable, Explanation]
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


_DIGEST = 32  # bytes of an HMAC-SHA256 lottery number


def _hmac_sha256_joined(key: bytes, messages: Iterable[str]) -> bytearray:
    """HMAC-SHA256(key, m) of every message (UTF-8), the 32-byte digests one after another.

    RFC 2104 spelled out with the padded-key states hashed once and copied per message,
    which is more than twice as fast as calling ``hmac.digest`` per message; one buffer
    (32 bytes a student) rather than a bytes object per digest (72 bytes).
    """
    block = 64  # SHA-256 block size in bytes
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    new_inner, new_outer = inner0.copy, outer0.copy
    out = bytearray()
    for m in map(str.encode, messages):  # UTF-8
        inner = new_inner()
        inner.update(m)
        outer = new_outer()
        outer.update(inner.digest())
        out += outer.digest()
    return out


def _hmac_sha256_many(key: bytes, messages: list[str]) -> list[bytes]:
    """HMAC-SHA256(key, m) for every message (UTF-8), equal to ``hmac.digest``."""
    joined = bytes(_hmac_sha256_joined(key, messages))
    return [joined[k : k + _DIGEST] for k in range(0, len(joined), _DIGEST)]


def _priority_order(tiers: list[int], lots: bytes) -> list[int]:
    """Indices into ``tiers`` in the common priority order: by tier, then by lottery digest
    (``lots[32 i : 32 i + 32]``, compared as bytes), equal digests in index order.

    Sorting by 32-byte keys (or by pairs) costs about a second at a million students. Each
    student gets one float instead, ordered as (tier, first 48 bits of the digest): the
    exponent is the tier's rank and the mantissa the digest's first six bytes, built for
    everyone at once by slicing the buffer. Students whose floats are equal (same tier, same
    first six bytes: about one pair in a round of 10 million) are then put in full-digest order.
    """
    n = len(tiers)
    ranks = sorted(set(tiers))
    if len(ranks) > 1000:  # more tiers than exponents used here: sort by the keys themselves
        digests = [lots[k : k + _DIGEST] for k in range(0, len(lots), _DIGEST)]
        order = sorted(range(n), key=digests.__getitem__)
        order.sort(key=tiers.__getitem__)
        return order
    # IEEE 754 double, big-endian: sign 0, 11-bit exponent 1023 + rank, 52 mantissa bits of
    # which the first 4 are 0 and the other 48 the digest's first six bytes.
    top = {t: (1023 + k) << 4 for k, t in enumerate(ranks)}
    raw = bytearray(8 * n)
    raw[0::8] = bytes(map({t: v >> 8 for t, v in top.items()}.__getitem__, tiers))
    raw[1::8] = bytes(map({t: v & 0xFF for t, v in top.items()}.__getitem__, tiers))
    for b in range(6):
        raw[2 + b :: 8] = lots[b::_DIGEST]
    keys = array("d", raw)
    del raw
    if sys.byteorder == "little":
        keys.byteswap()
    floats = keys.tolist()
    del keys
    order = sorted(range(n), key=floats.__getitem__)
    ranked = list(map(floats.__getitem__, order))
    del floats
    tied = list(compress(count(), map(eq, ranked, islice(ranked, 1, None))))
    del ranked
    k = 0
    while k < len(tied):  # a run of equal floats: by the whole digest (stable)
        start = end = tied[k]
        while k < len(tied) and tied[k] == end:
            end += 1
            k += 1
        order[start : end + 1] = sorted(
            order[start : end + 1], key=lambda i: lots[i * _DIGEST : (i + 1) * _DIGEST]
        )
    return order


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
    # Micro-internships are numbered k = 0, 1, ... in the order given; the round works on
    # those numbers and turns them back into ids for the results.
    number: dict[Hashable, int] = {}
    cap: list[int] = []
    res_tier: list[int | None] = []  # the tier a micro-internship keeps places for, if any
    res_seats: list[int] = []
    for mi in mis:
        if mi.id in number:
            raise ValueError(f"duplicate micro-internship id {mi.id!r}")
        if not 1 <= mi.capacity <= 10:
            raise ValueError(f"capacity of {mi.id!r} must be 1..10, got {mi.capacity}")
        number[mi.id] = len(cap)
        cap.append(mi.capacity)
        if mi.reserve is not None and mi.reserve.seats > 0:
            if mi.reserve.seats > mi.capacity:
                raise ValueError(f"reserve of {mi.id!r} is larger than its capacity")
            res_tier.append(mi.reserve.tier)
            res_seats.append(mi.reserve.seats)
        else:
            res_tier.append(None)
            res_seats.append(0)

    # The students' records are read in the order given: in the priority order (a random
    # one) the same reading takes about three times as long.
    ids_in = list(map(attrgetter("id"), studs))
    choices_in = list(map(attrgetter("choices"), studs))
    try:
        numbered_in = _numbered(choices_in, _compact(number))
    except KeyError:
        unknown = set(chain.from_iterable(choices_in)).difference(number)
        raise ValueError(
            f"unknown micro-internship id(s) ranked: {sorted(map(repr, unknown))}"
        ) from None
    if sum(map(len, choices_in)) != sum(map(len, map(set, numbered_in))):
        bad = next(s.id for s in studs if len(set(s.choices)) != len(s.choices))
        raise ValueError(f"student {bad!r} ranked a micro-internship twice")
    del choices_in
    if {*map(type, ids_in)} <= {str}:
        messages = ids_in  # str(id) is the id; repeated ids are caught with the assignment
    else:
        messages = list(map(str, ids_in))
        if len(set(messages)) != n:
            raise ValueError("duplicate student ids")
    if lottery_messages is not None:
        messages = list(map(lottery_messages.__getitem__, ids_in))

    # Lottery and the common priority order (tier, lottery number).
    lots = bytes(_hmac_sha256_joined(key, messages))
    del messages
    tiers_in = list(map(attrgetter("tier"), studs))
    order = _priority_order(tiers_in, lots)
    # Programmes as numbers (one per distinct programme), for the team-balance check.
    programme_number: dict[str, int] = {}
    programme = list(map(programme_number.setdefault, map(attrgetter("programme"), studs), count()))

    # Re-index students by priority position r (0 = highest priority).
    ids = list(map(ids_in.__getitem__, order))
    tier = list(map(tiers_in.__getitem__, order))
    programme = list(map(programme.__getitem__, order))
    del ids_in, tiers_in

    seats = _Seats(numbered_in, order, tier, cap, res_tier, res_seats)
    holders, offer, waitlists = seats.run()
    del seats, numbered_in
    position_of = array("q", order)  # priority position -> index in the input
    del order
    names: list[Hashable | None] = [*number, None]  # number -> id, and -1 (no offer) -> None
    assignment = dict(zip(ids, map(names.__getitem__, offer), strict=True))
    if len(assignment) != n:
        raise ValueError("duplicate student ids")

    # Lottery position within tier: the order is by tier first, so each tier is one run.
    tier_first: dict[int, int] = {}
    tier_size: dict[int, int] = {}
    for t in sorted(set(tier)):
        tier_first[t] = bisect_left(tier, t)
        tier_size[t] = bisect_right(tier, t) - tier_first[t]

    # Per micro-internship: the reserved/open split, cut-offs and team-balance warnings.
    outcomes: dict[Hashable, MicroInternshipOutcome] = {}
    for k, mi in enumerate(mis):
        team = holders[k]
        cut = cut_open = None
        taken = 0
        warnings: tuple[TeamWarning, ...] = ()
        if team:
            last = team[-1]
            t = tier[last]
            cut = cut_open = Cutoff(last + 1, t, last - tier_first[t] + 1)
            rt = res_tier[k]
            if rt is not None:
                in_tier = list(map(tier.__getitem__, team)).count(rt)
                taken = min(in_tier, res_seats[k])  # the best `taken` of them: reserved places
                if t == rt and in_tier <= res_seats[k]:  # the last one holds a reserved place
                    last = next((r for r in reversed(team) if tier[r] != rt), None)
                    cut_open = None
                    if last is not None:
                        t = tier[last]
                        cut_open = Cutoff(last + 1, t, last - tier_first[t] + 1)
            pc = mi.programme_cap
            if pc is not None and len(team) > pc:
                same = sorted(map(programme.__getitem__, team))
                if pc < 1 or any(map(eq, same, same[pc:])):  # some programme has pc + 1
                    programmes = [studs[position_of[r]].programme for r in team]
                    warnings = _team_warnings(mi.id, programmes, pc)
        outcomes[mi.id] = MicroInternshipOutcome(
            mi.id,
            mi.capacity,
            tuple(map(ids.__getitem__, team)),
            tuple(map(ids.__getitem__, waitlists[k])),
            mi.reserve,
            taken,
            cut,
            cut_open,
            warnings,
        )
    del holders, waitlists
    state = _Compact(
        studs,
        ids,
        offer,
        names,
        tier,
        tier_first,
        tier_size,
        lots,
        position_of,
        number,
        list(outcomes.values()),
    )
    explanations = _Explanations(state)
    return Allocation(assignment, outcomes, explanations, ids, hashlib.sha256(key).hexdigest())


def _compact(number: dict[Hashable, int]) -> dict[Hashable, int]:
    """The same numbering, with string ids and the numbers copied next to each other.

    Looking up millions of choices touches every id and number again and again; the ids as
    the caller made them lie scattered among other records, and at 125,000
    micro-internships the lookups take a third longer than in a compact copy.
    """
    keys = [j if type(j) is not str else "".join((j, "")) for j in number]  # noqa: E721
    return dict(zip(keys, range(len(keys)), strict=True))


def _numbered(choices: list[tuple[Hashable, ...]], number: dict[Hashable, int]) -> list[tuple]:
    """Every student's choices as micro-internship numbers (``KeyError`` for an unknown id).

    All the choices are looked up in one pass and cut back into one tuple per student,
    students with as many choices at a time: a third faster than a lookup per student.
    """
    lengths = list(map(len, choices))
    out: list[tuple] = [()] * len(choices)
    for length in set(lengths):
        if not length:
            continue
        these = list(map(length.__eq__, lengths))
        looked_up = map(number.__getitem__, chain.from_iterable(compress(choices, these)))
        # `length` references to one iterator: zip takes `length` numbers per tuple.
        tuples = zip(*[looked_up] * length, strict=True)
        deque(map(out.__setitem__, compress(count(), these), tuples), maxlen=0)
    return out


def _team_warnings(j: Hashable, programmes: list[str], cap: int) -> tuple[TeamWarning, ...]:
    """A warning for every programme with more than ``cap`` of a team's ``programmes``,
    in order of the programme's first member."""
    counts: dict[str, int] = {}
    for prog in programmes:
        counts[prog] = counts.get(prog, 0) + 1
    return tuple(TeamWarning(j, prog, cnt, cap) for prog, cnt in counts.items() if cnt > cap)


@dataclass(slots=True, frozen=True)
class _Compact:
    """What a round keeps to explain itself, students by priority position r."""

    studs: list[Student]  # as given (frozen records: their choices)
    ids: list[Hashable]  # the priority order
    offer: list[int]  # the micro-internship number offered, -1 for none
    names: list[Hashable | None]  # micro-internship number -> id; -1 -> None
    tier: list[int]
    tier_first: dict[int, int]  # the first priority position of each tier
    tier_size: dict[int, int]
    lots: bytes  # the lottery digests, 32 bytes each, in the order given
    position_of: array  # priority position -> index in the order given
    number: dict[Hashable, int]  # micro-internship id -> number
    outcomes: list[MicroInternshipOutcome]  # by number


class _Explanations(Mapping):
    """Every student's :class:`Explanation` by id, built when the first one is asked for
    and then kept: ``allocate`` does not spend the time or the memory on records nobody
    reads, and whoever reads one (the app reads them all) gets them all in one pass.
    It is a read-only mapping equal to the dict of them all.

    What the round keeps for them is what it computed anyway: each student's place in the
    priority order and the micro-internship they were offered. The rest is read when the
    explanations are built: choices from the students' (frozen) records, cut-offs and
    reserves from the micro-internships' outcomes, so the two always agree; waiting-list
    places are counted in the same pass, in priority order, as the waiting lists were made.
    """

    def __init__(self, state: _Compact):
        self._s = state
        self._built: dict[Hashable, Explanation] | None = None

    def __getitem__(self, sid: Hashable) -> Explanation:
        built = self._built
        if built is None:
            # As in `allocate`: the records are acyclic, and cyclic garbage collection
            # passes over the whole heap while a million of them are made would double the
            # time it takes.
            gc_was_enabled = gc.isenabled()
            gc.disable()
            try:
                built = self._built = self._build_all()
            finally:
                if gc_was_enabled:
                    gc.enable()
        return built[sid]

    def __iter__(self):
        return iter(self._s.ids)

    def __len__(self) -> int:
        return len(self._s.ids)

    def __repr__(self) -> str:
        return f"<{len(self)} explanations>"

    def _build_all(self) -> dict[Hashable, Explanation]:
        s = self._s
        # For a student who missed micro-internship k, what they competed for depends only
        # on whether they are in k's reserved tier: the whole team if so (or if k keeps no
        # places), else its open places.
        competed = []
        for mi in s.outcomes:
            rt = mi.reserve.tier if mi.reserve is not None and mi.reserve.seats > 0 else None
            whole = (mi.cutoff, None, 0)
            taken = mi.reserved_filled
            open_ = (mi.open_cutoff, rt, taken) if taken else (mi.open_cutoff, None, 0)
            competed.append((rt, whole, open_))
        waiting = [0] * len(s.outcomes)  # students so far on each waiting list
        number, names, studs, lots = s.number, s.names, s.studs, s.lots
        tier_first, tier_size, n = s.tier_first, s.tier_size, len(s.ids)
        records = []
        for r, sid, i, offer, t in zip(count(), s.ids, s.position_of, s.offer, s.tier):
            p = studs[i].choices
            offered = names[offer]
            g = p.index(offered) if offered is not None else len(p)  # choices above the offer
            missed = []
            for c in range(g):
                j = p[c]
                k = number[j]
                rt, whole, open_ = competed[k]
                cut, rt, taken = whole if rt is None or rt == t else open_
                if cut is None:
                    reason = RESERVED
                elif cut.tier < t:
                    reason = HIGHER_GROUP
                else:
                    reason = LOTTERY
                waiting[k] += 1
                missed.append(Missed(j, c + 1, reason, cut, rt, taken, waiting[k]))
            records.append(
                Explanation(
                    sid,
                    t,
                    r + 1,
                    n,
                    r - tier_first[t] + 1,
                    tier_size[t],
                    offered,
                    g + 1 if offered is not None else None,
                    tuple(missed),
                    lots[i * _DIGEST : (i + 1) * _DIGEST],
                )
            )
        return dict(zip(s.ids, records, strict=True))


class _Seats:
    """Student-proposing deferred acceptance with soft reserves, on micro-internship numbers.

    Students are indexed by priority position (0 is best) and propose in that order, so a
    newcomer is worse than everyone a micro-internship already holds: it is taken while
    there is room, and once the micro-internship is full only when it can claim a reserved
    place (its tier is the reserved one and fewer of that tier hold places than are kept).
    The fast path keeps, for each tier, a flag per micro-internship saying whether a student
    of that tier can still get in; a student takes the first of their choices flagged and
    joins the waiting lists of those before it. A claim runs the full choice rule and lets
    everyone it displaces propose further down their lists (the slow path).
    """

    def __init__(self, prefs_in, order, tier, cap, res_tier, res_seats):
        self.prefs_in, self.order, self.tier = prefs_in, order, tier
        self.res_tier, self.res_seats = res_tier, res_seats
        self.holders: list[list[int]] = [[] for _ in cap]
        self.waitlists: list[list[int]] = [[] for _ in cap]
        self.room = list(cap)  # places still empty
        self.open = bytearray(b"\1") * len(cap)  # 1: has room
        # For each tier some micro-internship keeps places for: 1 where it has room, or is
        # full with a reserved place not yet held by that tier.
        self.enterable = {t: bytearray(self.open) for t in set(res_tier) if t is not None}
        self.offer = [-1] * len(order)  # the micro-internship a student holds, -1 for none
        self.unsorted: set[int] = set()  # holders or waiting lists out of priority order

    def run(self) -> tuple[list[list[int]], list[int], list[list[int]]]:
        """Per micro-internship, the students (priority positions) it holds at the end; per
        student, the micro-internship they hold (-1 for none); per micro-internship, the
        students who ranked it above what they hold. Lists in priority order."""
        prefs = list(map(self.prefs_in.__getitem__, self.order))  # in priority order
        tier = self.tier
        start = 0
        for t in sorted(set(tier)):  # each tier is one run of the priority order
            end = bisect_right(tier, t, start)
            students = zip(range(start, end), prefs[start:end], strict=True)
            if t in self.enterable:
                self._propose_claiming(students, self.enterable[t])
            else:
                self._propose(students)
            start = end
        holders, waitlists = self.holders, self.waitlists
        for k in self.unsorted:
            holders[k].sort()
            waitlists[k].sort()
        return holders, self.offer, waitlists

    def _propose(self, students: Iterable[tuple[int, tuple[int, ...]]]) -> None:
        """The fast path for students of a tier no micro-internship keeps places for: the
        first choice with room."""
        holders, waitlists, room, offer = self.holders, self.waitlists, self.room, self.offer
        can_enter, full = self.open, self.full
        for r, p in students:
            for k in p:
                if can_enter[k]:
                    break
                waitlists[k].append(r)
            else:
                continue
            holders[k].append(r)
            offer[r] = k
            left = room[k] - 1
            room[k] = left
            if not left:
                full(k)

    def _propose_claiming(
        self, students: Iterable[tuple[int, tuple[int, ...]]], can_enter: bytearray
    ) -> None:
        """The fast path for students of a tier some micro-internships keep places for: the
        first choice with room, or full with a reserved place to claim (the slow path)."""
        holders, waitlists, room, offer = self.holders, self.waitlists, self.room, self.offer
        full = self.full
        for r, p in students:
            for k in p:
                if can_enter[k]:
                    break
                waitlists[k].append(r)
            else:
                continue
            left = room[k]
            if left:
                holders[k].append(r)
                offer[r] = k
                room[k] = left - 1
                if left == 1:
                    full(k)
            else:
                self.claim(r, p.index(k))

    def full(self, k: int) -> None:
        """Micro-internship ``k`` has no room left (or changed its team while full): only
        its reserved tier may still enter, while fewer of that tier hold places than kept."""
        self.open[k] = 0
        rt = self.res_tier[k]
        for t, can_enter in self.enterable.items():
            if t != rt:
                can_enter[k] = 0
        if rt is not None:
            tier = self.tier
            in_tier = list(map(tier.__getitem__, self.holders[k])).count(rt)
            self.enterable[rt][k] = in_tier < self.res_seats[k]

    def claim(self, r: int, c: int) -> None:
        """Let student ``r`` propose from choice ``c`` on, with the full choice rule, and let
        everyone this displaces propose further down their lists."""
        prefs_in, order, tier = self.prefs_in, self.order, self.tier
        holders, room, offer = self.holders, self.room, self.offer
        stack = [(r, c)]
        while stack:
            s, c = stack.pop()
            p = prefs_in[order[s]]
            while c < len(p):
                k = p[c]
                h = holders[k]
                self.unsorted.add(k)
                if room[k]:
                    h.append(s)
                    room[k] -= 1
                    offer[s] = k
                    if not room[k]:
                        self.full(k)
                    break
                loser = _rejected(h, s, tier, self.res_tier[k], self.res_seats[k])
                if loser == s:
                    self.waitlists[k].append(s)
                    c += 1
                    continue
                h[h.index(loser)] = s
                self.full(k)
                offer[s] = k
                stack.append((loser, prefs_in[order[loser]].index(k) + 1))
                self.waitlists[k].append(loser)
                offer[loser] = -1
                break


def _rejected(holders: list[int], s: int, tier: list[int], rt: int | None, seats: int) -> int:
    """Which one of a full team's ``holders`` plus newcomer ``s`` the choice rule rejects.

    The best ``seats`` reserved-tier applicants take the reserved places; the worst of the
    rest (by priority position, larger is worse) is rejected.
    """
    if rt is None or not seats:
        return max(max(holders), s)
    applicants = sorted([*holders, s])
    in_tier = [tier[a] == rt for a in applicants]
    later = in_tier.count(True)  # reserved-tier applicants from here to the worst
    for a, reserved_tier in zip(reversed(applicants), reversed(in_tier), strict=True):
        if reserved_tier:
            later -= 1  # now: those better than `a`; `a` holds a reserved place if < seats
            if later < seats:
                continue
        return a
    raise AssertionError("a full team plus a newcomer has someone to reject")


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
