"""The dashboard's charts: ticks say the value they mark, text is drawn large enough."""

import re

from microintern.insights.charts import bar_chart


def chart(high: float) -> dict:
    return {
        "title": "Reach by sex",
        "axis": "Share of eligible students who took part",
        "kind": "proportion",
        "bars": [("Female", high / 2, high / 4, high), ("Male", None, None, None)],
    }


def test_a_tick_of_two_and_a_half_percent_says_so():
    svg = bar_chart(chart(0.04), "c")  # the scale's floor is 5 %: ticks 0, 2.5 and 5
    ticks = re.findall(r'text-anchor="middle" fill="#1f1f1f">([^<]+)</text>', svg)
    assert ticks == ["0%", "2.5%", "5%"]


def test_every_text_is_drawn_13_units_high():
    svg = bar_chart(chart(0.3), "c")
    assert set(re.findall(r'font-size="(\d+)"', svg)) == {"13"}
