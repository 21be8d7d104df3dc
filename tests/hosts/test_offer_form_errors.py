"""The host offer form's error summary names each missing field and links to it."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_host_offer_form_names_each_missing_field_and_links_to_it(client):
    page = client.post(reverse("hosts:propose"), {}).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    links = soup.select(".error-summary li a")
    assert "This field is required." not in page
    assert len(links) >= 5
    messages = [a.get_text() for a in links]
    for expected in (
        "Please tell us: organisation name",
        "Please tell us: sector",
        "Please tell us: your name",
        "Please tell us: your email address",
        "Please tell us: a short title for the challenge",
    ):
        assert expected in messages
    for a in links:
        assert soup.find(id=a["href"].removeprefix("#")), a["href"]
    assert len(set(messages)) == len(messages)
