"""Disclosure control: HESA rounding, suppression, secondary suppression, OfS conventions.

Expected values are written out by hand from the published rules, cell by cell; the
subtraction attack is simulated by an attacker written independently of the module.
"""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microintern.insights import hesa
from microintern.insights.disclosure import (
    HESA_POLICY,
    SMALL_COUNT_POLICY,
    SUPPRESSED,
    CellStatus,
    OfsMarker,
    OutputMode,
    SuppressionPolicy,
    Table,
    hesa_round,
    ofs_percentage,
    ofs_round,
    pool_cohorts,
    protect_average,
    protect_count,
    protect_percentage,
    protect_table,
    recoverable_positions,
)

# --- HESA rounding of counts -----------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, 0),
        (1, 0),
        (2, 0),
        (Decimal("2.4"), 0),
        (Decimal("2.5"), 5),
        (Fraction(5, 2), 5),
        (2.5, 5),
        (3, 5),
        (7, 5),
        (Decimal("7.49"), 5),
        (Decimal("7.5"), 10),
        (8, 10),
        (12, 10),
        (Decimal("12.5"), 15),
        (13, 15),
        (102, 100),
        (103, 105),
        (1_000_002, 1_000_000),
    ],
)
def test_hesa_round(count, expected):
    assert hesa_round(count) == expected


def test_hesa_round_rejects_negative_counts():
    with pytest.raises(ValueError):
        hesa_round(-1)


@pytest.mark.parametrize(("count", "expected"), [(0, 0), (4, 0), (5, 10), (14, 10), (15, 20)])
def test_ofs_round_to_nearest_ten(count, expected):
    assert ofs_round(count) == expected


def test_protect_count_rounded_and_unrounded():
    assert protect_count(7).display == "5"
    assert protect_count(7).restricted is False
    exact = protect_count(7, OutputMode.UNROUNDED)
    assert (exact.value, exact.display, exact.restricted) == (7, "7", True)


# --- Percentages and averages ----------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "display"),
    [
        (5, 22, SUPPRESSED),
        (0, 0, SUPPRESSED),
        (5, Decimal("22.4"), SUPPRESSED),
        (5, Decimal("22.5"), "22%"),  # 22.22…%: 22.5 is not "fewer than 22.5"
        (5, 23, "22%"),  # 21.739…%
        (1, 40, "3%"),  # 2.5% rounds half up
        (23, 23, "100%"),
    ],
)
def test_percentage_suppressed_below_22_5(numerator, denominator, display):
    result = protect_percentage(numerator, denominator)
    assert result.display == display
    assert result.suppressed is (display == SUPPRESSED)
    assert result.restricted is False


def test_percentage_uses_exact_figures_and_decimals():
    result = protect_percentage(1, 30, decimals=1)  # 3.333…%
    assert (result.value, result.display) == (3.3, "3.3%")


def test_unrounded_percentage_is_shown_but_marked_restricted():
    result = protect_percentage(1, 8, OutputMode.UNROUNDED, decimals=1)
    assert (result.display, result.restricted, result.suppressed) == ("12.5%", True, False)
    empty = protect_percentage(0, 0, OutputMode.UNROUNDED)
    assert empty.display == SUPPRESSED


def test_percentage_rejects_impossible_proportions():
    with pytest.raises(ValueError):
        protect_percentage(3, 2)


def test_average_of_seven_or_fewer_is_suppressed():
    seven = [1, 2, 3, 4, 5, 6, 7]
    assert protect_average(seven).display == SUPPRESSED
    assert protect_average([*seven, None, None]).display == SUPPRESSED  # unanswered don't count
    eight = protect_average([*seven, 8])
    assert (eight.value, eight.display) == (4.5, "4.5")
    assert protect_average([1, 2, 3, 4, 5, 6, 7, 100], statistic="median").display == "4.5"
    assert protect_average([1, 1, 2, 9, 9, 9, 9, 9, 9], statistic="median").display == "9.0"


