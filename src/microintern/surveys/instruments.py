"""The seeded instruments (installed by migration 0002, and by `seed_instruments`).

Career adaptability: the 12-item Career Adapt-Abilities Scale – Short Form (CAAS-SF;
Maggiori, Rossier & Savickas 2017, J. Career Assessment 25(2)), three items per subscale
(concern, control, curiosity, confidence), answered "How strongly have you developed this
ability?" from 1 "Not strong" to 5 "Strongest". Check the wording against the published
form (and its licence terms) before collecting data: what has and has not been verified is
in docs/research.md ("Known gaps").

Self-efficacy: eight "How confident are you that you could …" items from the issue, 1–5.
After the day, a retrospective "Before today, how confident were you …" version of the same
eight items (the retrospective pre-test), three open questions, and, 8–12 weeks later, a
short follow-up. Host survey: value of the recommendations (1–5), staff hours, likelihood of
hosting again (0–10), how they now rate what students can offer compared with before (1–5,
neutral wording; it replaced a leading agree/disagree item about under-represented groups),
comments. Each item records the source of its wording (``Item.source``); the CAAS-SF items
are shown under their stem (``Item.stem``).
"""

from __future__ import annotations

CAAS_ANCHORS = ["Not strong", "Somewhat strong", "Strong", "Very strong", "Strongest"]
CONFIDENCE_ANCHORS = [
    "Not at all confident",
    "Slightly confident",
    "Moderately confident",
    "Very confident",
    "Completely confident",
]
AGREE_ANCHORS = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]

CAAS_ITEMS = [
    ("concern", "Thinking about what my future will be like"),
    ("concern", "Preparing for the future"),
    ("concern", "Becoming aware of the educational and vocational choices that I must make"),
    ("control", "Making decisions by myself"),
    ("control", "Taking responsibility for my actions"),
    ("control", "Counting on myself"),
    ("curiosity", "Looking for opportunities to grow as a person"),
    ("curiosity", "Investigating options before making a choice"),
    ("curiosity", "Observing different ways of doing things"),
    ("confidence", "Taking care to do things well"),
    ("confidence", "Learning new skills"),
    ("confidence", "Working up to my ability"),
]
CONFIDENCE_ITEMS = [
    ("teamwork", "work well in a team with people you have just met"),
    ("client", "explain your work to a client"),
    ("problem", "solve an unfamiliar problem under time pressure"),
    ("skills", "describe your skills to an employer"),
    ("backgrounds", "work with people from backgrounds different from your own"),
    ("leading", "lead part of a task"),
    ("professional", "act professionally in a workplace"),
    ("digital", "use workplace digital tools"),
]
OPEN_ITEMS = [
    ("open_learned", "What is the most useful thing you learned today?"),
    ("open_surprised", "What surprised you about working with the host?"),
    ("open_improve", "What one thing would have made the day better for you?"),
]

SCALES = {
    "caas": "Career adaptability (CAAS-SF, all 12 items)",
    "caas_concern": "CAAS-SF: concern",
    "caas_control": "CAAS-SF: control",
    "caas_curiosity": "CAAS-SF: curiosity",
    "caas_confidence": "CAAS-SF: confidence",
    "self_efficacy": "Confidence in workplace skills (8 items)",
}


CAAS_STEM = "How strongly have you developed each of the following abilities?"
CAAS_SOURCE = (
    "CAAS-SF (Maggiori, Rossier & Savickas 2017, J. Career Assessment 25(2)): items, stem "
    "and anchors as in public reproductions of the CAAS International Form 2.0; to be "
    "checked against the publication"
)
OWN_SOURCE = "Written for this programme (not a validated instrument)"


def _scale(code, scale, text, anchors, timing="now", stem="", source=OWN_SOURCE):
    return {
        "code": code,
        "scale": scale,
        "stem": stem,
        "source": source,
        "text": text,
        "response_type": "scale",
        "minimum": 1,
        "maximum": 5,
        "anchors": anchors,
        "timing": timing,
    }


def _caas():
    return [
        _scale(
            f"caas_{sub}_{i % 3 + 1}",
            f"caas_{sub}",
            text,
            CAAS_ANCHORS,
            stem=CAAS_STEM,
            source=CAAS_SOURCE,
        )
        for i, (sub, text) in enumerate(CAAS_ITEMS)
    ]


def _confidence(timing="now"):
    prefix = (
        "Before today, how confident were you that you could"
        if timing == "before"
        else ("How confident are you that you could")
    )
    code = "retro_conf" if timing == "before" else "conf"
    return [
        _scale(f"{code}_{key}", "self_efficacy", f"{prefix} {text}?", CONFIDENCE_ANCHORS, timing)
        for key, text in CONFIDENCE_ITEMS
    ]


def _open():
    return [
        {"code": code, "scale": "", "text": text, "response_type": "text", "timing": "now"}
        for code, text in OPEN_ITEMS
    ]


