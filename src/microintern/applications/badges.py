"""The certificate of participation as an Open Badges 3.0 credential that anyone can verify.

A badge is a W3C Verifiable Credential (data model 2.0) of type OpenBadgeCredential, secured
with the JSON Web Token proof format of Open Badges 3.0: a compact JWS signed RS256 (the one
algorithm every Open Badges 3.0 verifier must support) whose payload is the credential, with
the registered claims `iss`, `jti` and `nbf`. The JOSE header names the key by `kid`, an
address that returns the public key as a JWK, so a verifier needs nothing from us but that
address.

What a badge says about the student is no more than the PDF certificate does, and less: it
carries no name, only a salted SHA-256 hash of the student's email address (an Open Badges
`IdentityObject`), so it shows who it was issued to only to someone who already knows that
address. Each badge has the certificate's code in its id, and a W3C Bitstring Status List
entry: once the attendance behind it is corrected, the list marks the badge revoked and the
public page says it is no longer valid.

The signing key is an RSA private key in a PEM file named by MICROINTERN_BADGE_KEY_FILE
(in development var/badge_signing_key.pem, written by `init_keys`); it is never in the
repository and never leaves the server. After a change of key, the public halves of the old
ones (MICROINTERN_BADGE_RETIRED_KEY_FILES) keep their badges verifiable.
"""

import base64
import gzip
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import RSAKey

from microintern.core.errors import Refusal
from microintern.programme.domain import check_the_day_has_come

from .certificate import NotAttended, check_address, spaced_code
from .domain import certificate_code, normal_certificate_code
from .enums import PlaceState
from .links import absolute
from .models import ExpressionOfInterest

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
STATUS_LIST_SIZE = 131072
"""Entries in one status list: the 16 KiB minimum of Bitstring Status List, so a list does
not tell how many badges were issued."""
STATUS_LIST_VALID_FOR = timedelta(days=1)
"""A verifier refuses a list older than this, so a replayed old list cannot hide a revocation."""
MAX_BADGE_LENGTH = 64 * 1024
IDENTITY_SALT = "microintern.applications.badges.identity-salt"
ROLE = "Student consultant in a team of up to ten"


class BadgeKeyMissing(Refusal):
    """No signing key is configured, so no badge can be issued."""

    def __init__(self, key_file: Path):
        logger.warning(
            "No Open Badges signing key at %s: run `python -m microintern init_keys`, or set "
            "MICROINTERN_BADGE_KEY_FILE to the issuer's RSA private key (PEM).",
            key_file,
        )
        super().__init__(
            "Badges cannot be issued at the moment: this site has no signing key set up yet. "
            "Your PDF certificate works as before; please tell the Business Clinic."
        )


class BadgeNotVerified(Refusal):
    """A pasted or uploaded badge that does not verify: the sentence says why."""


def _key_file() -> Path:
    return Path(settings.MICROINTERN_BADGE_KEY_FILE)


@lru_cache(maxsize=4)
def _load_key(path: str, modified: float) -> RSAKey:
    return RSAKey.import_key(Path(path).read_bytes())


def signing_key() -> RSAKey:
    """The issuer's private key, or `BadgeKeyMissing`; read again when the file changes."""
    key_file = _key_file()
    if not key_file.exists():
        raise BadgeKeyMissing(key_file)
    return _load_key(str(key_file), key_file.stat().st_mtime)


def key_id() -> str:
    """The JWK thumbprint (RFC 7638) of the signing key: it names the key in addresses."""
    return signing_key().thumbprint()


def key_address(thumbprint: str | None = None) -> str:
    """The `kid` of a badge: the address that returns the public key as a JWK (by default
    the key signing now)."""
    return absolute(reverse("public:badge_key", args=[thumbprint or key_id()]))


def known_keys() -> dict[str, RSAKey]:
    """Every key whose badges verify here, by thumbprint: the signing key and the public
    halves of retired ones (MICROINTERN_BADGE_RETIRED_KEY_FILES)."""
    key = signing_key()
    keys = {key.thumbprint(): key}
    for path in settings.MICROINTERN_BADGE_RETIRED_KEY_FILES:
        if not Path(path).is_file():
            logger.warning("Retired Open Badges key %s cannot be read; skipped.", path)
            continue
        retired = _load_key(str(path), Path(path).stat().st_mtime)
        keys.setdefault(retired.thumbprint(), retired)
    return keys