def test_unrounded_average_of_few_is_shown_restricted():
    result = protect_average([1, 2], OutputMode.UNROUNDED, decimals=2)
    assert (result.display, result.restricted) == ("1.50", True)


# --- Tables: cell by cell --------------------------------------------------------------


def test_hesa_table_rounds_cells_and_totals_separately():
    table = Table.from_rows(["A", "B"], ["yes", "no"], [[1, 2], [3, 4]])
    protected = protect_table(table)
    assert protected.display_rows() == [
        ["", "yes", "no", "Total"],
        ["A", "0", "0", "5"],  # 1→0, 2→0, but the exact total 3 → 5: rows need not add up
        ["B", "5", "5", "5"],  # 3→5, 4→5, exact total 7 → 5
        ["Total", "5", "5", "10"],  # 4→5, 6→5, 10→10
    ]
    assert protected.hidden_positions() == set()
    assert not protected.restricted


def test_small_count_policy_primary_and_secondary_cell_by_cell():
    table = Table.from_rows(
        ["A", "B", "C"], ["x", "y", "z"], [[1, 10, 20], [12, 2, 30], [15, 16, 17]]
    )
    protected = protect_table(table, policy=SMALL_COUNT_POLICY)
    assert protected.display_rows() == [
        ["", "x", "y", "z", "Total"],
        ["A", "..", "..", "20", "30"],
        ["B", "..", "..", "30", "45"],
        ["C", "15", "15", "15", "50"],
        ["Total", "30", "30", "65", "125"],
    ]
    statuses = [[cell.status for cell in row] for row in protected.cells]
    assert statuses[0][:2] == [CellStatus.PRIMARY, CellStatus.SECONDARY]
    assert statuses[1][:2] == [CellStatus.SECONDARY, CellStatus.PRIMARY]
    assert {c.status for c in protected.row_totals + protected.column_totals} == {CellStatus.SHOWN}


def test_single_hidden_cell_gets_a_non_zero_partner_in_its_row_and_column():
    table = Table.from_rows(["A", "B"], ["x", "y", "z"], [[1, 0, 9], [8, 7, 6]])
    protected = protect_table(table, policy=SMALL_COUNT_POLICY)
    hidden = protected.hidden_positions()
    # (0,0)=1 primary. Its row's only zero (0,1) is passed over for 9; its column forces
    # (1,0); then row B needs a partner: the smallest is 6 in column z, which also had one.
    assert hidden == {(0, 0), (0, 2), (1, 0), (1, 2)}
    assert recoverable_positions(2, 3, hidden) == set()


def test_one_row_table_hides_column_totals_that_equal_the_cells():
    table = Table.from_rows(["All"], ["x", "y", "z"], [[1, 10, 20]])
    protected = protect_table(table, policy=SMALL_COUNT_POLICY)
    assert protected.display_rows() == [
        ["", "x", "y", "z", "Total"],
        ["All", "..", "..", "20", "30"],
        ["Total", "..", "..", "20", "30"],
    ]


def test_one_column_table_hides_row_totals_when_nothing_else_can_be_hidden():
    table = Table.from_rows(["A", "B", "C"], ["n"], [[1], [5], [9]])
    protected = protect_table(table, policy=SMALL_COUNT_POLICY)
    assert protected.display_rows() == [
        ["", "n", "Total"],
        ["A", "..", ".."],
        ["B", "..", ".."],
        ["C", "10", "10"],
        ["Total", "15", "15"],
    ]


def test_suppress_zeros_policy():
    table = Table.from_rows(["A", "B"], ["x", "y"], [[0, 5], [6, 7]])
    assert protect_table(table, policy=SMALL_COUNT_POLICY).hidden_positions() == set()
    strict = SuppressionPolicy(min_count=3, suppress_zeros=True)
    assert protect_table(table, policy=strict).hidden_positions() == {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }


def test_unrounded_table_is_exact_complete_and_restricted():
    table = Table.from_rows(["A", "B"], ["x", "y"], [[1, 2], [3, 4]])
    protected = protect_table(table, OutputMode.UNROUNDED, SMALL_COUNT_POLICY)
    assert protected.display_rows()[1:] == [
        ["A", "1", "2", "3"],
        ["B", "3", "4", "7"],
        [
            "Total",
            "4",
            "6",
            "10",
        ],
    ]
    assert protected.restricted
    assert all(c.restricted for row in protected.cells for c in row)
    assert "restricted" in protected.mode.label


