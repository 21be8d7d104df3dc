"""The public pages under load: their database work does not grow with the number of
micro-internships, what they show comes from the shared cache, a change shows up at once,
and nothing one person sees (their name, CSRF token, messages) is ever shown to another."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext

from microintern.programme import public_pages
from microintern.programme.domain import transition_micro_internship, update_micro_internship
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import StudentFactory, sign_in
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def pages(mi) -> list[str]:
    return ["/", f"/micro-internships/{mi.reference}/", f"/my/interest/{mi.reference}/"]


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_public_pages_make_as_many_queries_for_30_micro_internships_as_for_3(client):
    counts, listed = {}, 0
    for how_many in (3, 27):  # 3 open, then 30
        mis = [MicroInternshipFactory(open_now=True) for _ in range(how_many)]
        listed += how_many
        for path in pages(mis[0]):
            public_pages.forget_public_pages()
            built = queries_for(client, path)
            kept = queries_for(client, path)
            counts.setdefault(path.split("/")[1] or "list", []).append((built, kept))
        assert len(re.findall(r'class="card"', client.get("/").content.decode())) == listed
    for page, ((built_3, kept_3), (built_30, kept_30)) in counts.items():
        assert built_3 == built_30, page
        assert kept_3 == kept_30 == 1, page  # the one read of the shared cache


def test_templates_are_compiled_once_per_process():
    loaders = engines["django"].engine.template_loaders
    assert [type(loader) for loader in loaders] == [CachedLoader]


def test_a_change_to_a_micro_internship_or_its_challenge_shows_up_at_once(client, open_mi):
    for path in pages(open_mi):
        client.get(path)  # now kept
    challenge = open_mi.challenge
    challenge.title = "Pricing a repair subscription"
    challenge.save()
    for path in pages(open_mi):
        assert "Pricing a repair subscription" in client.get(path).content.decode(), path
    update_micro_internship(open_mi, {"capacity": 4})
    assert "4 students" in client.get("/").content.decode()
    assert "4 students" in client.get(pages(open_mi)[1]).content.decode()
    organisation = challenge.organisation
    organisation.name = "Greenway Bikes"
    organisation.save()
    assert "Greenway Bikes" in client.get("/").content.decode()
    transition_micro_internship(open_mi, MicroInternshipState.CLOSED)
    assert open_mi.reference not in client.get("/").content.decode()
    assert "not taking new interest" in client.get(pages(open_mi)[1]).content.decode()
    assert "not taking new interest" in client.get(pages(open_mi)[2]).content.decode()


def test_a_new_micro_internship_is_listed_at_once(client, open_mi):
    client.get("/")
    later = MicroInternshipFactory(open_now=True)
    assert later.reference in client.get("/").content.decode()


def test_a_page_built_from_what_was_read_before_a_commit_is_not_served_after_it(
    open_mi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_mi.challenge.title = "New title"
        open_mi.challenge.save()
        # another request, which read the database before this change committed
        assert public_pages.cached_part("list", ("", ""), lambda: ("old", True)) == "old"
    assert public_pages.cached_part("list", ("", ""), lambda: ("new", True)) == "new"


def test_a_closing_time_passing_takes_the_micro_internship_off_the_list_without_any_save(
    client, open_mi
):
    with time_machine.travel(open_mi.interest_closes_at - timedelta(minutes=1), tick=False):
        assert open_mi.reference in client.get("/").content.decode()
        form = client.get(pages(open_mi)[2]).content.decode()
        assert "Say you" in form
    with time_machine.travel(open_mi.interest_closes_at + timedelta(seconds=1), tick=False):
        assert open_mi.reference not in client.get("/").content.decode()
        assert "not taking new interest" in client.get(pages(open_mi)[1]).content.decode()
        assert "not taking new interest" in client.get(pages(open_mi)[2]).content.decode()


def test_an_opening_time_arriving_lists_the_micro_internship_without_any_save(client):
    soon = MicroInternshipFactory(open_now=True)
    soon.interest_opens_at = soon.interest_closes_at - timedelta(days=1)
    soon.save()
    with time_machine.travel(soon.interest_opens_at - timedelta(seconds=1), tick=False):
        assert soon.reference not in client.get("/").content.decode()
    with time_machine.travel(soon.interest_opens_at + timedelta(seconds=1), tick=False):
        assert soon.reference in client.get("/").content.decode()


def test_made_up_filters_and_references_are_not_kept(client, open_mi):
    """Anyone can ask for as many of these as they like: keeping them would fill the cache."""
    for path in ("/?subject=nothing-like-it", "/?month=2099-01", "/micro-internships/MI-2099-999/"):
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                client.get(path)
            assert len(queries) > 1, path  # built again, not read from the cache
    assert queries_for(client, f"/?subject={open_mi.challenge.subject_area}") > 1
    assert queries_for(client, f"/?subject={open_mi.challenge.subject_area}") == 1


def test_a_signed_in_student_s_page_is_never_shown_to_anyone_else(client, open_mi):
    student = StudentFactory(with_user=True, full_name="Amira Hassan")
    signed_in = Client()
    sign_in(signed_in, student.user)
    for path in pages(open_mi):
        seen = signed_in.get(path).content.decode()
        assert "Sign out" in seen
    assert "Amira Hassan" in seen and student.email in seen
    their_token = TOKEN.search(seen)[1]
    for path in pages(open_mi):
        page = client.get(path).content.decode()
        assert "Amira Hassan" not in page and student.email not in page, path
        assert "Sign out" not in page and "Sign in" in page, path
        assert their_token not in page, path


def test_each_visitor_gets_their_own_csrf_token_and_it_works(
    open_mi, django_capture_on_commit_callbacks
):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    form = f"/my/interest/{open_mi.reference}/"
    first_token = TOKEN.search(first.get(form).content.decode())[1]
    second_page = second.get(form).content.decode()
    second_token = TOKEN.search(second_page)[1]
    assert first_token != second_token
    assert second.cookies["csrftoken"].value != first.cookies["csrftoken"].value
    data = {
        "full_name": "Priya Shah",
        "email": "p.shah@example.ac.uk",
        "student_number": "s1234567",
        "statement": "I commute and work shifts, and one day fits around both.",
        "can_attend": "on",
    }
    assert second.post(form, {**data, "csrfmiddlewaretoken": first_token}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        sent = second.post(form, {**data, "csrfmiddlewaretoken": second_token})
    assert sent.status_code == 302


def test_a_message_for_one_visitor_is_shown_to_them_only(client, open_mi):
    student = StudentFactory(with_user=True)
    leaving = Client()
    sign_in(leaving, student.user)
    leaving.get("/")
    page = leaving.post("/accounts/logout/", follow=True).content.decode()
    assert "You have signed out" in page
    assert "You have signed out" not in client.get("/").content.decode()
    assert "You have signed out" not in leaving.get("/").content.decode()  # shown once
