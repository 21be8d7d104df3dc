"""Render email templates (staff-edited or file default) and check them strictly.

Email templates are plain text rendered with autoescaping off by a separate template
engine. A staff-edited template may use only: text, {{ placeholders }} from its role's
list (with filters), {% if %} / {% elif %} / {% else %}, {% autoescape %} and comments.

Other languages: a role's wording in Welsh is the file templates/email/cy/<role>.txt (and
its subject file), used for a recipient who reads Welsh; a role without one is sent in
English. Staff edit the English wording only, so far.
"""

from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, VariableNode
from django.template.defaulttags import AutoEscapeControlNode, CommentNode, IfNode

from .enums import EmailRole
from .models import EmailTemplate
from .roles import COMMON, TemplateRole

ALLOWED_NODES = (TextNode, VariableNode, IfNode, AutoEscapeControlNode, CommentNode)
WRAPPER_START = "{% autoescape off %}"
WRAPPER_END = "{% endautoescape %}"


@cache
def engine() -> Engine:
    return Engine(autoescape=False, debug=False, string_if_invalid="")


class UnknownEmailRole(LookupError):
    """Not an EmailRole, or its template files are missing: a programming error, raised
    before anything is stored so that the change asking for the email is rolled back, not
    sent blank. Not a `Refusal`: no person asks for a role by name, so nobody reads it but
    the developer in the server's error log."""


def template_dir() -> Path:
    return Path(settings.BASE_DIR) / "templates" / "email"


def template_files(role: EmailRole | str) -> tuple[Path, Path]:
    """(subject file, body file) of the role's default template."""
    directory = template_dir()
    return directory / f"{role}.subject.txt", directory / f"{role}.txt"


def email_role(role: EmailRole | str) -> EmailRole:
    """The EmailRole for a role or its name (so callers may pass either)."""
    if not EmailRole.known(role):
        subject, body = template_files(role)
        raise UnknownEmailRole(
            f"“{role}” is not an EmailRole: no email template {body.name} and {subject.name}"
        )
    return EmailRole(role)


def default_source(role: EmailRole | str) -> tuple[str, str]:
    """(subject, body) of the role's file template, without the autoescape wrapper."""
    subject, body = template_files(email_role(role))
    return _file_source(subject, body, _modified(subject), _modified(body))


def _modified(path: Path) -> int:
    return path.stat().st_mtime_ns if path.is_file() else 0


@lru_cache(maxsize=256)
def _file_source(subject: Path, body: Path, *_modified: int) -> tuple[str, str]:
    """The files, read again only when they change (their modification times are part of
    the key)."""
    if not (subject.is_file() and body.is_file()):
        raise UnknownEmailRole(f"No email template {body.name} and {subject.name} in {body.parent}")
    return _unwrap(subject.read_text()), _unwrap(body.read_text())


def translated_source(role: EmailRole | str, language: str) -> tuple[str, str] | None:
    """(subject, body) of the role's file template in `language` (templates/email/<language>/),
    without the autoescape wrapper; None when the role has none in that language (or the
    language is the default, whose wording is the role's own)."""
    if not language or language == settings.LANGUAGE_CODE:
        return None
    subject, body = (template_dir() / language / path.name for path in template_files(role))
    if not (subject.is_file() and body.is_file()):
        return None
    return _file_source(subject, body, _modified(subject), _modified(body))


def current_source(role: EmailRole | str, language: str = "") -> tuple[str, str, bool]:
    """(subject, body, is_edited): in `language` when the role has wording in it, else the
    staff-edited version if any, else the default."""
    role = email_role(role)
    translated = translated_source(role, language)
    if translated is not None:
        return (*translated, False)
    edited = EmailTemplate.objects.filter(role=role.value).values_list("subject", "body")[:1]
    for subject, body in edited:  # at most one row: the role is unique
        return subject, body, True
    return (*default_source(role), False)


