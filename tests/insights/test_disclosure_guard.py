"""The line guard: which printed counts are hidden so that a line cannot be solved."""

from hypothesis import given
from hypothesis import strategies as st

from microintern.insights.disclosure import (
    guard_line,
    guard_table,
    hesa_round,
    implied_intervals,
    rounding_interval,
)


def test_four_cells_at_the_top_of_their_interval_are_not_all_printed():
    # exact 2, 2, 2, 2 (total 8): printed 0, 0, 0, 0 and 10 would say "each is 2"
    assert guard_line([0, 0, 0, 0], 10) == {0}


def test_two_cells_at_the_bottom_of_their_interval_lose_the_larger():
    # exact 3 and 8 (total 11 → 10): printed 5 and 10 would say "the total is 11 or 12"
    assert guard_line([5, 10], 10) == {1}


def test_an_ordinary_line_is_printed_whole():
    assert guard_line([10, 20, 5, 0], 35) == set()


@given(st.lists(st.integers(0, 60), min_size=1, max_size=8))
def test_a_guarded_line_narrows_neither_its_cells_nor_its_total(exact):
    cells = [hesa_round(c) for c in exact]
    total = hesa_round(sum(exact))
    hidden = guard_line(cells, total)
    shown = [None if i in hidden else c for i, c in enumerate(cells)]
    low = sum(rounding_interval(c)[0] for c in shown)
    high = sum(rounding_interval(c)[1] for c in shown)
    total_low, total_high = rounding_interval(total)
    assert low <= total_low and high >= total_high


def test_a_hidden_cell_is_known_only_to_the_room_its_line_leaves():
    assert implied_intervals([5, None, 0], 20) == [(3, 7), (9, 19), (0, 2)]


def test_a_table_is_guarded_against_the_intervals_its_margins_are_known_to():
    # three cells printed 5 under a hidden margin known to lie in 0–9 would pin it to 9
    table = guard_table([[5], [5], [5]], [(3, 7), (3, 7), (3, 7)], [(0, 9)])
    assert sum(cell is None for row in table for cell in row) >= 1
