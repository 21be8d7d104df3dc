"""Research data by study: per-study pseudonyms, consent (and equality consent) kept, values
of the year of record, k ≥ 5 / l ≥ 2 on every released row, a report before download and a
Frictionless Data Package with its codebook."""

import csv
import hashlib
import hmac
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from microintern.insights import domain, research
from microintern.insights.anonymity import WITHHELD, check
from microintern.insights.models import PopulationRecord, Study
from microintern.surveys.domain import invite, record_response
from microintern.surveys.enums import InstrumentKind
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db
KEY = "k" * 32
WHEN = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)


def package(client, study) -> dict:
    """The files of a study's data package: name → text (CSV files as lists of dicts)."""
    response = client.get(f"/insights/research/{study.pk}/package.zip")
    assert response.status_code == 200, response.content[:300]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return {
        name: list(csv.DictReader(io.StringIO(data.decode())))
        if name.endswith(".csv")
        else data.decode()
        if name.endswith(".json")
        else data
        for name, data in files.items()
    }


@pytest.fixture
def world(settings):
    """Twelve consenting students on one day (six also consent to equality answers), one
    who never consented, one who withdrew. Each student's record now says "School of Arts";
    their population record of 2026/27 says "Business School"."""
    settings.MICROINTERN_RESEARCH_KEY = KEY
    mi = MicroInternshipFactory(
        challenge=ChallengeFactory(contact__organisation__sector="Hospitality"), starts_at=WHEN
    )
    people = {"consenting": [], "equality": []}
    for i in range(14):
        student = StudentFactory(school="School of Arts")
        PopulationRecord.objects.create(
            student=student, academic_year="2026/27", school="Business School", imd_quintile=2
        )
        domain.save_equality_answers(student, {"ethnicity": "101" if i % 2 else "160"})
        ExpressionOfInterestFactory(
            student=student, micro_internship=mi, state=PlaceState.ATTENDED, verified_at=WHEN
        )
        record_response(
            invite(InstrumentKind.STUDENT_POST, student=student, micro_internship=mi),
            {"caas_concern_1": 4, "open_learned": "My tutor Dr Jones helped"},
        )
        if i < 12:
            domain.give_research_consent(student, quotes=False, equality=i < 6)
            people["consenting"].append(student)
            if i < 6:
                people["equality"].append(student)
        elif i == 12:
            people["never"] = student
        else:
            domain.give_research_consent(student, quotes=True, equality=True)
            domain.withdraw_research_consent(student)
            people["withdrawn"] = student
    return people


def _pid(study, student) -> str:
    study_key = hmac.new(KEY.encode(), f"study:{study.salt}".encode(), hashlib.sha256).digest()
    return hmac.new(
        study_key, f"student:{student.student_number}".encode(), hashlib.sha256
    ).hexdigest()


def test_each_study_has_its_own_pseudonyms_made_with_the_key(client, make_user, world):
    researcher = make_user("researcher")
    first = domain.create_study("Confidence", actor=researcher)
    second = domain.create_study("Employment", actor=researcher)
    sign_in(client, researcher)
    one, two = package(client, first), package(client, second)
    pids_one = {row["pid"] for row in one["interests.csv"]}
    pids_two = {row["pid"] for row in two["interests.csv"]}
    assert pids_one == {_pid(first, s) for s in world["consenting"]}
    assert pids_two == {_pid(second, s) for s in world["consenting"]}
    assert not pids_one & pids_two
    text = json.dumps({name: v for name, v in one.items() if not isinstance(v, bytes)})
    text += "".join(v.decode("latin-1") for v in one.values() if isinstance(v, bytes))  # .sav/.dta
    for student in (*world["consenting"], world["never"], world["withdrawn"]):
        assert student.student_number not in text
        assert student.email not in text and student.full_name not in text
    assert "Jones" not in text


