"""Templates of applications, programme and hosts test states through the enums' named groups
(model flags such as `interest.is_offered`), never by comparing a raw state string."""

import re
from pathlib import Path

import microintern

SOURCE = Path(microintern.__file__).parent
RAW_STATE_TEST = re.compile(r"\.state\s*(==|!=|in\b)|(==|!=)\s*\S*\.state\b")


def test_no_template_compares_a_raw_state():
    found = [
        f"{template.relative_to(SOURCE)}:{number}"
        for app in ("applications", "programme", "hosts")
        for template in sorted((SOURCE / app / "templates").rglob("*.html"))
        for number, line in enumerate(template.read_text().splitlines(), start=1)
        if RAW_STATE_TEST.search(line)
    ]
    assert found == []


def test_the_pattern_finds_raw_state_tests():
    for line in ('{% if mi.state == "cancelled" %}', "{% if interest.state in withdrawable %}"):
        assert RAW_STATE_TEST.search(line)
    assert not RAW_STATE_TEST.search("{% if mi.is_cancelled %}{{ interest.get_state_display }}")
