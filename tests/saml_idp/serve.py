"""A small SAML 2.0 identity provider for the SSO tests (pysaml2), run as its own process:
`python -m tests.saml_idp.serve CONFIG.json`. It serves on a free port of 127.0.0.1,
prints "ready <port>", and signs people in as the config lists them: a sign-in form, then a
signed assertion posted to the service provider, as Shibboleth does. A person marked
`forged` gets an assertion signed with a key the service provider does not trust.

Like Shibboleth it keeps a session of its own (a cookie): a browser signed in here is
answered at once, without the form, until it signs out here ("/slo/start"), which also
sends the service provider a signed LogoutRequest (HTTP-Redirect) and shows what the
service provider's LogoutResponse said. Test-only: never installed, never imported by the
site."""

import html
import json
import secrets
import sys
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
from saml2.server import Server
from saml2.sigver import SIG_RSA_SHA256

SERVERS: dict[str, Server] = {}
CONFIG: dict = {}
# The provider's own sessions: cookie value -> the person signed in and their NameID.
SESSIONS: dict[str, dict] = {}
SESSION_COOKIE = "saml_idp_session"  # the site also runs on 127.0.0.1: a name of its own


def idp_server(base: str, key_file: str, cert_file: str) -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                        "single_logout_service": [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                    "want_authn_requests_signed": False,
                    "policy": {
                        "default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}
                    },
                }
            },
            "key_file": key_file,
            "cert_file": cert_file,
            "metadata": {"inline": [CONFIG["sp_metadata"]]},
            "xmlsec_binary": CONFIG.get("xmlsec_binary", "/usr/bin/xmlsec1"),
        }
    )
    return Server(config=config)


def page(body: str, status: str = "200 OK", headers=()):
    html_page = f"<!doctype html><html lang='en'><body><main>{body}</main></body></html>"
    return status, html_page, list(headers)


def sign_in_form(saml_request: str, relay_state: str, message: str = ""):
    return page(
        "<h1>Test university sign-in (SAML)</h1>"
        + (f"<p>{message}</p>" if message else "")
        + "<form method='post' action='/sso/login'>"
        "<label for='u'>Username</label> <input id='u' name='username'>"
        "<label for='p'>Password</label> <input id='p' name='password' type='password'>"
        f"<input type='hidden' name='SAMLRequest' value='{html.escape(saml_request)}'>"
        f"<input type='hidden' name='RelayState' value='{html.escape(relay_state)}'>"
        "<button type='submit'>Sign in to the university</button></form>"
    )


def signed_response(form: dict, username: str, session: dict | None = None):
    """The signed assertion for `username`, posted back by the browser; a new session here
    unless one is given."""
    idp = SERVERS["idp"]
    request = idp.parse_authn_request(form["SAMLRequest"], BINDING_HTTP_REDIRECT)
    person = CONFIG["people"][username]
    signer = SERVERS["forger" if person.get("forged") else "idp"]
    arguments = idp.response_args(request.message)
    headers = []
    if session is None:
        session = {"username": username, "name_id": secrets.token_hex(16)}
        cookie = secrets.token_urlsafe(16)
        SESSIONS[cookie] = session
        headers.append(("Set-Cookie", f"{SESSION_COOKIE}={cookie}; Path=/; HttpOnly"))
    session["sp"] = request.message.issuer.text.strip()
    response = signer.create_authn_response(
        person["attributes"],
        userid=username,
        name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=session["name_id"]),
        authn={"class_ref": person["authn_context"], "authn_auth": idp.config.entityid},
        sign_assertion=True,
        sign_response=True,
        sign_alg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        digest_alg="http://www.w3.org/2001/04/xmlenc#sha256",
        issuer=idp.config.entityid,
        **arguments,
    )
    posted = idp.apply_binding(
        BINDING_HTTP_POST,
        str(response),
        arguments["destination"],
        form.get("RelayState", ""),
        response=True,
    )
    return "200 OK", posted["data"], headers


def sign_in(form: dict):
    person = CONFIG["people"].get(form.get("username", ""))
    if person is None or person["password"] != form.get("password"):
        return sign_in_form(form["SAMLRequest"], form.get("RelayState", ""), "Wrong password.")
    return signed_response(form, form["username"])


def sign_out_page():
    return page(
        "<h1>Sign out of the test university</h1>"
        "<form method='post' action='/slo/start'>"
        "<button type='submit'>Sign out of the university</button></form>"
    )


def sign_out(session: dict | None):
    """End this provider's session and send the browser to the service provider it signed
    the person in to, with a signed LogoutRequest naming them."""
    expired = [("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0")]
    if not session or "sp" not in session:
        return page("<h1>You are signed out of the university</h1>", headers=expired)
    idp = SERVERS["idp"]
    _binding, destination = idp.pick_binding(
        "single_logout_service", [BINDING_HTTP_REDIRECT], "spsso", entity_id=session["sp"]
    )
    request_id, request = idp.create_logout_request(
        destination,
        session["sp"],
        name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=session["name_id"]),
        sign=False,  # HTTP-Redirect signs the query string, not the XML
    )
    sent = idp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(request),
        destination,
        relay_state="signed-out-at-the-university",
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    location = dict(sent["headers"])["Location"]
    return "303 See Other", "", [("Location", location), *expired]


def signed_out_answer(query: dict):
    """The service provider's LogoutResponse, checked, said in words."""
    try:
        answer = SERVERS["idp"].parse_logout_request_response(
            query["SAMLResponse"], BINDING_HTTP_REDIRECT
        )
    except Exception as error:  # noqa: BLE001 - the test page says what was wrong
        return page(
            f"<h1>The site's sign-out answer was refused</h1><p>{error}</p>", "400 Bad Request"
        )
    status = answer.response.status.status_code.value
    if status.endswith(":Success"):
        return page("<h1>You are signed out of the university and of the site</h1>")
    return page(f"<h1>The site did not sign you out</h1><p>{html.escape(status)}</p>")


def session_of(environ) -> dict | None:
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    morsel = cookie.get(SESSION_COOKIE)
    return SESSIONS.get(morsel.value) if morsel else None


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
    else:
        form = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    session = session_of(environ)
    if path == "/sso/redirect" and session:
        status, body, headers = signed_response(form, session["username"], session)
    elif path == "/sso/redirect":
        status, body, headers = sign_in_form(form["SAMLRequest"], form.get("RelayState", ""))
    elif path == "/sso/login":
        status, body, headers = sign_in(form)
    elif path == "/slo/start" and environ["REQUEST_METHOD"] == "POST":
        status, body, headers = sign_out(session)
        for cookie in [k for k, v in SESSIONS.items() if v is session]:
            del SESSIONS[cookie]
    elif path == "/slo/start":
        status, body, headers = sign_out_page()
    elif path == "/slo/redirect" and "SAMLResponse" in form:
        status, body, headers = signed_out_answer(form)
    else:
        status, body, headers = page("Not here.", "404 Not Found")
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), *headers])
    return [body.encode()]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        sys.stderr.write("saml idp: " + format % args + "\n")


def main() -> None:
    CONFIG.update(json.loads(Path(sys.argv[1]).read_text()))
    server = make_server("127.0.0.1", 0, application, handler_class=QuietHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    SERVERS["idp"] = idp_server(base, CONFIG["key_file"], CONFIG["cert_file"])
    SERVERS["forger"] = idp_server(base, CONFIG["forger_key_file"], CONFIG["forger_cert_file"])
    print("ready", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
