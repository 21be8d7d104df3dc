"""The code mapping (UG, FT, H, UK …) is versioned: a change is a new version, made by an
administrator, and every import keeps the version it was read with."""

import html
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from microintern.insights import codings, domain
from microintern.insights.models import CodingMapping
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

HEADER = "student_number,email,full_name,level,mode,fee_status,domicile"
FILE = (HEADER + "\nS1,ana@example.ac.uk,Ana Li,UGRD,FT,H,UK\n").encode()


def with_level(code: str, value: str) -> dict:
    tables = codings.default_tables()
    tables["readings"]["level"][code] = value
    return tables


def stage(mapping=None):
    return domain.stage_population_import(
        name="students.csv", content=FILE, academic_year="2026/27", mapping=mapping
    )


def test_version_1_is_todays_codings():
    first = domain.current_coding_mapping()
    assert first.version == 1
    assert {"readings": first.readings, "refused": first.refused} == codings.default_tables()
    assert first.created_by is None
    assert domain.current_coding_mapping() == first  # made once


def test_a_change_is_a_new_version_and_old_imports_keep_theirs(make_user):
    before = stage()
    assert before.mapping.version == 1
    (problem,) = before.problems
    assert problem["field"] == "level"
    assert problem["problem"].startswith("“UGRD” is not a level we know")
    admin = make_user("administrator")
    with time_machine.travel(datetime(2027, 1, 12, 9, 0, tzinfo=UTC), tick=False):
        second = domain.save_coding_mapping(
            **with_level("UGRD", "undergraduate"), note="SITS 2027 codes", actor=admin
        )
    assert (second.version, second.created_by, second.note) == (2, admin, "SITS 2027 codes")
    assert second.created_at == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)

    after = stage()
    assert after.mapping == second and after.problems == []
    assert after.rows[0]["level"] == "undergraduate"
    assert after.readings["level"] == {"UGRD": ["Undergraduate", 1]}
    before.refresh_from_db()
    assert before.mapping.version == 1
    first = CodingMapping.objects.get(version=1)
    assert "ugrd" not in first.readings["level"]  # version 1 is as it was


def test_an_import_can_be_read_with_an_older_version():
    domain.save_coding_mapping(**with_level("UGRD", "undergraduate"))
    old = stage(mapping=CodingMapping.objects.get(version=1))
    assert old.mapping.version == 1 and old.valid_count == 0


@pytest.mark.parametrize(
    ("tables", "why"),
    [
        (with_level("UGRD", "ug"), "readings: level: “UGRD” must read as one of foundation"),
        (
            {"readings": {"domicile": {"England": "England"}}, "refused": {}},
            "must read as a two-letter code such as XF or FR, not “England”",
        ),
        ({"readings": {"shoe_size": {}}, "refused": {}}, "“shoe_size” is not one of level"),
        (
            {"readings": {"level": {"PG": "pgt"}}, "refused": {"level": {"PG": "ambiguous"}}},
            "level: “PG” cannot be both read and refused",
        ),
        ({"readings": [], "refused": {}}, "“readings” must be {column: {code: value}}"),
        ({"readings": {}, "refused": {"level": {"X": " "}}}, "refused: level: “X” needs a reason"),
    ],
)
def test_a_wrong_mapping_is_refused_saying_why_and_nothing_is_saved(tables, why):
    with pytest.raises(domain.MappingRefused, match=why):
        domain.save_coding_mapping(**tables)
    assert not CodingMapping.objects.filter(version__gt=1).exists()


def test_a_custom_mapping_names_the_codes_it_knows():
    mapping = codings.Mapping({"level": {"ugrd": "undergraduate", "pgt": "pgt"}})
    assert codings.read("level", "Undergraduate", mapping) == ("undergraduate", "")
    value, why = codings.read("level", "UG", mapping)
    assert value is None
    assert why == "“UG” is not a level we know: use PGT, UGRD; the words in full also do."


