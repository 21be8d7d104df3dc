"""k-anonymity and l-diversity for research microdata (pure Python, no Django).

The threat: an insider who knows from the register who took part in which micro-internship,
and the student record (school, level, widening-participation flags), looks for a person in
a released file. Rows of one person share a pseudonym, so what the insider can match is a
person's whole *signature*: the set of their rows' quasi-identifier values. The rules:

* **k-anonymity over people.** Every released person shares their signature with at least
  ``k - 1`` other released people (``k`` = 5), so a known person matches at least 5
  pseudonyms.
* **l-diversity of special categories.** Within each such group of people, each sensitive
  column (ethnic group, disability) shows at least ``l`` (= 2) distinct values; otherwise
  that column is withheld for the whole group. Withheld values (including those of people
  whose consent does not cover them) never count towards the ``l`` values.

The method is Sweeney's *Datafly*: while more people than the suppression budget sit in
groups smaller than ``k``, generalise by one level the quasi-identifier with the most
distinct values (term → academic year, sector → kind of organisation, a value → withheld);
then leave out the people still in small groups. Every step is reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

WITHHELD = "withheld"
"""The value of a generalised-away quasi-identifier or a withheld sensitive value."""

Row = Mapping[str, object]


@dataclass(frozen=True)
class Level:
    """One generalisation step: a description ("term → academic year") and the function
    from a row to the column's generalised value."""

    description: str
    generalise: Callable[[Row], object]


@dataclass(frozen=True)
class Hierarchy:
    """A quasi-identifier and its generalisation steps, finest first (level 0 is the value
    itself; the last step should be :data:`WITHHELD`)."""

    column: str
    levels: tuple[Level, ...] = ()

    def value(self, row: Row, level: int) -> object:
        return row[self.column] if level == 0 else self.levels[level - 1].generalise(row)

    @property
    def top(self) -> int:
        return len(self.levels)


def withhold(description: str = "withheld") -> Level:
    return Level(description, lambda row: WITHHELD)


@dataclass
class Release:
    """What may be released, and how it was made safe."""

    rows: list[dict]
    levels: dict[str, int]
    steps: list[str]
    """Generalisation steps applied, in order ("term → academic year")."""
    people: int
    people_withheld: int
    rows_withheld: int
    sensitive_withheld: dict[str, int] = field(default_factory=dict)
    """Sensitive column → people whose value was withheld for l-diversity."""
    smallest_group: int | None = None


def _signatures(
    rows: Sequence[Row], person: str, hierarchies: Sequence[Hierarchy], levels: Mapping[str, int]
) -> dict[object, tuple]:
    per_person: dict[object, list[tuple]] = defaultdict(list)
    for row in rows:
        per_person[row[person]].append(
            tuple(str(h.value(row, levels[h.column])) for h in hierarchies)
        )
    return {p: tuple(sorted(set(values))) for p, values in per_person.items()}


def _groups(signatures: Mapping[object, tuple]) -> dict[tuple, list]:
    groups: dict[tuple, list] = defaultdict(list)
    for p, signature in signatures.items():
        groups[signature].append(p)
    return groups


def anonymise(
    rows: Sequence[Row],
    *,
    person: str,
    hierarchies: Sequence[Hierarchy],
    sensitive: Sequence[str] = (),
    k: int = 5,
    l: int = 2,  # noqa: E741 - the letter of l-diversity
    max_withheld: float = 0.05,
) -> Release:
    """Generalise and suppress ``rows`` until every released person is k-anonymous and every
    sensitive column l-diverse (module docstring). ``person`` is the pseudonym column;
    sensitive values equal to :data:`WITHHELD` are withheld already."""
    levels = {h.column: 0 for h in hierarchies}
    steps: list[str] = []
    everyone = {row[person] for row in rows}
    budget = int(max_withheld * len(everyone))
    while True:
        groups = _groups(_signatures(rows, person, hierarchies, levels))
        small = sum(len(members) for members in groups.values() if len(members) < k)
        open_ = [h for h in hierarchies if levels[h.column] < h.top]
        if small <= budget or not open_:
            break
        distinct = {h.column: len({h.value(row, levels[h.column]) for row in rows}) for h in open_}
        chosen = max(open_, key=lambda h: (distinct[h.column], -hierarchies.index(h)))
        levels[chosen.column] += 1
        steps.append(chosen.levels[levels[chosen.column] - 1].description)
    released_people = {p for members in groups.values() if len(members) >= k for p in members}
    group_of = {p: signature for signature, members in groups.items() for p in members}
    withheld_values: dict[str, int] = {}
    hidden: set[tuple[str, tuple]] = set()
    values: dict[tuple[str, tuple], set] = defaultdict(set)
    for row in rows:
        if row[person] in released_people:
            for column in sensitive:
                if row[column] != WITHHELD:
                    values[(column, group_of[row[person]])].add(row[column])
    for column in sensitive:
        count = 0
        for signature, members in groups.items():
            if len(members) >= k and len(values[(column, signature)]) < l:
                hidden.add((column, signature))
                count += len(members)
        withheld_values[column] = count
    released = []
    for row in rows:
        p = row[person]
        if p not in released_people:
            continue
        out = dict(row)
        for h in hierarchies:
            out[h.column] = h.value(row, levels[h.column])
        for column in sensitive:
            if (column, group_of[p]) in hidden:
                out[column] = WITHHELD
        released.append(out)
    sizes = [len(m) for m in groups.values() if len(m) >= k]
    return Release(
        rows=released,
        levels=levels,
        steps=steps,
        people=len(released_people),
        people_withheld=len(everyone) - len(released_people),
        rows_withheld=len(rows) - len(released),
        sensitive_withheld=withheld_values,
        smallest_group=min(sizes) if sizes else None,
    )


def check(
    rows: Sequence[Row],
    *,
    person: str,
    quasi_identifiers: Sequence[str],
    sensitive: Sequence[str] = (),
    k: int = 5,
    l: int = 2,  # noqa: E741 - the letter of l-diversity
) -> list[str]:
    """Independent check of a released file: the problems found (empty when every person is
    k-anonymous on their signature and every sensitive column l-diverse or withheld)."""
    per_person: dict[object, set] = defaultdict(set)
    for row in rows:
        per_person[row[person]].add(tuple(str(row[c]) for c in quasi_identifiers))
    groups: dict[tuple, list] = defaultdict(list)
    for p, signature in per_person.items():
        groups[tuple(sorted(signature))].append(p)
    problems = [
        f"{len(members)} people share a signature"
        for members in groups.values()
        if len(members) < k
    ]
    signature_of = {p: s for s, members in groups.items() for p in members}
    for column in sensitive:
        seen: dict[tuple, set] = defaultdict(set)
        for row in rows:
            seen[signature_of[row[person]]].add(row[column])
        for found in seen.values():
            shown = found - {WITHHELD}
            if shown and len(shown) < l:
                problems.append(f"{column}: only {len(shown)} value(s) in a group")
    return problems