def test_withdrawing_consent_takes_a_student_out_of_the_next_file(client, make_user, world):
    study = domain.create_study("Confidence")
    sign_in(client, make_user("researcher"))
    leaving = world["consenting"][0]
    assert _pid(study, leaving) in {r["pid"] for r in package(client, study)["interests.csv"]}
    domain.withdraw_research_consent(leaving)
    files = package(client, study)
    assert _pid(study, leaving) not in {r["pid"] for r in files["interests.csv"]}
    assert _pid(study, leaving) not in {r["pid"] for r in files["survey_answers.csv"]}


def test_equality_answers_only_for_students_whose_consent_names_them(client, make_user, world):
    study = domain.create_study("Equality")
    sign_in(client, make_user("researcher"))
    rows = {r["pid"]: r for r in package(client, study)["interests.csv"]}
    for student in world["consenting"]:
        row = rows[_pid(study, student)]
        if student in world["equality"]:
            assert row["ethnic_group"] in ("Asian or Asian British", "White")
        else:
            assert row["ethnic_group"] == WITHHELD and row["disability"] == WITHHELD


def test_values_are_those_of_the_year_of_record(client, make_user, world):
    study = domain.create_study("Schools")
    sign_in(client, make_user("researcher"))
    rows = package(client, study)["interests.csv"]
    assert {r["school"] for r in rows} == {"Business School"}
    assert {r["academic_year"] for r in rows} == {"2026/27"}
    assert {r["imd_quintile"] for r in rows} == {"2"}


def test_every_released_row_is_k_anonymous_and_l_diverse(client, make_user, world):
    study = domain.create_study("Checks")
    sign_in(client, make_user("researcher"))
    rows = package(client, study)["interests.csv"]
    quasi = [h.column for h in research.HIERARCHIES]
    assert len({r["pid"] for r in rows}) == 12
    assert check(rows, person="pid", quasi_identifiers=quasi, sensitive=research.SENSITIVE) == []


def test_survey_answers_have_a_response_id_and_no_free_text(client, make_user, world):
    study = domain.create_study("Surveys")
    sign_in(client, make_user("researcher"))
    answers = package(client, study)["survey_answers.csv"]
    assert {(r["item"], r["answer"]) for r in answers} == {("caas_concern_1", "4")}
    assert len({r["response"] for r in answers}) == 12


def test_the_report_before_download_says_what_was_generalised_and_withheld(
    client, make_user, world
):
    # A thirteenth consenting student alone at another host, in another term and school.
    loner = StudentFactory()
    PopulationRecord.objects.create(student=loner, academic_year="2026/27", school="Law")
    ExpressionOfInterestFactory(
        student=loner,
        micro_internship=MicroInternshipFactory(starts_at=datetime(2027, 2, 1, 9, tzinfo=UTC)),
        state=PlaceState.NOT_SELECTED,
        verified_at=WHEN,
    )
    domain.give_research_consent(loner, quotes=False)
    study = domain.create_study("Report")
    sign_in(client, make_user("researcher"))
    page = client.get(f"/insights/research/{study.pk}/").content.decode()
    assert "Students released</th><td>13" in page
    assert "micro-internship → withheld" in page
    assert "Students whose consent does not cover equality answers (withheld)</th><td>7" in page
    assert not ActivityLog.objects.filter(action="insights.research_export").exists()
    package(client, study)
    entry = ActivityLog.objects.get(action="insights.research_export")
    assert entry.data["people"] == 13


def test_the_data_package_is_a_valid_frictionless_descriptor_with_value_labels(
    client, make_user, world
):
    """A JSON-schema-shaped check of the Data Package and Table Schema rules we rely on
    (the frictionless validator is not installed): every resource's path is in the zip, its
    fields are the CSV header in order, and every value of a labelled column has a label."""
    study = domain.create_study("Package")
    sign_in(client, make_user("researcher"))
    files = package(client, study)
    descriptor = json.loads(files["datapackage.json"])
    assert set(descriptor) >= {"name", "resources", "title", "created", "licenses"}
    assert descriptor["name"].replace("-", "").isalnum() and descriptor["name"].islower()
    for resource in descriptor["resources"]:
        assert set(resource) >= {"name", "path", "schema", "format", "mediatype", "encoding"}
        rows = files[resource["path"]]
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == list(rows[0])
        for field in fields:
            assert field["type"] in ("string", "integer") and field["description"]
            if field["type"] == "integer":
                assert all(r[field["name"]].lstrip("-").isdigit() for r in rows)
            if "categories" in field:
                labelled = {c["value"] for c in field["categories"]}
                assert all(c["label"] for c in field["categories"])
                assert {r[field["name"]] for r in rows} <= labelled, field["name"]
    survey = descriptor["resources"][1]["schema"]["foreignKeys"][0]
    pids = {r["pid"] for r in files["interests.csv"]}
    assert survey["reference"]["resource"] == "interests"
    assert {r["pid"] for r in files["survey_answers.csv"]} <= pids


