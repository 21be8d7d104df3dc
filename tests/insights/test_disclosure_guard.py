"""The line guard: which printed counts are hidden so that a line cannot be solved."""

from hypothesis import given
from hypothesis import strategies as st

from microintern.insights.disclosure import guard_line, hesa_round, rounding_interval
from microintern.insights.inference import CountFacts, guard_counts, reader_intervals


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


def _two_stage_line():
    """One row of a pair table at two stages: cells a and b add up to a margin printed 5
    (3–7) at stage 0; at stage 1 (later, never more people) a is printed 5 and b 0."""
    facts = CountFacts()
    facts.add_sum([("a", 0), ("b", 0)], ("margin", 0))
    facts.add_sum([("a", 1), ("b", 1)], ("margin", 1))
    facts.add_order(("a", 1), ("a", 0))
    facts.add_order(("b", 1), ("b", 0))
    fixed = {("margin", 0): (3, 7), ("margin", 1): (3, 7)}
    return facts, fixed


def test_a_hidden_cell_is_bounded_by_the_stages_printed_around_it():
    facts, fixed = _two_stage_line()
    printed = {("a", 0): None, ("b", 0): 5, ("a", 1): 5, ("b", 1): 0}
    known = reader_intervals(printed, fixed, facts)
    # a at stage 0 holds at least the 3 people of its later stage, b at least 3: the margin
    # printed 5 is then 6 or 7, more than its own figure says
    assert known[("a", 0)][0] == 3
    assert known[("margin", 0)] == (6, 7)


def test_the_guard_hides_until_the_margin_is_known_no_better_than_printed():
    facts, fixed = _two_stage_line()
    printed = {("a", 0): None, ("b", 0): 5, ("a", 1): 5, ("b", 1): 0}
    guarded, _ = guard_counts(printed, fixed, facts)
    assert sum(value is None for value in guarded.values()) > 1
    known = reader_intervals(guarded, fixed, facts)
    assert known[("margin", 0)] == (3, 7)
    assert known[("margin", 1)] == (3, 7)


def test_the_guard_looks_only_at_printed_figures_and_answers_the_same_each_time():
    facts, fixed = _two_stage_line()
    printed = {("a", 0): None, ("b", 0): 5, ("a", 1): 5, ("b", 1): 0}
    assert guard_counts(printed, fixed, facts) == guard_counts(dict(printed), fixed, facts)


def test_four_zeros_under_a_total_of_ten_are_not_all_printed():
    facts = CountFacts()
    facts.add_sum([f"cell{i}" for i in range(4)], "total")
    guarded, known = guard_counts(
        dict.fromkeys((f"cell{i}" for i in range(4)), 0), {"total": (8, 12)}, facts, known=True
    )
    assert None in guarded.values()
    assert all(low < high for low, high in known.values())
