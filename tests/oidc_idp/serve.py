"""Start the test OpenID Connect provider: `python -m tests.oidc_idp.serve` with
TEST_IDP_CONFIG naming its config file. Makes its database, its people and its clients,
serves on a free port of 127.0.0.1 and prints "ready <port>" until stopped."""

import os
import sys

import django


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_idp.settings"
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    from tests.oidc_idp.settings import CONFIG

    call_command("migrate", verbosity=0)
    for username, person in CONFIG["people"].items():
        user = User.objects.create(username=username)
        user.set_password(person["password"])
        user.save()
    for client in CONFIG["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            hash_client_secret=False,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):
            sys.stderr.write("idp: " + format % args + "\n")

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(get_wsgi_application())
    print("ready", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
