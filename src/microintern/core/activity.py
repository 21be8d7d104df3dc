"""Every activity-log action, registered once with the sentence staff read in the feed.

Code that logs (`core.domain.log_activity`) names an action by its code, such as
"place.offered"; the staff activity feed shows the sentence registered here and never the
code. A test reads the source and fails when a logged code is not registered.

Lifecycles log one code per state, `f"<prefix>.{state}"`: the prefix is registered in
`STATE_CHANGES` with the model whose `state` field it moves (an "app_label.Model" string,
looked up in Django's app registry, so core imports none of the apps). A state code listed
in `ACTIONS` reads as written there; any other state of the family reads as the state's
label, and so does the state it moved from.
"""

from django.apps import apps

ACTIONS: dict[str, str] = {
    # Students and their interests (applications)
    "interest.received": "Said they are interested",
    "interest.repeated": "Said they are interested again (already recorded)",
    "interest.verified": "Showed the email address is theirs and kept the interest",
    "interest.discarded": "Said someone else made this interest in their name (discarded)",
    "interest.ranked": "Ranked their choices",
    "interest.student_number_differs": "Typed a different student number from the record",
    "interest.refused_number_on_record": (
        "Refused: the student number belongs to someone with another email address"
    ),
    "student.created_from_interest": "Student record made from an expression of interest",
    "feedback.received": "Gave feedback on the day",
    "certificate.refused_not_owner": "Refused: tried to open someone else's certificate",
    "hear.verified": "Verified the HEAR section 6.1 entry (activity, role, dates, description)",
    "hear.exported": "Downloaded the HEAR section 6.1 entries for the registry",
    # Places (the state of an interest)
    "place.received": "Interest received",
    "place.waitlisted": "Put on the waiting list",
    "place.not_selected": "Not selected",
    "place.offered": "Offered a place",
    "place.accepted": "Accepted the place",
    "place.declined": "Declined the place",
    "place.expired": "Offer expired without a reply",
    "place.withdrawn": "Withdrawn",
    "place.attended": "Attended",
    "place.no_show": "Did not attend",
    "place.refused_not_owner": "Refused: tried to answer someone else's offer",
    # Hosts' challenges
    "challenge.proposed": "Challenge proposed",
    "challenge.proposal_held": (
        "Challenge offered with a known contact's address: held until the contact confirms"
    ),
    "challenge.proposal_confirmed": "The contact confirmed the challenge offered with their email",
    "challenge.accepted": "Challenge accepted",
    "challenge.declined": "Challenge declined",
    "challenge.scheduled": "Challenge scheduled",
    "challenge.archived": "Challenge archived",
    "briefing.uploaded": "Briefing file uploaded",
    # Micro-internships
    "micro_internship.scheduled": "Micro-internship scheduled",
    "micro_internship.duplicated": "Scheduled as a copy of an earlier micro-internship",
    "micro_internship.updated": "Details changed",
    "micro_internship.team_messaged": "Emailed the team",
    "micro_internship.host_messaged": "Emailed the host",
    "micro_internship.team_exported": "Downloaded the team list",
    "user.role_changed": "Role changed",
    "user.created_by_sign_on": "Account made at a first sign-in with a university account",
    "user.role_from_sign_on": "Role given by their groups at the university's sign-in",
    "sign_on_rule.set": "Set the role a university sign-in group gives",
    "sign_on_rule.removed": "Removed the role a university sign-in group gave",
    "micro_internship.draft": "Back to draft",
    "micro_internship.open": "Opened for interest",
    "micro_internship.closed": "Closed for interest",
    "micro_internship.selection_published": "Selection published",
    "micro_internship.completed": "Completed",
    "micro_internship.evaluated": "Evaluated",
    "micro_internship.cancelled": "Cancelled",
    # Selection rounds
    "selection.round_created": "Selection round created",
    "selection.policy_changed": "Selection rules changed",
    "selection.override_added": "Staff decision added",
    "selection.override_removed": "Staff decision removed",
    "selection.closed": "Interest closed and the participant list sealed",
    "selection.reopened": "Selection round re-opened",
    "selection.dry_run": "Trial run of the selection",
    "selection.publishing": "Publishing the selection",
    "selection.publish_failed": "Publishing the selection failed",
    "selection.published": "Selection published",
    "selection.promoted": "Offered a place from the waiting list",
    "selection.promoted_over_cap": "Waiting-list offer took a team over its programme cap",
    "selection.second_round_created": "Second selection round set up for places left",
    # Outgoing email
    "email.released": "Held email released for sending",
    "email.held": "Email held back by staff before it was sent",
    "email.discarded": "Held email discarded: it will not be sent",
    "email.retried": "Email queued to be sent again",
    "email.failed": "Email could not be delivered",
    "email_template.saved": "Email wording saved",
    "email_template.reset": "Email wording put back to the default",
    # Incoming email
    "inbound.stored": "Email received and stored",
    "inbound.reprocess": "Email processed again",
    "inbound.classified": "Email sorted",
    "inbound.quarantined": "Email quarantined (not opened)",
    "inbound.set_aside": "Email set aside",
    "inbound.restored": "Email taken out of set aside (undone)",
    "inbound.triage": "Email needs a person",
    "inbound.interest_created": "Interest recorded from the email",
    "inbound.interest_updated": "Email added to an interest",
    "inbound.corrected": "Correction written by staff",
    "inbound.linked": "Email linked to a student's interest",
    "inbound.address_suggested": "Asked the student to confirm a personal address",
    "inbound.address_confirmed": "Personal address confirmed",
    "inbound.replied": "Replied to the email",
    # Surveys
    "survey.new_version": "New version of the survey",
    "survey.invited": "Invited to the survey",
    "survey.reminded": "Reminded about the survey",
    # Insights: population, equality data, research
    "population.staged": "Student record file checked",
    "population.applied": "Student record imported",
    "population.feed_failed": "Student record file from the feed not imported (broken)",
    "population.discarded": "Student record file checked but not imported (applying failed)",
    "insights.mapping_saved": "Code mapping for student records saved as a new version",
    "equality.answered": "Equality questions answered",
    "equality.deleted": "Equality answers deleted",
    "research_consent.given": "Consented to research",
    "research_consent.withdrawn": "Withdrew research consent",
    "insights.research_export": "Research data exported",
    "insights.unrounded_view": "Unrounded (restricted) figures viewed or downloaded",
    "research.study_created": "Research study created",
    # The API for the university's other systems
    "api_token.created": "API token made",
    "api_token.revoked": "API token revoked",
    "webhook.subscribed": "Webhook subscription registered",
    "webhook.disabled": "Webhook subscription switched off",
}