def test_an_administrator_saves_a_new_version_in_the_admin(client, make_user):
    admin = make_user("administrator", is_staff=True)
    sign_in(client, admin)
    add = reverse("admin:insights_codingmapping_add")
    form = client.get(add)
    assert form.status_code == 200 and "&quot;ug&quot;: &quot;undergraduate&quot;" in (
        form.content.decode()
    )
    tables = with_level("UGRD", "undergraduate")
    response = client.post(
        add,
        {
            "readings": json.dumps(tables["readings"]),
            "refused": json.dumps(tables["refused"]),
            "note": "New SITS codes",
        },
    )
    assert response.status_code == 302
    newest = domain.current_coding_mapping()
    assert (newest.version, newest.created_by, newest.note) == (2, admin, "New SITS codes")

    refused = client.post(
        add, {"readings": json.dumps(with_level("X", "ug")["readings"]), "refused": "{}"}
    )
    assert "must read as one of" in refused.content.decode()
    change = client.post(
        reverse("admin:insights_codingmapping_change", args=[newest.pk]),
        {"readings": "{}", "refused": "{}", "note": "overwrite"},
    )
    assert change.status_code == 403
    newest.refresh_from_db()
    assert newest.note == "New SITS codes" and newest.readings == tables["readings"]


def test_staff_cannot_change_the_mapping(client, make_user):
    sign_in(client, make_user("staff", is_staff=True))
    assert client.get(reverse("admin:insights_codingmapping_add")).status_code == 403


# The codes page: administrators edit the mapping as lines of CODE = value.


def codes_form(client) -> dict:
    """What the codes page's form holds now, as a browser would send it back."""
    page = client.get("/insights/population/codes/")
    form = page.context["form"]
    return {name: field.initial or "" for name, field in form.fields.items()}


def test_an_administrator_adds_a_code_and_the_next_import_reads_it(client, make_user):
    sign_in(client, make_user("administrator"))
    sent = codes_form(client) | {"note": "SITS writes UGRD for undergraduates."}
    sent["read_level"] += "\nUGRD = undergraduate"
    response = client.post("/insights/population/codes/", sent, follow=True)
    page = response.content.decode()
    assert "Saved as version 2." in page
    assert "SITS writes UGRD for undergraduates." in page  # in the list of versions
    staged = stage()
    assert staged.mapping.version == 2 and staged.problems == []
    # Nothing else changed: the tables are the defaults plus the one code.
    assert (
        CodingMapping.objects.get(version=2).readings
        == with_level("ugrd", "undergraduate")["readings"]
    )


def test_a_line_it_cannot_read_is_named_and_the_typing_is_kept(client, make_user):
    sign_in(client, make_user("administrator"))
    sent = codes_form(client) | {"note": "More codes."}
    sent["read_mode"] += "\nFULL TIME STUDENT"
    line = len(sent["read_mode"].splitlines())
    response = client.post("/insights/population/codes/", sent)
    page = html.unescape(response.content.decode())
    assert f"line {line} (“FULL TIME STUDENT”): write each line as CODE = value." in page
    assert "FULL TIME STUDENT</textarea>" in page and 'value="More codes."' in page
    assert CodingMapping.objects.count() == 1  # version 1 only, made when the page opened


def test_a_value_we_do_not_have_is_refused_with_the_values_we_do(client, make_user):
    sign_in(client, make_user("administrator"))
    sent = codes_form(client) | {"note": "Bachelor's."}
    sent["read_level"] += "\nBA = bachelor"
    page = html.unescape(client.post("/insights/population/codes/", sent).content.decode())
    assert "readings: level: “ba” must read as one of" in page and "not “bachelor”" in page
    assert "BA = bachelor</textarea>" in page
    assert not CodingMapping.objects.filter(version=2).exists()


def test_a_code_both_read_and_refused_is_refused(client, make_user):
    sign_in(client, make_user("administrator"))
    sent = codes_form(client) | {"note": "PG."}
    sent["read_level"] += "\nPG = postgraduate_taught"
    page = html.unescape(client.post("/insights/population/codes/", sent).content.decode())
    assert "level: “pg” cannot be both read and refused." in page
    assert not CodingMapping.objects.filter(version=2).exists()


def test_only_administrators_open_the_codes_page(client, make_user):
    for role in ("staff", "researcher", "student"):
        sign_in(client, make_user(role))
        assert client.get("/insights/population/codes/").status_code in (302, 403), role
        client.logout()
    sign_in(client, make_user("staff"))
    upload = client.get("/insights/population/").content.decode()
    assert "/insights/population/codes/" not in upload
