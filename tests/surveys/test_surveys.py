"""Survey instruments, invitations through the outbox, answering on a phone, and impact."""

from datetime import timedelta

import pytest
from django.utils import timezone
from scipy.stats import PermutationMethod, rankdata, wilcoxon

from microintern.applications.enums import PlaceState
from microintern.insights import domain as insights_domain
from microintern.mail.models import OutboundMessage
from microintern.surveys import domain, impact
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Answer, Instrument, Invitation, Response
from microintern.surveys.report_pdf import (
    annual_report,
    chart_description,
    consented_quotes,
    report_content,
)
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.pdf_structure import read_structure, words_of
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def version(slug):
    return Instrument.objects.get(slug=slug).current_version


def test_seeded_instruments_have_the_items_the_issue_asks_for():
    pre = version("student-pre").items.all()
    assert sum(1 for i in pre if i.scale.startswith("caas_")) == 12
    assert sum(1 for i in pre if i.scale == "self_efficacy") == 8
    post = list(version("student-post").items.all())
    assert sum(1 for i in post if i.timing == "before") == 8
    assert sum(1 for i in post if i.response_type == "text") == 3
    host = {i.code: i for i in version("host").items.all()}
    assert (host["host_value"].maximum, host["host_again"].minimum, host["host_again"].maximum) == (
        5,
        0,
        10,
    )
    assert {"applied", "secured"} <= {i.code for i in version("student-follow-up").items.all()}


def test_editing_creates_a_new_version_and_old_answers_keep_theirs():
    student = StudentFactory()
    first = domain.invite(InstrumentKind.STUDENT_PRE, student=student)
    domain.record_response(first, {"caas_concern_1": 3})
    instrument = Instrument.objects.get(slug="student-pre")
    answered = instrument.current_version.number
    new = domain.new_version(
        instrument,
        [
            {
                "code": "caas_concern_1",
                "text": "Reworded",
                "response_type": "scale",
                "scale": "caas_concern",
                "minimum": 1,
                "maximum": 5,
            }
        ],
        note="reworded",
    )
    assert new.number == answered + 1 and instrument.current_version == new
    answer = Answer.objects.get()
    assert answer.item.version.number == answered and answer.item.text != "Reworded"


def test_invitation_goes_through_the_outbox_once():
    interest = ExpressionOfInterestFactory(state=PlaceState.ACCEPTED)
    for _ in range(2):
        invitation = domain.invite(
            InstrumentKind.STUDENT_PRE,
            student=interest.student,
            micro_internship=interest.micro_internship,
        )
    message = OutboundMessage.objects.get(role="survey_invitation")
    assert message.to == interest.student.email
    assert f"/surveys/{invitation.token}/" in message.body
    assert Invitation.objects.count() == 1


def test_due_invitations_pick_the_right_people():
    now = timezone.now()
    future = MicroInternshipFactory(starts_at=now + timedelta(days=5))
    yesterday = MicroInternshipFactory(starts_at=now - timedelta(days=1, hours=8))
    ten_weeks = MicroInternshipFactory(starts_at=now - timedelta(weeks=10))
    accepted = ExpressionOfInterestFactory(micro_internship=future, state=PlaceState.ACCEPTED)
    attended = ExpressionOfInterestFactory(micro_internship=yesterday, state=PlaceState.ATTENDED)
    earlier = ExpressionOfInterestFactory(micro_internship=ten_weeks, state=PlaceState.ATTENDED)
    not_selected = ExpressionOfInterestFactory(
        micro_internship=ten_weeks, state=PlaceState.NOT_SELECTED
    )
    ExpressionOfInterestFactory(micro_internship=future, state=PlaceState.RECEIVED)
    for place in (earlier, not_selected):
        insights_domain.give_research_consent(place.student, quotes=False)
    ExpressionOfInterestFactory(micro_internship=ten_weeks, state=PlaceState.ATTENDED)
    withdrawn = ExpressionOfInterestFactory(micro_internship=ten_weeks, state=PlaceState.ATTENDED)
    insights_domain.give_research_consent(withdrawn.student, quotes=False)
    insights_domain.withdraw_research_consent(withdrawn.student)
    domain.invite_due(now)
    domain.invite_due(now)
    sent = {
        (i.version.instrument.kind, i.student_id or i.host_contact_id)
        for i in Invitation.objects.select_related("version__instrument")
    }
    assert sent == {
        ("student_pre", accepted.student_id),
        ("student_post", attended.student_id),
        ("follow_up", earlier.student_id),
        ("follow_up", not_selected.student_id),
        ("host", yesterday.challenge.contact_id),
    }
    assert OutboundMessage.objects.filter(role="survey_invitation").count() == 5