def public_jwk(thumbprint: str | None = None) -> dict:
    """The public half of a known key as a JWK (never the private parts), or KeyError."""
    thumbprint = thumbprint or key_id()
    jwk = known_keys()[thumbprint].as_dict(private=False)
    return {**jwk, "kid": key_address(thumbprint), "alg": ALGORITHM, "use": "sig"}


def issuer_id() -> str:
    return absolute(reverse("public:badge_issuer"))


def issuer_profile() -> dict:
    """The Open Badges `Profile` of the issuer (the Business Clinic), as every badge has it."""
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": settings.MICROINTERN["SITE_NAME"],
        "url": absolute(reverse("public:home")),
    }


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _salt(code: str) -> str:
    return salted_hmac(IDENTITY_SALT, code, algorithm="sha256").hexdigest()[:32]


def identity_hash(email: str, salt: str) -> str:
    """An Open Badges IdentityHash of an email address: `sha256$` and the hex SHA-256 of the
    address (trimmed, in small letters) followed by the salt."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return f"sha256${digest}"


def credential_address(code: str) -> str:
    """The id of a badge: the public page that checks the certificate of the same code."""
    return f"{check_address()}?code={spaced_code(code)}"


def status_list_address(number: int) -> str:
    return absolute(reverse("public:badge_status_list", args=[number]))


def badge_credential(interest: ExpressionOfInterest, now=None) -> dict:
    """The OpenBadgeCredential of a student marked as attended, before signing.

    Refuses like the PDF certificate (`NotAttended`, `NotYetTheDay`); the first certificate
    or badge of a place gives it its code. The credential is the same every time it is
    made: valid from the start of the day, for the same code, salt and status entry."""
    if interest.state != PlaceState.ATTENDED:
        raise NotAttended
    mi = interest.micro_internship
    check_the_day_has_come(mi, "certificate", now)
    code = certificate_code(interest)
    salt = _salt(code)
    day = timezone.localtime(mi.starts_at)
    organisation = mi.challenge.organisation.name
    status_list, index = divmod(interest.pk, STATUS_LIST_SIZE)
    return {
        "@context": CONTEXTS,
        "id": credential_address(code),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Micro-internship: {mi.title}",
        "issuer": issuer_profile(),
        "validFrom": _instant(mi.starts_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": identity_hash(interest.student.email, salt),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "role": ROLE,
            "activityStartDate": _instant(mi.starts_at),
            "activityEndDate": _instant(mi.ends_at),
            "achievement": {
                "id": absolute(reverse("public:detail", args=[mi.reference])),
                "type": ["Achievement"],
                "achievementType": "ext:MicroInternship",
                "name": mi.title,
                "description": (
                    f"Took part in a one-day micro-internship with {organisation} on "
                    f"{day:%A} {day.day} {day:%B %Y} (reference {mi.reference}): a team of "
                    "students worked on a real question from the host and presented "
                    "recommendations at the end of the day."
                ),
                "criteria": {
                    "narrative": (
                        "Recorded by the Business Clinic as having attended the whole day "
                        "on the host's premises."
                    )
                },
                "creator": {
                    "id": issuer_id(),
                    "type": ["Profile"],
                    "name": settings.MICROINTERN["SITE_NAME"],
                },
            },
        },
        "credentialStatus": {
            "id": f"{status_list_address(status_list)}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": status_list_address(status_list),
        },
        "credentialSchema": [{"id": SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def _sign(credential: dict) -> str:
    """A credential as a compact JWS: the JSON Web Token proof format of Open Badges 3.0."""
    issuer = credential["issuer"]
    claims = {
        **credential,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
    }
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    header = {"alg": ALGORITHM, "kid": key_address(), "typ": "JWT"}
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, payload, signing_key(), algorithms=[ALGORITHM])


def issue_badge(interest: ExpressionOfInterest, now=None) -> str:
    """The signed badge of a student marked as attended (see `badge_credential`)."""
    return _sign(badge_credential(interest, now))


def revoked_in_list(number: int) -> list[int]:
    """Indexes in status list `number` of badges whose attendance was corrected: a place with
    a certificate code that is no longer marked as attended."""
    first = number * STATUS_LIST_SIZE
    return [
        pk - first
        for pk in ExpressionOfInterest.objects.filter(
            Q(pk__gte=first) & Q(pk__lt=first + STATUS_LIST_SIZE),
            certificate_code__isnull=False,
        )
        .exclude(state=PlaceState.ATTENDED)
        .values_list("pk", flat=True)
    ]


def encoded_list(revoked: list[int]) -> str:
    """A Bitstring Status List `encodedList`: the bits (index 0 the first, most significant
    bit), GZIP-compressed, base64url without padding, with the multibase prefix `u`."""
    bits = bytearray(STATUS_LIST_SIZE // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_credential(number: int, now=None) -> str:
    """Status list `number` as a signed credential, valid for a day from `now`."""
    now = now or timezone.now()
    address = status_list_address(number)
    return _sign(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": address,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_id(),
            "validFrom": _instant(now),
            "validUntil": _instant(now + STATUS_LIST_VALID_FOR),
            "credentialSubject": {
                "id": f"{address}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded_list(revoked_in_list(number)),
            },
        }
    )


@dataclass(frozen=True)
class CheckedBadge:
    """A badge whose signature is ours, with what it says and whether it still holds."""

    credential: dict
    interest: ExpressionOfInterest | None
    valid: bool

    def issued_to(self, email: str) -> bool:
        """Whether the badge was issued to this email address (compares the hashes)."""
        return any(
            identity.get("identityHash") == identity_hash(email, identity.get("salt", ""))
            for identity in self.credential.get("credentialSubject", {}).get("identifier", [])
        )


def check_badge(token: str) -> CheckedBadge:
    """Verify a badge as pasted or uploaded: its form, its signature by this site's key,
    its claims; then look up whether the attendance behind it still stands. Raises
    `BadgeNotVerified` with a sentence a person can act on."""
    token = token.strip()
    if not token:
        raise BadgeNotVerified(
            "Paste the badge (a long text in three parts joined by dots) or choose its file."
        )
    if len(token) > MAX_BADGE_LENGTH:
        raise BadgeNotVerified(
            f"This is {len(token)} characters long; a badge from this site has "
            f"fewer than {MAX_BADGE_LENGTH}. Check you chose the badge file."
        )
    if token.count(".") != 2:
        raise BadgeNotVerified(
            "This is not a badge in the form this site issues: a badge is a long "
            "text in three parts joined by dots (a JSON Web Token)."
        )
    try:
        compact = jws.extract_compact(token.encode())
        header = compact.headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as error:
        raise BadgeNotVerified(
            "This badge is damaged: its parts cannot be read. Download it again "
            "from the student's page, or ask the student for it."
        ) from error
    keys = {key_address(thumbprint): key for thumbprint, key in known_keys().items()}
    key = keys.get(header.get("kid"))
    if key is None or header.get("alg") != ALGORITHM:
        raise BadgeNotVerified(
            "This badge was not signed with this site's key, so we cannot vouch "
            "for it. It may have been issued by someone else."
        )
    try:
        jws.deserialize_compact(token, key, algorithms=[ALGORITHM])
    except (BadSignatureError, JoseError, ValueError) as error:
        raise BadgeNotVerified(
            "The signature does not match: this badge was changed after it was "
            "issued, or was not signed by us. It is not valid."
        ) from error
    try:
        claims = json.loads(compact.payload)
    except ValueError as error:
        raise BadgeNotVerified("This badge is damaged: its content cannot be read.") from error
    if "OpenBadgeCredential" not in claims.get("type", []):
        raise BadgeNotVerified("This is signed by us but is not a badge (it may be a status list).")
    code = normal_certificate_code(claims.get("jti", "").rpartition("code=")[2])
    interest = (
        ExpressionOfInterest.objects.select_related("micro_internship__challenge__organisation")
        .filter(certificate_code=code)
        .first()
    )
    return CheckedBadge(
        credential=claims,
        interest=interest,
        valid=interest is not None and interest.state == PlaceState.ATTENDED,
    )
