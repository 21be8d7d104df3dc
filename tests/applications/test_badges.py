"""The certificate as an Open Badges 3.0 credential: issued to the student, checked by an
independent Open Badges verifier and by the public page, revoked when attendance is corrected,
and refused with a clear sentence when tampered with or signed by someone else."""

import base64
import io
import json
from datetime import UTC, timedelta
from importlib.resources import files
from urllib.parse import urlsplit

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from joserfc import jws
from joserfc.jwk import RSAKey
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier

from microintern.applications import badges
from microintern.applications.checks import badges_can_be_signed
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def attended(django_capture_on_commit_callbacks):
    mi = MicroInternshipFactory(
        state=MicroInternshipState.SELECTION_PUBLISHED,
        starts_at=timezone.now() + timedelta(days=1),
        interest_opens_at=timezone.now() - timedelta(days=20),
        interest_closes_at=timezone.now() - timedelta(days=10),
    )
    interest = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
    with on_the_day(mi, hours=7):
        with django_capture_on_commit_callbacks(execute=True):
            transition_place(interest, PlaceState.ATTENDED)
        yield interest


def download(client, interest) -> str:
    client.force_login(interest.student.user)
    response = client.get(f"/my/places/{interest.pk}/open-badge.jwt")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/jwt"
    assert (
        f"open-badge-{interest.micro_internship.reference}.jwt" in response["Content-Disposition"]
    )
    return response.content.decode()


def fetch(client):
    """What a verifier downloading our public addresses receives (through the test client)."""

    def get(url: str) -> bytes:
        response = client.get(urlsplit(url).path)
        assert response.status_code == 200, (url, response.status_code)
        return response.content

    return get


def published_key_pem(client, token: str) -> bytes:
    """The public key the badge's `kid` names, fetched as a verifier would, as PEM."""
    kid = pyjwt.get_unverified_header(token)["kid"]
    jwk = json.loads(fetch(client)(kid))
    assert "d" not in jwk and jwk["kty"] == "RSA"
    public = pyjwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_an_issued_badge_verifies_with_an_independent_open_badges_verifier(client, attended):
    token = download(client, attended)
    assert download(client, attended) == token  # every download is the same badge
    client.logout()
    verifier = OB3Verifier(pubkey_pem=published_key_pem(client, token))
    credential = verifier.verify(token, check_status=True, download=fetch(client))
    mi = attended.micro_internship
    assert credential.achievement.name == mi.title
    assert credential.issuer.id == badges.issuer_id()
    assert credential.recipient_id is None  # no name or address in clear: only a hash

    header = pyjwt.get_unverified_header(token)
    assert set(header) == {"alg", "kid", "typ"} and header["alg"] == "RS256"
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in claims["type"]
    assert claims["validFrom"] == mi.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert claims["nbf"] == int(mi.starts_at.timestamp()) and claims["jti"] == claims["id"]
    assert claims["iss"] == claims["issuer"]["id"]
    profile = json.loads(fetch(client)(claims["issuer"]["id"]))
    assert profile["id"] == claims["issuer"]["id"] and profile["type"] == ["Profile"]
    subject = claims["credentialSubject"]
    assert subject["achievement"]["name"] == mi.title
    assert mi.challenge.organisation.name in subject["achievement"]["description"]
    (identity,) = subject["identifier"]
    assert identity["type"] == "IdentityObject" and identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    assert identity["identityHash"] == badges.identity_hash(
        attended.student.email.upper(), identity["salt"]
    )
    student = attended.student
    for personal in (student.full_name, student.email, student.student_number):
        assert personal not in token and personal not in json.dumps(claims)
    # The badge's id is the public page that checks the certificate of the same code.
    attended.refresh_from_db()
    page = client.get(urlsplit(claims["id"]).path + "?" + urlsplit(claims["id"]).query)
    assert "This certificate is genuine" in page.content.decode()