INSTRUMENTS = [
    {
        "slug": "student-pre",
        "title": "Before your micro-internship",
        "kind": "student_pre",
        "anonymous": False,
        "introduction": "About 3 minutes. There are no right answers; your answers do not "
        "affect your place.",
        "items": [*_caas(), *_confidence()],
    },
    {
        "slug": "student-post",
        "title": "After your micro-internship",
        "kind": "student_post",
        "anonymous": False,
        "introduction": "About 5 minutes. Tell us how you see things now, and how you saw "
        "them before today.",
        "items": [*_caas(), *_confidence(), *_confidence("before"), *_open()],
    },
    {
        "slug": "student-follow-up",
        "title": "Three months on",
        "kind": "follow_up",
        "anonymous": False,
        "introduction": "Four quick questions about what you have done since.",
        "items": [
            {
                "code": "applied",
                "text": "Since the micro-internship, have you applied for a "
                "placement, internship or job?",
                "response_type": "yes_no",
            },
            {
                "code": "secured",
                "text": "Have you secured a placement, internship or job?",
                "response_type": "yes_no",
            },
            {
                "code": "helped",
                "scale": "",
                "text": "The micro-internship helped me take these steps.",
                "response_type": "scale",
                "minimum": 1,
                "maximum": 5,
                "anchors": AGREE_ANCHORS,
            },
            {
                "code": "open_since",
                "text": "Anything else you would like to tell us?",
                "response_type": "text",
            },
        ],
    },
    {
        "slug": "host",
        "title": "Your micro-internship as a host",
        "kind": "host",
        "anonymous": False,
        "introduction": "About 2 minutes. Your answers help us improve the programme.",
        "items": [
            {
                "code": "host_value",
                "text": "How valuable were the team's recommendations?",
                "response_type": "scale",
                "minimum": 1,
                "maximum": 5,
                "anchors": ["Not valuable", "Slightly", "Moderately", "Very", "Extremely valuable"],
            },
            {
                "code": "host_hours",
                "text": "About how many staff hours did your organisation "
                "give (preparation and the day)?",
                "response_type": "number",
                "minimum": 0,
                "maximum": 500,
            },
            {
                "code": "host_again",
                "text": "How likely are you to host another micro-internship?",
                "response_type": "scale",
                "minimum": 0,
                "maximum": 10,
                "anchors": ["Not at all likely", *[""] * 9, "Extremely likely"],
            },
            {
                "code": "host_students_view",
                "text": "Compared with before the day, how do you now rate what students "
                "can offer your organisation?",
                "response_type": "scale",
                "minimum": 1,
                "maximum": 5,
                "anchors": [
                    "Much lower",
                    "A little lower",
                    "About the same",
                    "A little higher",
                    "Much higher",
                ],
                "source": OWN_SOURCE + "; neutral two-way wording with balanced anchors, "
                "replacing the leading agree/disagree item host_view",
            },
            {"code": "host_comments", "text": "Any other comments?", "response_type": "text"},
            {
                "code": "host_quote_ok",
                "text": "May we quote your comments in our reports, "
                "without your name or your organisation's name?",
                "response_type": "yes_no",
            },
        ],
    },
]


def install(Instrument, InstrumentVersion, Item) -> int:
    """Create any missing seeded instrument with version 1 (idempotent; works in migrations)."""
    created = 0
    for spec in INSTRUMENTS:
        instrument, new = Instrument.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "kind": spec["kind"],
                "anonymous": spec["anonymous"],
                "introduction": spec["introduction"],
            },
        )
        if not new:
            continue
        version = InstrumentVersion.objects.create(instrument=instrument, number=1, note="Seeded")
        _add_items(Item, version, spec["items"])
        created += 1
    return created


def _add_items(Item, version, items) -> None:
    """The items of ``version`` (``stem`` and ``source`` where the model has them: early
    migrations run this with the model as it was)."""
    has = {f.name for f in Item._meta.get_fields()}
    Item.objects.bulk_create(
        Item(
            version=version,
            position=position,
            code=item["code"],
            scale=item.get("scale", ""),
            timing=item.get("timing", "now"),
            text=item["text"],
            response_type=item["response_type"],
            minimum=item.get("minimum"),
            maximum=item.get("maximum"),
            anchors=item.get("anchors", []),
            required=False,
            **{
                f: item.get(f, OWN_SOURCE if f == "source" else "")
                for f in ("stem", "source")
                if f in has
            },
        )
        for position, item in enumerate(items, start=1)
    )


def upgrade(Instrument, InstrumentVersion, Item) -> int:
    """Give each seeded instrument whose current version differs from the wording here
    (stems, sources, the neutral host item) a new version with it; earlier answers keep
    theirs. Returns how many versions were added."""
    added = 0
    for spec in INSTRUMENTS:
        instrument = Instrument.objects.filter(slug=spec["slug"]).first()
        if instrument is None:
            continue
        current = (
            InstrumentVersion.objects.filter(instrument=instrument).order_by("-number").first()
        )
        have = [
            (i.code, i.text, i.stem, i.source)
            for i in Item.objects.filter(version=current).order_by("position")
        ]
        want = [
            (i["code"], i["text"], i.get("stem", ""), i.get("source", OWN_SOURCE))
            for i in spec["items"]
        ]
        if have == want:
            continue
        version = InstrumentVersion.objects.create(
            instrument=instrument,
            number=current.number + 1,
            note="Question stems and wording sources; neutral host item",
        )
        _add_items(Item, version, spec["items"])
        added += 1
    return added