def test_table_validates_its_shape_and_counts():
    with pytest.raises(ValueError):
        Table.from_rows(["A"], ["x", "y"], [[1]])
    with pytest.raises(ValueError):
        Table.from_rows(["A"], ["x"], [[-1]])


# --- The subtraction attack ------------------------------------------------------------


def attack(table: Table, hidden: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """An intruder who knows every visible figure *exactly* (the worst case) and repeatedly
    solves any row or column equation — margins included — with one unknown left."""
    rows, columns = table.shape
    exact = table.augmented()
    known = {
        (i, j): exact[i][j]
        for i in range(rows + 1)
        for j in range(columns + 1)
        if (i, j) not in hidden
    }
    equations = [[(i, j) for j in range(columns)] + [(i, columns)] for i in range(rows + 1)]
    equations += [[(i, j) for i in range(rows)] + [(rows, j)] for j in range(columns + 1)]
    recovered: dict[tuple[int, int], int] = {}
    progress = True
    while progress:
        progress = False
        for *parts, total in equations:
            unknown = [p for p in [*parts, total] if p not in known]
            if len(unknown) != 1:
                continue
            (target,) = unknown
            if target == total:
                value = sum(known[p] for p in parts)
            else:
                value = known[total] - sum(known[p] for p in parts if p != target)
            known[target] = recovered[target] = value
            progress = True
    return recovered


def test_attack_recovers_cells_without_secondary_suppression():
    """The attacker is real: with only primary suppression it recovers the hidden cell."""
    table = Table.from_rows(["A", "B"], ["x", "y"], [[1, 10], [12, 13]])
    assert attack(table, {(0, 0)}) == {(0, 0): 1}


def test_attack_fails_after_secondary_suppression():
    table = Table.from_rows(["A", "B"], ["x", "y"], [[1, 10], [12, 13]])
    hidden = protect_table(table, policy=SMALL_COUNT_POLICY).hidden_positions()
    assert (0, 0) in hidden
    assert attack(table, hidden) == {}


tables = st.integers(1, 5).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda columns: st.lists(
            st.lists(st.integers(0, 25), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
)
policies = st.builds(SuppressionPolicy, min_count=st.integers(0, 6), suppress_zeros=st.booleans())


@settings(max_examples=400, deadline=None)
@given(counts=tables, policy=policies)
def test_no_hidden_cell_can_be_recovered_by_subtraction(counts, policy):
    table = Table.from_rows(
        [f"r{i}" for i in range(len(counts))], [f"c{j}" for j in range(len(counts[0]))], counts
    )
    protected = protect_table(table, policy=policy)
    hidden = protected.hidden_positions()
    rows, columns = table.shape

    # every sensitive cell is hidden, as primary
    for i, row in enumerate(counts):
        for j, count in enumerate(row):
            if policy.is_sensitive(count):
                assert protected.cells[i][j].status is CellStatus.PRIMARY
    # no row or column equation has exactly one unknown, and peeling recovers nothing
    for line in [[(i, j) for j in range(columns + 1)] for i in range(rows + 1)] + [
        [(i, j) for i in range(rows + 1)] for j in range(columns + 1)
    ]:
        assert sum(p in hidden for p in line) != 1
    assert attack(table, hidden) == {}
    # nothing is hidden when nothing is sensitive, and visible figures are HESA-rounded
    if not any(policy.is_sensitive(c) for row in counts for c in row):
        assert hidden == set()
    exact = table.augmented()
    for i, row in enumerate(protected.cells):
        for j, cell in enumerate(row):
            if not cell.suppressed:
                assert cell.value == hesa_round(exact[i][j])
    if not protected.grand_total.suppressed:
        assert protected.grand_total.value == hesa_round(table.grand_total)


# --- OfS conventions and pooling -------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "marker", "display", "rounded_denominator"),
    [
        (0, 0, OfsMarker.DPL, "[DPL]", 0),
        (2, 50, OfsMarker.DPL, "[DPL]", 50),
        (48, 50, OfsMarker.DPH, "[DPH]", 50),
        (3, 5, OfsMarker.DPH, "[DPH]", 10),
        (10, 22, OfsMarker.LOW, "[low]", 20),
        (3, 6, OfsMarker.LOW, "[low]", 10),
        (10, 23, None, "43.5%", 20),
        (47, 50, None, "94.0%", 50),
    ],
)
def test_ofs_percentage_markers(numerator, denominator, marker, display, rounded_denominator):
    result = ofs_percentage(numerator, denominator)
    assert (result.marker, result.display, result.rounded_denominator) == (
        marker,
        display,
        rounded_denominator,
    )
    assert (result.percentage is None) is (marker is not None)


def test_pool_cohorts_until_denominator_reaches_23():
    cohorts = [("Oct", 4, 10), ("Nov", 6, 10), ("Dec", 7, 10), ("Jan", 1, 5)]
    pools = pool_cohorts(cohorts)
    assert len(pools) == 1  # 10+10+10 = 30 ≥ 23, and the short Jan pool is merged in
    assert pools[0].labels == ("Oct", "Nov", "Dec", "Jan")
    assert (pools[0].numerator, pools[0].denominator, pools[0].publishable) == (18, 35, True)

    six = pool_cohorts([(str(i), 5, 10) for i in range(6)])
    assert [(p.labels, p.denominator) for p in six] == [
        (("0", "1", "2"), 30),
        (("3", "4", "5"), 30),
    ]
    (short,) = pool_cohorts([("only", 3, 8), ("two", 2, 7)])
    assert (short.denominator, short.publishable) == (15, False)
    assert pool_cohorts([("big", 20, 23)])[0].publishable
    assert pool_cohorts([]) == []


# --- Coding frames (what is offered, how it is coarsened) ------------------------------


def test_provider_only_codes_are_never_offered_to_students():
    for frame in hesa.FRAMES.values():
        offered = {code for code, _ in frame.student_choices()}
        assert "999" not in offered and "99" not in offered
        assert frame.prefer_not_to_say in offered
    assert hesa.ETHNIC.prefer_not_to_say == "998"
    assert hesa.DISABILITY.prefer_not_to_say == "98"
    assert ("97", "I don't know") in hesa.PARED.student_choices()


def test_ethnicity_broad_groups_and_disability_group():
    assert hesa.ETHNIC.broad_group("163") == hesa.WHITE
    assert hesa.ETHNIC.broad_group("141") == hesa.MIXED
    assert hesa.ETHNIC.broad_group("180") == hesa.OTHER
    assert hesa.ETHNIC.broad_group("998") == hesa.UNKNOWN_GROUP
    assert hesa.disability_group({"51", "55"}) == hesa.DISABLED
    assert hesa.disability_group({"95"}) == hesa.NOT_DISABLED
    assert hesa.disability_group({"98"}) == hesa.UNKNOWN_GROUP
    assert hesa.disability_group(set()) == hesa.UNKNOWN_GROUP
    with pytest.raises(KeyError):
        hesa.ETHNIC.get("102")


def test_disclosure_rates_per_field():
    rates = hesa.disclosure_rates(hesa.PARED, ["01", "02", "02", "97", "98", "99", None])
    assert (rates.asked, rates.answered, rates.prefer_not_to_say) == (7, 3, 1)
    assert (rates.dont_know, rates.missing) == (1, 2)
    with pytest.raises(KeyError):
        hesa.disclosure_rates(hesa.PARED, ["03"])


def test_uk_domicile():
    assert hesa.is_uk_domiciled("xf")
    assert hesa.is_uk_domiciled("JE")
    assert not hesa.is_uk_domiciled("FR")


def test_hesa_policy_is_rounding_only():
    assert not any(HESA_POLICY.is_sensitive(n) for n in range(0, 30))
