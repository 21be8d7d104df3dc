"""The main menu offers each role exactly the pages its permissions open, and every link in
it works for that person."""

import re

import pytest

from tests.accounts.factories import StudentFactory, sign_in
from tests.hosts.factories import HostContactFactory

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')

EXPECTED = {
    "student": {"Micro-internships", "How we choose", "My micro-internships", "Your data choices"},
    "host": {"Micro-internships", "How we choose", "Your challenges"},
    "staff": {"Micro-internships", "How we choose", "Dashboard", "Challenges", "Inbox", "Outbox"}
    | {"Calendar", "Selection", "Search", "Insights"},
    "researcher": {"Micro-internships", "How we choose", "Insights"},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_its_own_menu_and_every_link_opens(client, make_user, role):
    if role == "student":
        user = StudentFactory(with_user=True).user
    elif role == "host":
        user = HostContactFactory(user=make_user("host")).user
    else:
        user = make_user(role)
    sign_in(client, user)
    menu = MENU.search(client.get("/").content.decode()).group(1)
    links = dict((text, href) for href, text in LINK.findall(menu))
    assert set(links) == EXPECTED[role]
    for text, href in links.items():
        assert client.get(href).status_code == 200, (role, text, href)


def test_the_administration_link_is_there_only_for_who_can_open_the_admin(client, make_user):
    admin = make_user("administrator", is_staff=True, is_superuser=True)
    sign_in(client, admin)
    menu = MENU.search(client.get("/").content.decode()).group(1)
    assert "Administration" in menu
    sign_in(client, make_user("staff"))
    assert "Administration" not in MENU.search(client.get("/").content.decode()).group(1)
