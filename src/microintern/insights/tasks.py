"""Insights periodic jobs: thin, they call the feed (``insights.feed``)."""

from .feed import run_feed_pass


class FeedPassFailed(Exception):
    """Part of a feed pass could not run; raised so the periodic job's run shows it."""


def run_student_record_feed() -> str:
    """Periodic job: one pass of the student-record feed (drop directory, then download).
    Fails (after recording and logging everything) when the drop directory cannot be used
    or the download failed, so the health checks show it; the next run tries again."""
    result = run_feed_pass()
    if result.problems:
        raise FeedPassFailed("; ".join(result.problems))
    return str(result)
