"""Every URL × every role (and anonymous): who may see what."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from microintern.api.models import WebhookSubscription
from microintern.applications import links
from microintern.applications.badges import key_id as badge_key_id
from microintern.hosts import links as host_links
from microintern.hosts.models import HostContact, UnconfirmedProposal
from microintern.insights.models import PopulationImport, Study
from microintern.surveys.domain import invite as survey_invite
from microintern.surveys.enums import InstrumentKind
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "student",
    "other_student",
    "host",
    "other_host",
    "staff",
    "researcher",
    "administrator",
]
OK, LOGIN, DENIED, NOT_ALLOWED = 200, "login", 403, 405

# name -> expected outcome for each role (GET requests). Anything missing fails the test, so
# a new URL cannot slip in without a decision about who may see it.
STAFF_ONLY = {
    "anonymous": LOGIN,
    "student": DENIED,
    "other_student": DENIED,
    "host": DENIED,
    "other_host": DENIED,
    "staff": OK,
    "researcher": DENIED,
    "administrator": OK,
}
EVERYONE = dict.fromkeys(ROLES, OK)
STUDENT_ONLY = {
    **dict.fromkeys(ROLES, DENIED),
    "anonymous": LOGIN,
    "student": OK,
    "other_student": OK,
}
POST_ONLY = dict.fromkeys(ROLES, NOT_ALLOWED)
EXPECTED = {
    "public:home": EVERYONE,
    "public:detail": EVERYONE,
    "applications:my_interests": STUDENT_ONLY,
    "applications:express_interest": EVERYONE,
    "applications:reply": POST_ONLY,
    "applications:move_choice": POST_ONLY,
    "public:calendar": EVERYONE,
    "public:check_certificate": EVERYONE,
    "public:check_badge": EVERYONE,
    "public:badge_issuer": EVERYONE,
    "public:badge_key": EVERYONE,
    "public:badge_status_list": EVERYONE,
    "applications:interest_sent": EVERYONE,
    "applications:confirm_interest": EVERYONE,  # the signed link is the key
    "applications:offer": {  # signed link; a signed-in other person is refused and logged
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": OK,
        "student": OK,
    },
    "applications:feedback": EVERYONE,
    "applications:certificate_link": dict.fromkeys(ROLES, 404),  # not attended: no certificate
    "applications:certificate": {**STUDENT_ONLY, "student": 404, "other_student": DENIED},
    "applications:badge": {**STUDENT_ONLY, "student": 404, "other_student": DENIED},
    "staff:hear_entries": STAFF_ONLY,
    "staff:hear_export": STAFF_ONLY,
    "hosts:home": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "host": OK,
        "other_host": OK,
    },
    "hosts:challenge": {**STAFF_ONLY, "host": OK, "other_host": DENIED},
    "staff:dashboard": STAFF_ONLY,
    "staff:micro_internship": STAFF_ONLY,
    "staff:micro_internship_state": POST_ONLY,
    "staff:decide_place": POST_ONLY,
    "staff:interest": STAFF_ONLY,
    "staff:pipeline": STAFF_ONLY,
    "staff:challenge_state": POST_ONLY,
    "staff:outbox": STAFF_ONLY,
    "staff:outbox_release": POST_ONLY,
    "staff:outbox_message": STAFF_ONLY,
    "staff:outbox_retry": POST_ONLY,
    "staff:student_messages": STAFF_ONLY,
    "staff:contact_messages": STAFF_ONLY,
    "staff:email_templates": STAFF_ONLY,
    "staff:email_template": STAFF_ONLY,
    "staff:inbound": STAFF_ONLY,
    "staff:inbound_message": STAFF_ONLY,
    "staff:inbound_raw": STAFF_ONLY,
    "staff:inbound_attachment": {**STAFF_ONLY, "staff": 404, "administrator": 404},  # none kept
    "staff:inbound_link": POST_ONLY,
    "staff:inbound_set_aside": POST_ONLY,
    "staff:inbound_reprocess": POST_ONLY,
    "staff:inbound_reply": POST_ONLY,
    "staff:inbound_bulk": POST_ONLY,
    "staff:inbound_restore": POST_ONLY,
    "inbound:check": EVERYONE,  # the signed link in the acknowledgement is the key
    "inbound:confirm_address": EVERYONE,  # signed link to the student's university address
    "hosts:propose": EVERYONE,
    "hosts:proposal_sent": EVERYONE,
    "hosts:confirm_proposal": EVERYONE,  # the signed link is the key
    "hosts:micro_internship": {**STAFF_ONLY, "host": OK, "other_host": DENIED},
    "hosts:upload_briefing": POST_ONLY,
    "hosts:calendar": {**STAFF_ONLY, "host": OK, "other_host": DENIED},
    "hosts:feedback": {**STAFF_ONLY, "host": OK, "other_host": DENIED},
    "hosts:briefing": {**STAFF_ONLY, "host": OK, "other_host": DENIED},
    # Staff are sent back to the challenge: it is not accepted yet, so cannot be scheduled.
    "staff:schedule": {**STAFF_ONLY, "staff": 302, "administrator": 302},
    "staff:edit_micro_internship": STAFF_ONLY,
    "staff:duplicate_micro_internship": STAFF_ONLY,
    "staff:action_emails": STAFF_ONLY,
    "staff:decide_action_emails": POST_ONLY,
    "staff:interest_window": POST_ONLY,
    "staff:register": STAFF_ONLY,
    "staff:calendar": STAFF_ONLY,
    "staff:calendar_feed_token": POST_ONLY,
    "calendar_feed": dict.fromkeys(ROLES, 404),  # the secret token is the only key
    "insights_home": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "staff": OK,
        "researcher": OK,
        "administrator": OK,
    },
    "set_language": dict.fromkeys(ROLES, 302),  # back to the page, with the cookie set
    "home_for_role": {**dict.fromkeys(ROLES, 302), "anonymous": LOGIN},
    # For monitors, open to anyone (counts and ages only); this world's periodic jobs have
    # never run, so it answers "failing".
    "healthz": dict.fromkeys(ROLES, 503),
    "staff:system": STAFF_ONLY,
    "staff:search": STAFF_ONLY,
    "staff:message_people": POST_ONLY,
    "staff:team_csv": STAFF_ONLY,
    "staff:decide_places": POST_ONLY,
    "staff:people": {**STAFF_ONLY, "staff": DENIED},  # administrators only
    "staff:set_role": POST_ONLY,
    "staff:sign_on_rules": {**STAFF_ONLY, "staff": DENIED},  # administrators only
    "staff:remove_sign_on_rule": POST_ONLY,
    # The API for other systems: administrators manage tokens and webhooks; the API itself
    # takes only a token, never a signed-in session (401 for everyone here).
    "staff:integrations": {**STAFF_ONLY, "staff": DENIED},
    "staff:webhook_deliveries": {**STAFF_ONLY, "staff": DENIED},
    "staff:create_api_token": POST_ONLY,
    "staff:revoke_api_token": POST_ONLY,
    "staff:create_webhook": POST_ONLY,
    "staff:disable_webhook": POST_ONLY,
    "api": dict.fromkeys(ROLES, 401),
    # The world has one micro-internship: too narrow to publish, so those allowed in are
    # told why (409) instead of getting figures; everyone else is refused as before.
    "insights:export": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "staff": 409,
        "researcher": 409,
        "administrator": 409,
    },
    "insights:research_export": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "researcher": OK,
        "administrator": OK,
    },
    "insights:research_study": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "researcher": OK,
        "administrator": OK,
    },
    "insights:research_package": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "researcher": OK,
        "administrator": OK,
    },
    "surveys:respond": EVERYONE,  # the emailed token is the key
    "surveys:impact": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "staff": OK,
        "researcher": OK,
        "administrator": OK,
    },
    "surveys:impact_pdf": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "staff": OK,
        "researcher": OK,
        "administrator": OK,
    },
    "surveys:instruments": STAFF_ONLY,
    "surveys:edit_instrument": STAFF_ONLY,
    "surveys:impact_export": {
        **dict.fromkeys(ROLES, DENIED),
        "anonymous": LOGIN,
        "staff": OK,
        "researcher": OK,
        "administrator": OK,
    },
    "insights:population_upload": STAFF_ONLY,
    "insights:population_template": STAFF_ONLY,
    "insights:population_report": STAFF_ONLY,
    "insights:feed": STAFF_ONLY,
    "insights:coding_mapping": {**STAFF_ONLY, "staff": DENIED},  # administrators only
    "insights:population_confirm": POST_ONLY,
    "insights:equality_monitoring": STUDENT_ONLY,
    "insights:delete_equality_monitoring": POST_ONLY,
    "insights:research_consent": STUDENT_ONLY,
    "insights:withdraw_research_consent": POST_ONLY,
    "staff:selection_rounds": STAFF_ONLY,
    "staff:selection_round_new": STAFF_ONLY,
    "staff:selection_round": STAFF_ONLY,
    "staff:selection_policy": STAFF_ONLY,
    "staff:selection_dry_run": POST_ONLY,
    "staff:selection_close": POST_ONLY,
    "staff:selection_reopen": POST_ONLY,
    "staff:selection_override": POST_ONLY,
    "staff:selection_override_remove": POST_ONLY,
    "staff:selection_publish": POST_ONLY,
    "staff:selection_second_round": POST_ONLY,
    "public:selection_round": EVERYONE,
    # Public once the round is published; the round here is not, so there is nothing yet.
    "public:selection_audit": dict.fromkeys(ROLES, 404),
    "public:selection_my_cutoff": dict.fromkeys(ROLES, 404),
    "public:selection_rounds": EVERYONE,
}


def outbound_message_for(interest):
    from microintern.applications.notifications import queue_interest_email

    return queue_interest_email(interest, "place_offered", hold=True)


def action_of_emails(interest):
    from microintern.applications.notifications import queue_interest_email
    from microintern.mail.outbox import one_action

    with one_action() as action:
        queue_interest_email(interest, "place_waitlisted", hold=True)
    return action


def briefing_for(mi):
    from django.core.files.base import ContentFile

    from microintern.hosts.models import BriefingMaterial

    briefing = BriefingMaterial(
        micro_internship=mi,
        token=f"access-test-{mi.pk}",
        original_name="plan.txt",
        content_type="text/plain",
        size=5,
    )
    briefing.file.save(briefing.token, ContentFile(b"plan\n"), save=False)
    briefing.save()
    return briefing


def selection_kwargs(mi, staff):
    from microintern.selection.domain import add_override, create_round

    selection_round = create_round(
        name="Access test", micro_internships=[mi], priority=["first_time"], actor=staff
    )
    override = add_override(
        selection_round,
        student=mi.interests.first().student,
        micro_internship=mi,
        action="add",
        reason="Access test",
    )
    pk = {"pk": selection_round.pk}
    names = ["round", "policy", "dry_run", "close", "reopen", "override", "publish", "second_round"]
    return {
        **{f"staff:selection_{name}": pk for name in names},
        "staff:selection_override_remove": {**pk, "override_pk": override.pk},
        **{f"public:selection_{name}": pk for name in ("round", "audit", "my_cutoff")},
    }


def inbound_kwargs():
    from django.core import signing

    from microintern.mail.inbound import acknowledge, addresses, store

    message = store.store_message(b"From: x@example.org\r\nSubject: hi\r\n\r\nbody\r\n").message
    pk = {"pk": message.pk}
    return {
        **{f"staff:inbound_{name}": pk for name in ("message", "raw", "link", "set_aside")},
        "staff:inbound_reprocess": pk,
        "staff:inbound_restore": pk,
        "staff:inbound_reply": pk,
        "staff:inbound_attachment": {**pk, "index": 0},
        "inbound:check": {"token": acknowledge.check_token(message)},
        "inbound:confirm_address": {
            "token": signing.dumps({"p": 0, "s": 0}, salt=addresses.ADDRESS_SALT)
        },
    }


def our_url_names():
    names = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name in ("admin",) or "allauth" in str(p.urlconf_name):
                    continue
                walk(p.url_patterns, f"{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                names.append(namespace + p.name)

    walk(get_resolver().url_patterns)
    return names


@pytest.fixture
def world(make_user):
    people = {role: make_user(role) for role in ("staff", "researcher", "administrator")}
    challenge = ChallengeFactory()
    other_challenge = ChallengeFactory()
    for key, ch in (("host", challenge), ("other_host", other_challenge)):
        people[key] = make_user("host")
        HostContact.objects.filter(pk=ch.contact.pk).update(user=people[key])
    mi = MicroInternshipFactory(challenge=challenge, open_now=True)
    interest = ExpressionOfInterestFactory(micro_internship=mi)
    people["student"] = interest.student.user
    people["other_student"] = ExpressionOfInterestFactory(micro_internship=mi).student.user
    unconfirmed = UnconfirmedProposal.objects.create(
        contact=challenge.contact, title="Offered in their name", typed={}, proposed_at=mi.starts_at
    )
    population_import = PopulationImport.objects.create(
        academic_year="2026/27", file_name="x.csv", sha256="0"
    )
    study = Study.objects.create(name="Access", salt="0" * 64)
    webhook = WebhookSubscription.objects.create(name="Access", url="https://a.example", secret="x")
    kwargs = {
        "public:detail": {"reference": mi.reference},
        "applications:express_interest": {"reference": mi.reference},
        "applications:reply": {"pk": interest.pk, "action": "withdraw"},
        "applications:move_choice": {"pk": interest.pk, "direction": "up"},
        "public:calendar": {"reference": mi.reference},
        "applications:interest_sent": {"reference": mi.reference},
        "applications:confirm_interest": {"token": links.confirm_token(interest)},
        "applications:offer": {"token": links.offer_token(interest)},
        "applications:feedback": {"token": links.after_the_day_token(interest)},
        "applications:certificate_link": {"token": links.after_the_day_token(interest)},
        "applications:certificate": {"pk": interest.pk},
        "applications:badge": {"pk": interest.pk},
        "staff:hear_entries": {"pk": mi.pk},
        "public:badge_key": {"thumbprint": badge_key_id()},
        "public:badge_status_list": {"number": 0},
        "hosts:challenge": {"pk": challenge.pk},
        "staff:micro_internship": {"pk": mi.pk},
        "staff:micro_internship_state": {"pk": mi.pk},
        "staff:decide_place": {"pk": interest.pk},
        "staff:interest": {"pk": interest.pk},
        "staff:message_people": {"pk": mi.pk},
        "staff:team_csv": {"pk": mi.pk},
        "staff:decide_places": {"mi_pk": mi.pk},
        "staff:set_role": {"pk": people["staff"].pk},
        "staff:remove_sign_on_rule": {"pk": 1},
        "staff:revoke_api_token": {"pk": 1},
        "staff:disable_webhook": {"pk": 1},
        "staff:webhook_deliveries": {"pk": webhook.pk},
        "api": {"rest": f"micro-internships/{mi.reference}/places"},
        "staff:challenge_state": {"pk": challenge.pk},
        "staff:outbox_message": {"pk": outbound_message_for(interest).pk},
        "staff:outbox_retry": {"pk": 1},
        "staff:student_messages": {"pk": interest.student.pk},
        "staff:contact_messages": {"pk": challenge.contact.pk},
        "staff:email_template": {"role": "place_offered"},
        **inbound_kwargs(),
        "hosts:micro_internship": {"pk": mi.pk},
        "hosts:upload_briefing": {"pk": mi.pk},
        "hosts:calendar": {"pk": mi.pk},
        "hosts:feedback": {"pk": mi.pk},
        "hosts:briefing": {"token": briefing_for(mi).token},
        "hosts:confirm_proposal": {"token": host_links.confirm_token(unconfirmed)},
        "staff:schedule": {"challenge_pk": challenge.pk},
        "staff:edit_micro_internship": {"pk": mi.pk},
        "staff:duplicate_micro_internship": {"pk": mi.pk},
        "staff:action_emails": {"key": action_of_emails(interest)},
        "staff:decide_action_emails": {"key": "0" * 32},
        "staff:interest_window": {"pk": mi.pk},
        "staff:register": {"pk": mi.pk},
        "calendar_feed": {"token": "not-a-real-token"},
        "insights:export": {"key": "funnel", "extension": "csv"},
        "insights:population_report": {"pk": population_import.pk},
        "insights:population_confirm": {"pk": population_import.pk},
        "insights:research_study": {"pk": study.pk},
        "insights:research_package": {"pk": study.pk},
        "surveys:edit_instrument": {"slug": "host"},
        "surveys:impact_export": {"key": "host", "extension": "csv"},
        **selection_kwargs(mi, people["staff"]),
        "surveys:respond": {
            "token": survey_invite(InstrumentKind.STUDENT_PRE, student=interest.student).token
        },
    }
    return people, kwargs


def test_every_url_has_an_access_decision():
    assert sorted(our_url_names()) == sorted(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_what(client, world, role):
    from django.urls import reverse

    people, kwargs = world
    if role != "anonymous":
        sign_in(client, people[role])
    failures = []
    for name, expected in EXPECTED.items():
        url = reverse(name, kwargs=kwargs.get(name, {}))
        response = client.get(url)
        want = expected[role]
        got = response.status_code
        if want == LOGIN:
            ok = got == 302 and response.url.startswith("/accounts/login/")
        else:
            ok = got == want
        if not ok:
            failures.append(f"{name} {url}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


def test_a_student_cannot_act_on_another_students_place_and_it_is_logged(client, world):
    from microintern.core.models import ActivityLog

    people, kwargs = world
    client.force_login(people["other_student"])
    interest_pk = kwargs["applications:reply"]["pk"]
    response = client.post(f"/my/places/{interest_pk}/withdraw/")
    assert response.status_code == 403
    entry = ActivityLog.objects.get(action="place.refused_not_owner")
    assert entry.actor == people["other_student"]
    assert entry.object_id == str(interest_pk)


def test_staff_post_actions_refuse_other_roles(client, world):
    people, kwargs = world
    client.force_login(people["student"])
    mi_pk = kwargs["staff:micro_internship"]["pk"]
    response = client.post(f"/staff/micro-internships/{mi_pk}/state/", {"to_state": "closed"})
    assert response.status_code == 403