def test_the_public_page_checks_a_pasted_or_uploaded_badge_and_the_address(client, attended):
    token = download(client, attended)
    client.logout()
    pasted = client.post("/badges/check/", {"badge_text": token})
    assert pasted.status_code == 200
    page = pasted.content.decode()
    assert "This badge is genuine" in page and attended.micro_internship.title in page
    assert attended.student.full_name not in page
    upload = SimpleUploadedFile("open-badge.jwt", token.encode(), "application/jwt")
    uploaded = client.post(
        "/badges/check/", {"badge_file": upload, "email": attended.student.email}
    ).content.decode()
    assert "This badge is genuine" in uploaded
    assert f"It was issued to <strong>{attended.student.email}</strong>" in uploaded
    other = client.post(
        "/badges/check/", {"badge_text": token, "email": "someone.else@example.ac.uk"}
    ).content.decode()
    assert "It was not issued to someone.else@example.ac.uk" in other


def test_a_corrected_attendance_revokes_the_badge_everywhere(client, attended):
    token = download(client, attended)
    attended.refresh_from_db()
    transition_place(attended, PlaceState.NO_SHOW, reason="Marked present by mistake.")
    client.logout()
    verifier = OB3Verifier(pubkey_pem=published_key_pem(client, token))
    verifier.verify(token)  # the signature still holds ...
    with pytest.raises(OB3VerificationError, match="'revocation' is set"):
        verifier.verify(token, check_status=True, download=fetch(client))  # ... the status not
    page = client.post("/badges/check/", {"badge_text": token}).content.decode()
    assert "This badge is no longer valid" in page and "This badge is genuine" not in page


def _resigned(token: str, key: RSAKey, kid: str) -> str:
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
    return jws.serialize_compact(header, payload, key, algorithms=["RS256"])


@pytest.mark.parametrize(
    "spoil, message",
    [
        (
            lambda token, kid: token.replace(
                token.split(".")[1],
                base64.urlsafe_b64encode(
                    base64.urlsafe_b64decode(token.split(".")[1] + "==").replace(
                        b"Micro-internship", b"Macro-internship"
                    )
                )
                .decode()
                .rstrip("="),
            ),
            "The signature does not match",
        ),
        (
            lambda token, kid: _resigned(
                token, RSAKey.generate_key(2048), "https://elsewhere.example/key"
            ),
            "was not signed with this site",
        ),
        (
            lambda token, kid: _resigned(token, RSAKey.generate_key(2048), kid),
            "The signature does not match",
        ),
        (lambda token, kid: "not a badge at all", "This is not a badge in the form"),
        (lambda token, kid: "a.b.c", "This badge is damaged"),
        (lambda token, kid: "", "Paste the badge, or choose its file"),
    ],
    ids=[
        "tampered",
        "another-issuer",
        "another-key-claiming-ours",
        "not-a-jwt",
        "damaged",
        "empty",
    ],
)
def test_a_tampered_or_foreign_badge_is_refused_with_a_clear_message(
    client, attended, spoil, message
):
    token = download(client, attended)
    client.logout()
    kid = pyjwt.get_unverified_header(token)["kid"]
    bad = spoil(token, kid)
    response = client.post("/badges/check/", {"badge_text": bad})
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert message in page
    assert "This badge is genuine" not in page
    if bad:
        assert response.status_code == 400
        assert bad[:40] in page  # what was pasted is still in the box
    if bad and bad.count(".") == 2 and message.startswith("The signature"):
        with pytest.raises(OB3VerificationError):
            OB3Verifier(pubkey_pem=published_key_pem(client, token)).verify(bad)


def test_a_pdf_uploaded_by_mistake_is_refused_with_what_to_do(client, attended):
    upload = SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 \xff\xfe binary", "application/pdf")
    page = client.post("/badges/check/", {"badge_file": upload}).content.decode()
    assert "not the PDF certificate" in page


def test_only_a_student_marked_attended_gets_a_badge(client, attended):
    offered = ExpressionOfInterestFactory(state=PlaceState.WAITLISTED)
    client.force_login(offered.student.user)
    response = client.get(f"/my/places/{offered.pk}/open-badge.jwt")
    assert response.status_code == 404
    assert client.get(f"/my/places/{attended.pk}/open-badge.jwt").status_code == 403


