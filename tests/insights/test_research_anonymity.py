"""k-anonymity over people and l-diversity of special categories (the pure core), checked
on generated populations by an independent checker and by brute force."""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from microintern.insights.anonymity import (
    WITHHELD,
    Hierarchy,
    Level,
    anonymise,
    check,
    withhold,
)

HIERARCHIES = [
    Hierarchy("term", (Level("term → year", lambda r: r["term"][-4:]), withhold())),
    Hierarchy("sector", (Level("sector → kind", lambda r: r["kind"]), withhold())),
    Hierarchy("school", (withhold(),)),
]
QI = [h.column for h in HIERARCHIES]

rows_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "person": st.integers(0, 60),
            "term": st.sampled_from(["Autumn 2025", "Spring 2025", "Autumn 2026"]),
            "sector": st.sampled_from(["Hospitality", "Arts", "Health", "Retail"]),
            "school": st.sampled_from(["Business", "Computing", "Arts"]),
            "ethnic": st.sampled_from(["Asian", "Black", "White", "Mixed", WITHHELD]),
        }
    ),
    max_size=150,
).map(
    # A person's special-category value is the same on each of their rows.
    lambda rows: [
        {
            **row,
            "kind": "charity" if row["sector"] in ("Arts", "Health") else "business",
            "ethnic": next(r["ethnic"] for r in rows if r["person"] == row["person"]),
        }
        for row in rows
    ]
)


def _release(rows, **options):
    return anonymise(
        rows, person="person", hierarchies=HIERARCHIES, sensitive=["ethnic"], **options
    )


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_every_released_person_is_one_of_at_least_five_and_special_categories_are_diverse(rows):
    release = _release(rows)
    assert check(release.rows, person="person", quasi_identifiers=QI, sensitive=["ethnic"]) == []
    # Brute force, the insider's way: for each released person, the people whose released
    # rows show exactly the same quasi-identifier values.
    shown = defaultdict(set)
    for row in release.rows:
        shown[row["person"]].add(tuple(row[c] for c in QI))
    for person, values in shown.items():
        assert sum(1 for other in shown.values() if other == values) >= 5, person


@settings(max_examples=100, deadline=None)
@given(rows_strategy)
def test_nothing_is_invented_and_what_is_left_out_is_counted(rows):
    release = _release(rows)
    people = {r["person"] for r in rows}
    released = {r["person"] for r in release.rows}
    assert released <= people
    assert release.people == len(released)
    assert release.people_withheld == len(people - released)
    assert release.rows_withheld == len(rows) - len(release.rows)
    originals = defaultdict(list)
    for row in rows:
        originals[row["person"]].append(row)
    for row in release.rows:
        # The sensitive value is the person's own or withheld, never someone else's.
        assert row["ethnic"] in (originals[row["person"]][0]["ethnic"], WITHHELD)


def test_a_crowd_that_is_already_safe_is_released_as_it_is():
    rows = [
        {
            "person": p,
            "term": "Autumn 2026",
            "sector": "Arts",
            "kind": "charity",
            "school": "A",
            "ethnic": "Asian" if p % 2 else "White",
        }
        for p in range(10)
    ]
    release = _release(rows)
    assert release.steps == [] and release.people == 10 and release.rows == rows


def _nine_alike_and_one_apart():
    rows = [
        {
            "person": p,
            "term": "Autumn 2026",
            "sector": "Arts",
            "kind": "charity",
            "school": "A",
            "ethnic": "Asian" if p % 2 else "White",
        }
        for p in range(9)
    ]
    rows.append(
        {
            "person": 9,
            "term": "Spring 2026",
            "sector": "Retail",
            "kind": "business",
            "school": "B",
            "ethnic": "Black",
        }
    )
    return rows


def test_within_the_budget_the_person_apart_is_left_out_and_nothing_coarsened():
    release = _release(_nine_alike_and_one_apart(), max_withheld=0.1)
    assert release.steps == []
    assert (release.people, release.people_withheld) == (9, 1)
    assert 9 not in {r["person"] for r in release.rows}


def test_without_a_budget_the_file_is_coarsened_until_the_person_apart_hides():
    release = _release(_nine_alike_and_one_apart(), max_withheld=0)
    assert (release.people, release.people_withheld) == (10, 0)
    assert release.steps[:2] == ["term → year", "sector → kind"]
    assert {(r["term"], r["sector"], r["school"]) for r in release.rows} == {
        ("2026", WITHHELD, WITHHELD)  # the year is all they share, and it is kept
    }
    assert check(release.rows, person="person", quasi_identifiers=QI, sensitive=["ethnic"]) == []


def test_a_group_with_one_special_category_value_has_it_withheld():
    rows = [
        {
            "person": p,
            "term": "Autumn 2026",
            "sector": "Arts",
            "kind": "charity",
            "school": "A",
            "ethnic": "Black" if p == 0 else WITHHELD,
        }
        for p in range(6)
    ]
    release = _release(rows)
    assert {r["ethnic"] for r in release.rows} == {WITHHELD}
    assert release.sensitive_withheld == {"ethnic": 6}


def test_several_rows_of_one_person_do_not_make_a_crowd():
    """Five rows of one person are one person, not five."""
    rows = [
        {
            "person": 1,
            "term": f"Autumn 202{i}",
            "sector": "Arts",
            "kind": "charity",
            "school": "A",
            "ethnic": "Asian",
        }
        for i in range(5)
    ]
    release = _release(rows)
    assert release.rows == [] and release.people_withheld == 1
