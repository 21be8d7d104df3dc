"""A refused page is one warning line in the log, not a traceback; a fault still is one."""

import logging

import pytest

from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


def test_a_refused_page_is_logged_as_one_warning_line(client, make_user, caplog):
    sign_in(client, make_user("student"))
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/staff/")
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelname == "WARNING"
    assert record.exc_info is None and record.exc_text is None
    line = logging.Formatter().format(record)
    assert line == "Forbidden (Permission denied): /staff/ (PermissionDenied)"


def test_a_server_error_keeps_its_traceback():
    from microintern.core.logging import ClientErrorsOnOneLine

    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/x",),
            (type(error), error, error.__traceback__),
        )
    record.status_code = 500
    assert ClientErrorsOnOneLine().filter(record)
    assert record.levelname == "ERROR" and record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)