def test_answering_on_the_survey_page(client):
    invitation = domain.invite(InstrumentKind.STUDENT_POST, student=StudentFactory())
    url = f"/surveys/{invitation.token}/"
    page = client.get(url, HTTP_USER_AGENT="Mobile").content.decode()
    assert "1 – Not strong" in page and 'type="radio"' in page
    response = client.post(
        url, {"caas_concern_1": "4", "open_learned": "How to pitch to a client"}, follow=True
    )
    assert "We have your answers" in response.content.decode()
    answers = {a.item.code: (a.number, a.text) for a in Answer.objects.select_related("item")}
    assert answers == {
        "caas_concern_1": (4, ""),
        "open_learned": (None, "How to pitch to a client"),
    }
    assert client.post(url, {"caas_concern_1": "1"}).status_code == 200
    assert Answer.objects.count() == 2


@pytest.mark.parametrize("typed", ["-1", "501", "about ten"])
def test_a_number_out_of_range_is_explained_in_the_hosts_words(client, typed):
    mi = MicroInternshipFactory()
    invitation = domain.invite(
        InstrumentKind.HOST, host_contact=mi.challenge.contact, micro_internship=mi
    )
    comment = "The students were a credit to the university."
    response = client.post(
        f"/surveys/{invitation.token}/", {"host_hours": typed, "host_comments": comment}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please give a whole number from 0 to 500 for “About how many staff hours" in page
    assert "Ensure this value" not in page and "Enter a whole number" not in page
    assert comment in page  # what they wrote is still there
    assert not Answer.objects.exists()


def test_anonymous_instrument_keeps_who_apart_from_what():
    instrument = Instrument.objects.get(slug="host")
    instrument.anonymous = True
    instrument.save()
    mi = MicroInternshipFactory()
    invitation = domain.invite(
        InstrumentKind.HOST, host_contact=mi.challenge.contact, micro_internship=mi
    )
    response = domain.record_response(invitation, {"host_value": 5})
    invitation.refresh_from_db()
    assert invitation.responded_at is not None
    assert response.invitation is None
    assert Response.objects.filter(invitation__host_contact=mi.challenge.contact).count() == 0


def consenting_student(**fields):
    """A student whose research consent is in force (the impact report uses only them)."""
    student = StudentFactory(**fields)
    insights_domain.give_research_consent(student, quotes=False)
    return student


def _answer_all(invitation, scores):
    items = invitation.version.items.filter(scale="self_efficacy", timing="now")
    domain.record_response(invitation, {item.code: int(scores) for item in items})


@pytest.fixture
def paired_answers():
    """10 students: the 8 self-efficacy items all answered with one value, pre and post;
    integer item values, so each student's scale score is that value."""
    mi = MicroInternshipFactory()
    pre_values = [2, 2, 3, 3, 2, 3, 2, 3, 2, 4]
    post_values = [3, 4, 3, 4, 2, 4, 4, 5, 2, 3]
    for pre, post in zip(pre_values, post_values, strict=True):
        student = consenting_student()
        _answer_all(
            domain.invite(InstrumentKind.STUDENT_PRE, student=student, micro_internship=mi), pre
        )
        _answer_all(
            domain.invite(InstrumentKind.STUDENT_POST, student=student, micro_internship=mi), post
        )
    return pre_values, post_values


def test_change_per_scale_matches_scipy(paired_answers):
    pre, post = paired_answers
    found = {(c.scale, c.comparison): c.result for c in impact.changes()}
    result = found[("self_efficacy", "Before → after")]
    differences = [b - a for a, b in zip(pre, post, strict=True)]
    nonzero = [d for d in differences if d]
    assert result.n == 10 and result.n_nonzero == len(nonzero)
    assert result.median_change == sorted(differences)[4] / 2 + sorted(differences)[5] / 2
    assert result.has_ties
    # With ties the module enumerates every sign flip; SciPy's permutation method with as
    # many resamples as arrangements is the same exact test.
    exact = wilcoxon(nonzero, method=PermutationMethod(n_resamples=2 ** len(nonzero)))
    assert result.p_value == pytest.approx(exact.pvalue, abs=1e-9)
    positive = sum(
        r for r, d in zip(rankdata([abs(d) for d in nonzero]), nonzero, strict=True) if d > 0
    )
    total = len(nonzero) * (len(nonzero) + 1) / 2
    assert result.rank_biserial == pytest.approx((2 * positive - total) / total)
    table = impact.change_table(list(impact.changes()), impact.OutputMode.ROUNDED)
    row = next(r for r in table.rows if r[0].startswith("Confidence") and r[1] == "Before → after")
    assert row[2] == "10" and row[3] == f"{result.median_change:+.2f}"


def test_small_groups_are_suppressed_in_the_impact_table():
    mi = MicroInternshipFactory()
    for pre, post in ((2, 3), (3, 4), (2, 4)):
        student = consenting_student()
        _answer_all(
            domain.invite(InstrumentKind.STUDENT_PRE, student=student, micro_internship=mi), pre
        )
        _answer_all(
            domain.invite(InstrumentKind.STUDENT_POST, student=student, micro_internship=mi), post
        )
    table = impact.change_table(impact.changes(), impact.OutputMode.ROUNDED)
    row = next(r for r in table.rows if r[0].startswith("Confidence"))
    assert row[2:6] == ["5", "..", "..", ".."]


def test_quotes_only_from_people_who_agreed():
    agreed, declined, withdrew = StudentFactory(), StudentFactory(), StudentFactory()
    insights_domain.give_research_consent(agreed, quotes=True)
    insights_domain.give_research_consent(declined, quotes=False)
    insights_domain.give_research_consent(withdrew, quotes=True)
    insights_domain.withdraw_research_consent(withdrew)
    for student, words in ((agreed, "Loved it"), (declined, "No quote"), (withdrew, "Gone")):
        domain.record_response(
            domain.invite(InstrumentKind.STUDENT_POST, student=student), {"open_learned": words}
        )
    mi = MicroInternshipFactory()
    domain.record_response(
        domain.invite(InstrumentKind.HOST, host_contact=mi.challenge.contact, micro_internship=mi),
        {"host_comments": "Great team", "host_quote_ok": 1},
    )
    assert consented_quotes() == ["“Loved it” – a student", "“Great team” – a host"]
    assert annual_report().startswith(b"%PDF")


def test_impact_pages_for_staff_and_researchers(client, make_user, paired_answers):
    sign_in(client, make_user("researcher"))
    page = client.get("/insights/impact/").content.decode()
    assert "Change per scale" in page and "TASO type 2" in page and "lottery" in page.lower()
    response = client.get("/insights/impact/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_host_comment_themes_are_counted_per_comment():
    counts = impact.comment_themes(
        [
            "Fresh ideas and a confident presentation.",
            "Useful research, but it took more time to prepare than we expected.",
            "A team from very different backgrounds.",
        ]
    )
    assert counts["Fresh ideas and perspectives"] == 1
    assert counts["Presentation and communication"] == 1
    assert counts["Quality of research and recommendations"] == 1
    assert counts["Time, preparation and workload"] == 1
    assert counts["Diversity of the team"] == 1
    assert counts["Organisation by the university"] == 0


def test_staff_edit_an_instrument_into_a_new_version(client, make_user):
    sign_in(client, make_user("staff"))
    assert "Before your micro-internship" in client.get("/staff/surveys/").content.decode()
    page = client.get("/staff/surveys/host/edit/")
    formset = page.context["formset"]
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": "6",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "note": "Reworded value",
    }
    for i, form in enumerate(formset.forms):
        for name in ("code", "text", "response_type", "scale", "minimum", "maximum"):
            value = form.initial.get(name)
            data[f"form-{i}-{name}"] = "" if value is None else value
        if form.initial:
            data[f"form-{i}-keep"] = "on"
    data["form-0-text"] = "How useful were the team's recommendations?"
    data.pop("form-1-keep")  # drop staff hours
    new = len(formset.forms) - 2
    data.update(
        {
            f"form-{new}-code": "host_repeat",
            f"form-{new}-text": "Would you recommend hosting to another organisation?",
            f"form-{new}-response_type": "yes_no",
        }
    )
    before = Instrument.objects.get(slug="host").current_version
    response = client.post("/staff/surveys/host/edit/", data, follow=True)
    assert f"Saved as version {before.number + 1}" in response.content.decode()
    items = {i.code: i for i in Instrument.objects.get(slug="host").current_version.items.all()}
    assert "host_hours" not in items and "host_repeat" in items
    assert items["host_value"].text == "How useful were the team's recommendations?"
    assert items["host_value"].anchors[0] == "Not valuable"
    assert items["host_value"].source == before.items.get(code="host_value").source
    first = before
    assert (
        first.items.get(code="host_value").text == "How valuable were the team's recommendations?"
    )


def test_impact_tables_download_as_csv_and_xlsx(client, make_user, paired_answers):
    import csv
    import io

    from openpyxl import load_workbook

    sign_in(client, make_user("researcher"))
    response = client.get("/insights/impact/export/impact_change.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = next(
        r for r in rows if r[:2] == ["Confidence in workplace skills (8 items)", "Before → after"]
    )
    assert row[2] == "10"
    workbook = load_workbook(io.BytesIO(client.get("/insights/impact/export/all.xlsx").content))
    assert {"impact_change", "host", "host_themes", "lottery"} <= set(workbook.sheetnames)
    assert client.get("/insights/impact/export/all.csv").status_code == 404


def test_caas_items_are_shown_under_their_stem_and_every_item_records_its_source(client):
    invitation = domain.invite(InstrumentKind.STUDENT_PRE, student=StudentFactory())
    page = client.get(f"/surveys/{invitation.token}/").content.decode()
    stem = "How strongly have you developed each of the following abilities?"
    assert page.count(stem) == 1
    assert page.index(stem) < page.index("Thinking about what my future will be like")
    for slug in ("student-pre", "student-post", "student-follow-up", "host"):
        assert all(item.source for item in version(slug).items.all()), slug
    caas = version("student-pre").items.filter(scale__startswith="caas_")
    assert {item.stem for item in caas} == {stem}
    assert all("CAAS-SF" in item.source for item in caas)


def test_the_host_item_is_neutral_and_the_old_wording_keeps_its_answers():
    host = Instrument.objects.get(slug="host")
    first, current = host.versions.order_by("number")[0], host.current_version
    assert current.number > first.number
    item = current.items.get(code="host_students_view")
    assert "under-represented" not in item.text
    assert item.anchors[0] == "Much lower" and item.anchors[2] == "About the same"
    assert not current.items.filter(code="host_view").exists()
    assert "leading" in item.source


def test_the_impact_report_is_a_tagged_pdf_with_real_tables_and_a_described_chart(
    client, make_user, paired_answers
):
    sign_in(client, make_user("researcher"))
    pdf = read_structure(client.get("/insights/impact/report.pdf").content)
    content = report_content()
    assert pdf.marked and pdf.lang == "en-GB" and pdf.displays_title
    assert pdf.title == content.title
    assert pdf.untagged == [] and pdf.unclaimed == []
    assert pdf.elements[0].path == "Document/H1" and pdf.elements[0].text == content.title
    headings = [e.text for e in pdf.of("H2")]
    assert headings[:2] == ["Headline figures", content.funnel.chart["title"]]
    assert headings[2:] == [words_of(t.title) for t in content.tables] + (
        ["In their own words"] if content.quotes else []
    )
    # Each table: its heading row as TH cells, then one TR of TD cells per row, in order.
    cells = [e for e in pdf.elements if e.path.startswith("Document/Table/TR/")]
    expected = [
        (kind, words_of(str(value)))
        for table in content.tables
        for kind, row in [("TH", table.header)] + [("TD", r) for r in table.rows]
        for value in row
    ]
    assert [(e.path.rsplit("/", 1)[-1], e.text) for e in cells] == expected
    # The chart is one figure whose words give every bar.
    (figure,) = pdf.of("Figure")
    assert figure.alt == chart_description(content.funnel)
    for label, value, _low, _high in content.funnel.chart["bars"]:
        assert label in figure.alt
        if value is not None:
            assert f"{100 * value:.1f}%" in figure.alt
