"""The test OpenID Connect provider (tests/oidc_idp) as a running process, and signing in
through it the way a browser would, for the SSO tests: nothing about it is mocked.

`oidc_provider` starts it once per test process on a free port of 127.0.0.1; `university_sso`
points the site at it as the provider "university"; `sign_in_through` plays the browser:
the site's button, the provider's sign-in form, and back to the site's callback.
"""

import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from microintern.settings import sign_on_providers_setting

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT_ID = "microintern-test-client"
CLIENT_SECRET = "test-client-secret"
PROVIDER_ID = "university"
PROVIDER_NAME = "Test University"
CALLBACK_PATH = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"


def person(email, *, groups=(), amr=("pwd",), acr="", verified=True, **extra) -> dict:
    claims = {
        "email": email,
        "email_verified": verified,
        "name": email.split("@")[0].replace(".", " ").title(),
        "groups": list(groups),
        "amr": list(amr),
    }
    return {
        "password": "university password",
        "claims": {**claims, "acr": acr} if acr else claims,
        **extra,
    }


PEOPLE = {
    "ada": person("ada.lovelace@example.ac.uk", groups=["bc-staff"], amr=["pwd", "mfa"]),
    "pat": person("pat.staff@example.ac.uk", groups=["bc-staff"], amr=["pwd"]),
    "vic": person("vic.staff@example.ac.uk", groups=["bc-staff"], acr="urn:example:mfa"),
    "sam": person("sam.student@example.ac.uk", groups=["students"]),
    "una": person("una.unverified@example.ac.uk", verified=False),
    "gus": person("gus@gmail.com"),
    "otto": person("otto.other@example.ac.uk", id_token_audience="another-client"),
}


@dataclass
class RunningProvider:
    url: str


@pytest.fixture(scope="session")
def oidc_provider():
    """The test provider, running: its people above, one client (this site) whose redirect
    addresses are the test client's and any 127.0.0.1 port (RFC 8252 loopback)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with tempfile.TemporaryDirectory(prefix="test-idp-") as directory:
        config = Path(directory) / "config.json"
        config.write_text(
            json.dumps(
                {
                    "database": str(Path(directory) / "idp.sqlite3"),
                    "private_key": key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode(),
                    "people": PEOPLE,
                    "clients": [
                        {
                            "client_id": CLIENT_ID,
                            "client_secret": CLIENT_SECRET,
                            "redirect_uris": [
                                f"http://testserver{CALLBACK_PATH}",
                                f"http://127.0.0.1{CALLBACK_PATH}",
                                f"http://localhost{CALLBACK_PATH}",
                            ],
                        }
                    ],
                }
            )
        )
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")
        }
        with provider_process(
            ["tests.oidc_idp.serve"], {**environment, "TEST_IDP_CONFIG": str(config)}
        ) as port:
            yield RunningProvider(f"http://127.0.0.1:{port}/o")


@contextmanager
def provider_process(arguments: list[str], environment: dict | None = None):
    """Run `python -m <arguments>` from the repository until the block ends; it prints
    "ready <port>" once it serves. Yields the port."""
    process = subprocess.Popen(
        [sys.executable, "-m", *arguments],
        cwd=REPOSITORY,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            pytest.fail(f"the test provider {arguments[0]} did not start ({line})")
        yield line[1]
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_settings(provider: RunningProvider, **policy) -> dict:
    return sign_on_providers_setting(
        [
            {
                "id": PROVIDER_ID,
                "name": PROVIDER_NAME,
                "server_url": provider.url,
                "client_id": CLIENT_ID,
                "secret": CLIENT_SECRET,
                "trusted": True,
                "mfa_amr": ["mfa", "otp", "hwk"],
                **policy,
            }
        ]
    )


@pytest.fixture
def university_sso(settings, oidc_provider):
    """The site signs people in through the test provider, trusting it for
    @example.ac.uk and taking amr "mfa"/"otp"/"hwk" as a second factor. Call the returned
    function with other policy keys to change that."""

    def configure(**policy):
        settings.SOCIALACCOUNT_PROVIDERS = provider_settings(oidc_provider, **policy)

    configure()
    return configure


def sign_in_through(client, username: str, *, password: str | None = None):
    """Press the site's "Sign in with Test University" button in `client`, sign in at the
    provider as `username` (a real HTTP session with the provider), and bring the provider's
    answer back to the site's callback. Returns the site's response to the callback."""
    started = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/")
    assert started.status_code == 302, started.content
    at_provider = requests.Session()
    url = started["Location"]
    for _ in range(10):
        if urlsplit(url).netloc == "testserver":
            parts = urlsplit(url)
            return client.get(f"{parts.path}?{parts.query}")
        answer = at_provider.get(url, allow_redirects=False, timeout=10)
        if answer.status_code == 200 and 'name="password"' in answer.text:
            answer = at_provider.post(
                answer.url,
                data={
                    "username": username,
                    "password": password or PEOPLE[username]["password"],
                    "csrfmiddlewaretoken": at_provider.cookies["idp_csrftoken"],
                    "next": parse_qs(urlsplit(answer.url).query).get("next", [""])[0],
                },
                allow_redirects=False,
                timeout=10,
            )
        assert answer.status_code in (301, 302), (answer.status_code, answer.text[:500])
        url = urljoin(answer.url, answer.headers["Location"])
    raise AssertionError("the sign-in went round in circles")
