"""Selection tasks: thin, take ids, call selection.domain (enqueued after commit)."""

from django_tasks import task

from . import domain


@task()
def promote_from_waitlist(micro_internship_id: int) -> int:
    """Offer any free places (on it, then on the rest of its round) to the next students
    waiting."""
    return len(domain.promote_waiting_lists(micro_internship_id))


@task()
def release_other_places(interest_id: int) -> int:
    """After an acceptance, free the student's other places in the same round."""
    return len(domain.release_other_places(interest_id))


@task()
def publish_round(round_id: int, dry_run_id: int, actor_id: int | None = None) -> str:
    """Publish a round staff asked to publish (see domain.start_publishing)."""
    return domain.finish_publishing(round_id, dry_run_id=dry_run_id, actor_id=actor_id)
