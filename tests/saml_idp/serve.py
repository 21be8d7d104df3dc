"""A small SAML 2.0 identity provider for the SSO tests (pysaml2), run as its own process:
`python -m tests.saml_idp.serve CONFIG.json`. It serves on a free port of 127.0.0.1,
prints "ready <port>", and signs people in as the config lists them: a sign-in form, then a
signed assertion posted to the service provider, as Shibboleth does. A person marked
`forged` gets an assertion signed with a key the service provider does not trust.
Test-only: never installed, never imported by the site."""

import html
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT
from saml2.server import Server

SERVERS: dict[str, Server] = {}
CONFIG: dict = {}


def idp_server(base: str, key_file: str, cert_file: str) -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]
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


def page(body: str, status: str = "200 OK"):
    return status, f"<!doctype html><html lang='en'><body><main>{body}</main></body></html>"


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


def signed_response(form: dict, binding: str):
    idp = SERVERS["idp"]
    request = idp.parse_authn_request(form["SAMLRequest"], binding)
    person = CONFIG["people"].get(form.get("username", ""))
    if person is None or person["password"] != form.get("password"):
        return sign_in_form(form["SAMLRequest"], form.get("RelayState", ""), "Wrong password.")
    signer = SERVERS["forger" if person.get("forged") else "idp"]
    arguments = idp.response_args(request.message)
    response = signer.create_authn_response(
        person["attributes"],
        userid=form["username"],
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
    return "200 OK", posted["data"]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if environ["REQUEST_METHOD"] == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
    else:
        form = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/sso/redirect":
        status, body = sign_in_form(form["SAMLRequest"], form.get("RelayState", ""))
    elif path == "/sso/login":
        status, body = signed_response(form, BINDING_HTTP_REDIRECT)
    else:
        status, body = page("Not here.", "404 Not Found")
    start_response(status, [("Content-Type", "text/html; charset=utf-8")])
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
