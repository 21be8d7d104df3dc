"""Logging filters of the project (wired in settings.LOGGING), and the request id every
log line of a request carries (set by `core.middleware.RequestIdMiddleware`)."""

import logging
from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("request_id", default="-")


def forget_request_id(**_signal) -> None:
    """On `request_finished`: lines logged after the request no longer carry its id."""
    request_id.set("-")


class WithRequestId(logging.Filter):
    """Give every record the id of the request it was logged in ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class ClientErrorsOnOneLine(logging.Filter):
    """A 4xx response (a page refused or not found) is the visitor's doing, not a fault in
    the service: it is logged as one warning line, e.g. "Forbidden (Permission denied):
    /staff/ (PermissionDenied)", without the traceback Django attaches. 5xx records pass
    unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            error = record.exc_info[0]
            record.msg = f"{record.msg} ({error.__name__})" if error else record.msg
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
