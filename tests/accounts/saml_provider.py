"""The test SAML 2.0 identity provider (tests/saml_idp, pysaml2) as a running process, and
signing in through it the way a browser would: the site's button, the provider's form, and
the signed assertion posted back to the site's ACS. Nothing is mocked."""

import datetime
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from microintern.settings import saml_providers_setting, sign_on_providers_setting
from tests.accounts.oidc_provider import provider_process

REPOSITORY = Path(__file__).resolve().parents[2]
SAML_ID = "shib"
SAML_NAME = "Test University (SAML)"
SP_ENTITY_ID = f"http://testserver/accounts/saml/{SAML_ID}/metadata/"
REFEDS_MFA = "https://refeds.org/profile/mfa"
PASSWORD_CONTEXT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def person(email, *, groups=(), context=PASSWORD_CONTEXT, **extra) -> dict:
    return {
        "password": "university password",
        "authn_context": context,
        "attributes": {
            "mail": [email],
            "displayName": [email.split("@")[0].replace(".", " ").title()],
            "eduPersonEntitlement": list(groups),
        },
        **extra,
    }


PEOPLE = {
    "ada": person("ada.lovelace@example.ac.uk", groups=["bc-staff"], context=REFEDS_MFA),
    "pat": person("pat.staff@example.ac.uk", groups=["bc-staff"]),
    "sam": person("sam.student@example.ac.uk"),
    "eve": person("eve.forged@example.ac.uk", groups=["bc-staff"], forged=True),
    "gus": person("gus@gmail.com"),
}


def self_signed(directory: Path, name: str) -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file.write_bytes(pem)
    return str(key_file), str(cert_file), pem.decode()


def sp_metadata(site: str) -> str:
    """This site's service-provider metadata as the identity provider holds it, for the site
    served at `site`: where to post assertions (ACS) and send logout requests (SLS)."""
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ENTITY_ID}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"
      AuthnRequestsSigned="false" WantAssertionsSigned="true">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{site}/accounts/saml/{SAML_ID}/sls/"/>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{site}/accounts/saml/{SAML_ID}/acs/" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>"""


@dataclass
class RunningSAMLProvider:
    base: str
    certificate: str


@contextmanager
def running_saml_provider(site: str):
    """The test provider running for the site served at `site` (its own key, and a forger's
    key the site does not trust); skips (fails with CI=true) without xmlsec1."""
    xmlsec = shutil.which("xmlsec1")
    if not xmlsec:
        message = "xmlsec1 is missing, which pysaml2 signs with (apt-get install -y xmlsec1)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run installs it")
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="test-saml-idp-") as name:
        directory = Path(name)
        key_file, cert_file, certificate = self_signed(directory, "idp")
        forger_key, forger_cert, _ = self_signed(directory, "forger")
        config = directory / "config.json"
        config.write_text(
            json.dumps(
                {
                    "key_file": key_file,
                    "cert_file": cert_file,
                    "forger_key_file": forger_key,
                    "forger_cert_file": forger_cert,
                    "sp_metadata": sp_metadata(site),
                    "xmlsec_binary": xmlsec,
                    "people": PEOPLE,
                }
            )
        )
        with provider_process(["tests.saml_idp.serve", str(config)]) as port:
            yield RunningSAMLProvider(f"http://127.0.0.1:{port}", certificate)


@pytest.fixture(scope="session")
def saml_provider():
    """The test provider for the Django test client's site, http://testserver."""
    with running_saml_provider("http://testserver") as provider:
        yield provider


@pytest.fixture
def university_saml(settings, saml_provider):
    """The site signs people in through the test SAML provider, trusting it for
    @example.ac.uk and taking the REFEDS MFA profile as a second factor."""

    def configure(**policy):
        settings.SOCIALACCOUNT_PROVIDERS = {
            **sign_on_providers_setting([]),
            "saml": saml_providers_setting(
                [
                    {
                        "id": SAML_ID,
                        "name": SAML_NAME,
                        "entity_id": f"{saml_provider.base}/metadata",
                        "sso_url": f"{saml_provider.base}/sso/redirect",
                        "slo_url": f"{saml_provider.base}/slo/redirect",
                        "x509cert": saml_provider.certificate,
                        "sp_entity_id": SP_ENTITY_ID,
                        "trusted": True,
                        "mfa_authn_contexts": [REFEDS_MFA],
                        "single_label": True,  # the test client's host is "testserver"
                        **policy,
                    }
                ]
            ),
        }

    configure()
    return configure


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = "", {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action", "")
        if tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value", "")


def posted_assertion(client, username: str, at_provider=None) -> tuple[str, dict]:
    """Press the site's SAML button and sign in at the provider (in the browser session
    `at_provider`, a new one unless given; one already signed in there is not asked for
    the password again); return the ACS address and the form the provider's page would
    post there (SAMLResponse, RelayState)."""
    client.defaults.setdefault("HTTP_HOST", "testserver")  # python3-saml reads it
    started = client.post(f"/accounts/saml/{SAML_ID}/login/")
    assert started.status_code == 302, started.content
    at_provider = at_provider if at_provider is not None else requests.Session()
    answer = at_provider.get(started["Location"], timeout=10)
    posted = _Form()
    posted.feed(answer.text)
    if "SAMLResponse" not in posted.fields:
        answer = at_provider.post(
            answer.url.split("/sso/")[0] + posted.action,
            data={**posted.fields, "username": username, "password": PEOPLE[username]["password"]},
            timeout=10,
        )
        posted = _Form()
        posted.feed(answer.text)
    assert "SAMLResponse" in posted.fields, answer.text[:500]
    return urlsplit(posted.action).path, posted.fields


def post_to_acs(client, acs_path: str, fields: dict):
    """The browser's automatic post of the provider's answer, then the site's own redirect
    to the end of the ACS (allauth's way round SameSite cookies); the site's last answer."""
    response = client.post(acs_path, fields)
    if response.status_code == 302 and response["Location"].endswith("/acs/finish/"):
        response = client.get(response["Location"])
    return response


def sign_in_through_saml(client, username: str, at_provider=None):
    return post_to_acs(client, *posted_assertion(client, username, at_provider))


def sign_out_at_the_university(client, provider, at_provider, *, tampered=None):
    """Press "Sign out of the university" at the running `provider` (browser session
    `at_provider`), follow its LogoutRequest to the site's SLS in `client` (its query
    parameters changed as `tampered` says; None leaves one out) and the site's answer back
    to the provider. Returns the site's response and, when the site sent the browser back,
    the provider's last page."""
    sent = at_provider.post(f"{provider.base}/slo/start", allow_redirects=False, timeout=10)
    assert sent.status_code == 303, sent.text[:500]
    to_site = urlsplit(sent.headers["Location"])
    assert to_site.netloc == "testserver", to_site
    query = {key: values[0] for key, values in parse_qs(to_site.query).items()}
    query.update(tampered or {})
    at_site = client.get(to_site.path, {k: v for k, v in query.items() if v is not None})
    if at_site.status_code != 302 or urlsplit(at_site["Location"]).netloc in ("", "testserver"):
        return at_site, None
    return at_site, at_provider.get(at_site["Location"], timeout=10)