def render_source(subject: str, body: str, context: dict) -> tuple[str, str]:
    """Render subject (one line) and body with `context`."""
    ctx = Context(context, autoescape=False)
    rendered_subject = _compiled(subject).render(ctx)
    rendered_body = _compiled(body).render(Context(context, autoescape=False))
    return " ".join(rendered_subject.split()), rendered_body.strip() + "\n"


@lru_cache(maxsize=512)
def _compiled(source: str):
    """A template compiled once per distinct source text (edited wording is new text)."""
    return engine().from_string(source)


def render_role(role: EmailRole | str, context: dict, language: str = "") -> tuple[str, str]:
    """(subject, body) of the role's current wording in `language` (see `current_source`)
    rendered with `context`."""
    subject, body, _edited = current_source(role, language)
    return render_source(subject, body, {**common_context(), **context})


def common_context() -> dict:
    return {
        "site_name": settings.MICROINTERN["SITE_NAME"],
        "site_url": settings.MICROINTERN.get("BASE_URL", "http://127.0.0.1:8000"),
    }


def check_source(role: TemplateRole, subject: str, body: str) -> list[str]:
    """Reasons the template cannot be saved (empty list: it is fine)."""
    problems = []
    allowed = set(role.allowed()) | set(COMMON)
    for part, source in (("Subject", subject), ("Body", body)):
        if not source.strip():
            problems.append(f"{part}: it cannot be empty.")
            continue
        try:
            nodelist = engine().from_string(source).nodelist
        except TemplateSyntaxError as error:
            reason = str(error)
            if "is not a registered tag library" in reason:
                reason = "the {% load %} tag cannot be used in email templates."
            problems.append(f"{part}: {reason}")
            continue
        for problem in _walk(nodelist, allowed):
            problems.append(f"{part}: {problem}")
    return problems


def placeholders_in(source: str) -> set[str]:
    """Every placeholder path a template uses (syntax errors give an empty set)."""
    try:
        nodelist = engine().from_string(source).nodelist
    except TemplateSyntaxError:
        return set()
    found: set[str] = set()
    for node in _nodes(nodelist):
        for expression in _expressions(node):
            found |= _paths(expression)
    return found


def _walk(nodelist, allowed: set[str]) -> list[str]:
    problems = []
    for node in _nodes(nodelist):
        if not isinstance(node, ALLOWED_NODES):
            tag = node.token.contents.split()[0] if getattr(node, "token", None) else "?"
            problems.append(f"the {{% {tag} %}} tag cannot be used in email templates.")
            continue
        for expression in _expressions(node):
            for path in sorted(_paths(expression) - allowed):
                problems.append(
                    f"{{{{ {path} }}}} is not a placeholder this email can use. "
                    "See the list of placeholders."
                )
    return problems


def _nodes(nodelist):
    for node in nodelist:
        yield node
        if isinstance(node, IfNode):
            for _condition, child in node.conditions_nodelists:
                yield from _nodes(child)
        else:
            for attr in getattr(node, "child_nodelists", ()):
                yield from _nodes(getattr(node, attr, None) or [])


def _expressions(node: Node):
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _condition_expressions(condition)


def _condition_expressions(condition):
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if isinstance(value, FilterExpression):
        yield value
    for side in ("first", "second"):
        child = getattr(condition, side, None)
        if child is not None:
            yield from _condition_expressions(child)


def _paths(expression: FilterExpression) -> set[str]:
    found = set()
    variables = [expression.var] + [
        arg for _func, args in expression.filters for is_lookup, arg in args if is_lookup
    ]
    for variable in variables:
        lookups = getattr(variable, "lookups", None)
        if lookups:
            found.add(".".join(lookups))
    return found


def _unwrap(source: str) -> str:
    text = source.strip()
    if text.startswith(WRAPPER_START) and text.endswith(WRAPPER_END):
        text = text[len(WRAPPER_START) : -len(WRAPPER_END)]
    return text.strip("\n") + "\n" if text.strip() else ""