def test_starting_a_study_needs_a_new_name(client, make_user):
    domain.create_study("Confidence")
    sign_in(client, make_user("researcher"))
    response = client.post("/insights/research/", {"name": "Confidence"})
    assert "already a study with this name" in response.content.decode()
    response = client.post("/insights/research/", {"name": "Employment"}, follow=True)
    assert Study.objects.filter(name="Employment").exists()
    assert "Employment: what the file holds" in response.content.decode()


def test_without_a_key_nothing_is_exported(client, make_user, settings):
    settings.MICROINTERN_RESEARCH_KEY = ""
    study = domain.create_study("Confidence")
    sign_in(client, make_user("researcher"))
    response = client.get(f"/insights/research/{study.pk}/package.zip")
    assert response.status_code == 503
    assert "MICROINTERN_RESEARCH_KEY" in response.content.decode()


def test_staff_may_not_see_research_data(client, make_user):
    study = domain.create_study("Confidence")
    sign_in(client, make_user("staff"))
    for url in ("/insights/research/", f"/insights/research/{study.pk}/package.zip"):
        assert client.get(url).status_code == 403


@pytest.mark.slow
def test_on_the_5000_student_demo_every_released_row_passes_k_5_and_l_2(settings):
    settings.MICROINTERN_RESEARCH_KEY = KEY
    call_command("demo", students=5000, stdout=io.StringIO())
    call_command("demo_insights", stdout=io.StringIO())
    export = research.build_export(domain.create_study("Demo"))
    rows, release = export.release.rows, export.release
    assert release.people > 100
    assert release.people >= 0.9 * (release.people + release.people_withheld)
    quasi = [h.column for h in research.HIERARCHIES]
    assert check(rows, person="pid", quasi_identifiers=quasi, sensitive=research.SENSITIVE) == []
    shown = {r["ethnic_group"] for r in rows} - {WITHHELD}
    assert len(shown) >= 2  # special categories still say something


@pytest.mark.parametrize("kind", ["sav", "dta"])
def test_spss_and_stata_files_hold_the_csv_values_with_their_labels(
    client, make_user, world, tmp_path, kind
):
    """Read back with ReadStat as SPSS or Stata would: the same rows as the CSV file, every
    labelled value shown by its codebook label, every variable labelled."""
    import pyreadstat

    study = domain.create_study("Statistics packages")
    sign_in(client, make_user("researcher"))
    files = package(client, study)
    descriptor = json.loads(files["datapackage.json"])
    for resource in descriptor["resources"]:
        name = resource["path"].removesuffix(".csv")
        path = tmp_path / f"{name}.{kind}"
        path.write_bytes(files[f"{name}.{kind}"])
        read = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
        frame, meta = read(str(path), apply_value_formats=True)
        rows = files[resource["path"]]
        assert len(frame) == len(rows) > 0
        assert list(frame.columns) == list(rows[0])
        assert all(meta.column_names_to_labels[c] for c in frame.columns)
        for field in resource["schema"]["fields"]:
            column = field["name"]
            if "categories" in field:
                label_of = {c["value"]: c["label"] for c in field["categories"]}
                assert list(frame[column]) == [label_of[r[column]] for r in rows], column
            elif field["type"] == "integer":
                assert [int(v) for v in frame[column]] == [int(r[column]) for r in rows]
            else:
                assert list(frame[column]) == [r[column] for r in rows], column
