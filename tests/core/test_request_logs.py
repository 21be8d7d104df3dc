"""Every log line of a request carries the request's id, which the response also gives;
LOG_FORMAT=json writes one JSON object a line."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.test import override_settings

from microintern.core.logging import WithRequestId

pytestmark = pytest.mark.django_db


def test_the_response_says_its_request_id_and_the_logs_carry_it(client, caplog):
    caplog.handler.addFilter(WithRequestId())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/staff/")  # refused: one warning line
        missing = client.get("/no-such-page/")
    ids = {response["X-Request-ID"], missing["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    logged = {r.request_id for r in caplog.records if r.name == "django.request"}
    assert missing["X-Request-ID"] in logged


def test_an_id_from_our_proxy_is_kept_one_from_a_visitor_is_not(client):
    given = "req-7f3a9c21b4"
    assert client.get("/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] != given  # no proxy
    with override_settings(MICROINTERN_TRUSTED_PROXY_COUNT=1):
        assert client.get("/", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given
        odd = client.get("/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
        assert odd != "<script>" and len(odd) == 32


def test_log_format_json_writes_one_json_object_a_line():
    probe = (
        "import django, logging; django.setup(); "
        "logging.getLogger('microintern.probe').warning('Outbox backlog is %s', 3)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "microintern.settings", "LOG_FORMAT": "json"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "microintern.probe"
    assert line["message"] == "Outbox backlog is 3" and line["request_id"] == "-"
    assert "time" in line


def test_an_unknown_log_format_is_refused_at_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "microintern.settings", "LOG_FORMAT": "xml"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "LOG_FORMAT must be plain or json, not 'xml'." in done.stderr