def test_the_student_page_links_the_badge_and_the_check_address(client, attended):
    client.force_login(attended.student.user)
    page = client.get("/my/").content.decode()
    assert f"/my/places/{attended.pk}/open-badge.jwt" in page
    download(client, attended)
    attended.refresh_from_db()
    page = client.get("/my/").content.decode()
    assert badges.credential_address(attended.certificate_code) in page


def test_the_published_key_is_public_only_and_other_keys_are_unknown(client, attended):
    jwk = client.get(f"/badges/keys/{badges.key_id()}").json()
    assert set(jwk) >= {"kty", "n", "e", "kid"} and not {"d", "p", "q", "dp", "dq"} & set(jwk)
    assert client.get("/badges/keys/not-our-key").status_code == 404


def test_without_a_signing_key_badges_are_refused_saying_what_to_do(
    client, attended, settings, tmp_path, caplog
):
    missing = tmp_path / "missing.pem"
    settings.MICROINTERN_BADGE_KEY_FILE = missing
    client.force_login(attended.student.user)
    response = client.get(f"/my/places/{attended.pk}/open-badge.jwt")
    assert response.status_code == 404
    page = response.content.decode()
    assert "this site has no signing key set up yet" in page and str(tmp_path) not in page
    assert f"No Open Badges signing key at {missing}" in caplog.text  # the fix, for staff
    assert "init_keys" in caplog.text
    assert client.get(f"/my/places/{attended.pk}/certificate.pdf").status_code == 200
    assert client.get("/badges/status/0").status_code == 503
    (warning,) = badges_can_be_signed(None)
    assert warning.id == "microintern.W302" and str(missing) in warning.msg


def test_init_keys_makes_the_badge_signing_key_once_readable_only_by_its_owner(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MICROINTERN_BADGE_KEY_FILE = tmp_path / "badge_signing_key.pem"
    call_command("init_keys", stdout=io.StringIO())
    key_file = settings.MICROINTERN_BADGE_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = key_file.read_bytes()
    assert RSAKey.import_key(first).as_dict(private=True)["d"]
    call_command("init_keys", stdout=io.StringIO())
    assert key_file.read_bytes() == first  # kept: badges already issued still verify


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_every_term_of_the_badge_is_defined_by_its_json_ld_contexts(attended):
    """A JSON-LD processor drops a term no context defines: the badge uses none. The
    contexts are the copies the independent verifier ships (VC 2.0, Open Badges 3.0.3)."""
    contexts = files("openbadgeslib.ob3.contexts")
    defined = set()
    for name in ("credentials-v2.json", "ob-v3p0-context-3.0.3.json"):
        defined |= _keys(json.loads(contexts.joinpath(name).read_text()))
    credential = badges.badge_credential(attended)
    assert credential["@context"] == badges.CONTEXTS
    used = {k for k in _keys(credential) if not k.startswith("@")}
    assert used - defined == set()
    for value in ("OpenBadgeCredential", "AchievementSubject", "IdentityObject", "Profile"):
        assert value in defined


def test_after_a_change_of_key_badges_signed_before_still_verify_if_the_old_key_is_kept(
    client, attended, settings, tmp_path
):
    token = download(client, attended)
    client.logout()
    old = RSAKey.import_key(settings.MICROINTERN_BADGE_KEY_FILE.read_bytes())
    new_key_file = tmp_path / "new.pem"
    new_key_file.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
    settings.MICROINTERN_BADGE_KEY_FILE = new_key_file
    forgotten = client.post("/badges/check/", {"badge_text": token}).content.decode()
    assert "was not signed with this site" in forgotten
    retired = tmp_path / "old-public.pem"
    retired.write_bytes(old.as_pem(private=False))
    settings.MICROINTERN_BADGE_RETIRED_KEY_FILES = [retired]
    kept = client.post("/badges/check/", {"badge_text": token}).content.decode()
    assert "This badge is genuine" in kept
    OB3Verifier(pubkey_pem=published_key_pem(client, token)).verify(token)
    assert download(client, attended) != token  # new badges are signed with the new key
