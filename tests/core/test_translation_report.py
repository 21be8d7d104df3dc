"""The translation report counts what a translator would: translated, untranslated and
fuzzy strings, and lists the templates nobody has marked yet."""

from io import StringIO

from django.core.management import call_command

from microintern.core.translations import has_unmarked_text, po_entries

PO = r"""msgid ""
msgstr ""
"Language: cy\n"
"Plural-Forms: nplurals=4; plural=(n==1) ? 0 : (n==2) ? 1 : (n != 8 && n != 11) ? 2 : 3;\n"

msgid "Send"
msgstr "Anfon"

msgid "A long one "
"on two lines"
msgstr ""
"Un hir "
"ar ddwy linell"

msgid "Not yet"
msgstr ""

#, fuzzy
msgid "Show"
msgstr "Dangos?"

msgid "%(n)s student"
msgid_plural "%(n)s students"
msgstr[0] "%(n)s myfyriwr"
msgstr[1] "%(n)s fyfyriwr"
msgstr[2] ""
msgstr[3] ""
"""


def report() -> str:
    out = StringIO()
    call_command("translation_report", stdout=out)
    return out.getvalue()


def test_it_counts_translated_untranslated_and_fuzzy_strings(settings, tmp_path):
    catalogue = tmp_path / "cy" / "LC_MESSAGES"
    catalogue.mkdir(parents=True)
    (catalogue / "django.po").write_text(PO, encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    text = report()
    assert (
        f"Catalogue cy ({catalogue / 'django.po'}): "
        "5 strings, 2 translated, 2 untranslated, 1 fuzzy." in text
    )
    assert "untranslated (shown in English): 'Not yet'" in text
    assert "untranslated (shown in English): '%(n)s student'" in text
    assert "fuzzy (shown in English until checked): 'Show'" in text


def test_the_project_report_says_honestly_what_is_not_done_yet():
    text = report()
    assert "Catalogue cy (locale/cy/LC_MESSAGES/django.po)" in text
    assert "Emails in cy: " in text and "sent in English: " in text
    unmarked = text.split("nothing marked for translation")[1]
    assert "programme/templates/programme/public/_list.html" not in unmarked  # done
    assert "applications/templates/applications/student/interest_form.html" not in unmarked
    for done in ("host/propose.html", "host/home.html", "host/micro_internship.html"):
        assert f"hosts/templates/hosts/{done}" not in unmarked
    assert "hosts/templates/hosts/challenge_detail.html" not in unmarked
    assert "hosts/templates/hosts/staff/pipeline.html" in unmarked  # staff pages: not done yet
    emails = text.split("Emails in cy: ")[1].split("\n")[0]
    assert "challenge_received" not in emails.split("sent in English: ")[1]  # host emails: done


def test_a_template_counts_as_unmarked_only_if_it_shows_words_and_marks_none():
    assert has_unmarked_text("<h1>Page not found</h1>")
    assert not has_unmarked_text('{% load i18n %}<h1>{% translate "Page not found" %}</h1>')
    assert not has_unmarked_text(
        "{% extends 'base.html' %}{% block content %}{{ content }}{% endblock %}"
    )
    assert not has_unmarked_text('<a href="{% url "home" %}" class="button"></a>')


def test_an_entry_with_a_context_is_read_under_the_key_the_compiled_file_uses(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: cy\\n"\n\n'
        'msgctxt "there is"\nmsgid "Yes"\nmsgstr "Oes"\n\nmsgid "Yes"\nmsgstr ""\n',
        encoding="utf-8",
    )
    entries = {msgid: strings for msgid, _plural, strings, _fuzzy in po_entries(po)}
    assert entries["there is\x04Yes"] == ["Oes"]
    assert entries["Yes"] == [""]  # the same words without the context: another entry