STATE_CHANGES: dict[str, str] = {
    "place": "applications.ExpressionOfInterest",
    "challenge": "hosts.Challenge",
    "micro_internship": "programme.MicroInternship",
    "inbound": "inbound.InboundMessage",
}


def _state_label(prefix: str, value: str) -> str:
    """The label of `value` in the state choices of the model `prefix` moves ("" if none)."""
    model_label = STATE_CHANGES.get(prefix)
    if model_label is None or not value:
        return ""
    choices = dict(apps.get_model(model_label)._meta.get_field("state").flatchoices)
    return str(choices.get(value, ""))


def _humanised(code: str) -> str:
    """A readable stand-in for a code nobody registered (the source test prevents that)."""
    return code.replace(".", ": ").replace("_", " ").capitalize()


def describe(code: str) -> str:
    """The sentence staff read for the action `code`."""
    if code in ACTIONS:
        return ACTIONS[code]
    prefix, _, state = code.partition(".")
    return _state_label(prefix, state) or _humanised(code)


def describe_from_state(code: str, value: str) -> str:
    """How the state an action moved from reads in "(was: …)": its label, else the value."""
    label = _state_label(code.partition(".")[0], value) or value.replace("_", " ")
    return label[:1].lower() + label[1:]


def is_registered(code: str) -> bool:
    """Whether `code` reads as a sentence of its own (listed, or a state of a lifecycle)."""
    prefix, _, state = code.partition(".")
    return code in ACTIONS or bool(_state_label(prefix, state))
