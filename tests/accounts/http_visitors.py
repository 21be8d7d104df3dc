"""Visitors of a real server from distinct loopback addresses (127.0.0.2, 127.0.0.3 …), so
that the server, or nginx in front of it, sees a different client address for each."""

import re

import requests
from requests.adapters import HTTPAdapter

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WAIT = "Too many wrong attempts. Please wait"


class SourceAddressAdapter(HTTPAdapter):
    """Open every connection from `source` (any port)."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Visitor:
    """A browser-like session (cookies, CSRF tokens) whose connections come from `source`."""

    def __init__(self, base_url: str, source: str, timeout: float = 20):
        self.base_url, self.timeout = base_url, timeout
        self.session = requests.Session()
        self.session.mount("http://", SourceAddressAdapter(source))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}", timeout=self.timeout, **kwargs)

    def form_token(self, path: str) -> str:
        """The CSRF token of the form at `path`."""
        return CSRF_TOKEN.search(self.get(path).text).group(1)

    def submit(self, path: str, data: dict, headers: dict | None = None, token: str = ""):
        """POST `data` to the form at `path` (GET first for its CSRF token unless `token` is
        given); redirects are not followed."""
        token = token or self.form_token(path)
        return self.session.post(
            f"{self.base_url}{path}",
            data={"csrfmiddlewaretoken": token, **data},
            headers=headers or {},
            allow_redirects=False,
            timeout=self.timeout,
        )


def outcome(answer: requests.Response) -> str:
    """What a sign-in form answered: "accepted" (a redirect onwards), "wait" (the
    progressive delay: not even checked), "limited" (a request limit) or "refused"."""
    if answer.status_code in {301, 302, 303}:
        return "accepted"
    if answer.status_code == 429 or "Too many" in answer.text and WAIT not in answer.text:
        return "limited"
    if WAIT in answer.text:
        return "wait"
    if "asked for" in answer.text and "in the last hour" in answer.text:
        return "limited"
    return "refused"
