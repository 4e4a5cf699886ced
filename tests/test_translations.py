"""The Simplified Chinese catalogue is complete, its committed .mo matches the .po, and Django
actually serves it.

After changing a translatable string: `make messages`, translate the new entries in
locale/zh_Hans/LC_MESSAGES/django.po, run `make messages` again and commit both files.
"""

from pathlib import Path

import polib
import pytest
from django.utils import translation

LC_MESSAGES = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"


def _key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _value(entry):
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
    return entry.msgstr


def _catalogue(entries):
    return {_key(entry): _value(entry) for entry in entries if entry.msgid}


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(PO_PATH))


def _is_empty(entry):
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(entry.msgstr_plural.values())
    return not entry.msgstr


def test_every_entry_is_translated_and_not_fuzzy(po):
    live = [entry for entry in po if not entry.obsolete]
    untranslated = [entry.msgid for entry in live if _is_empty(entry)]
    fuzzy = [entry.msgid for entry in live if entry.fuzzy]
    assert not untranslated, f"untranslated in {PO_PATH}: {untranslated}"
    assert not fuzzy, f"fuzzy in {PO_PATH} (review, then drop the flag): {fuzzy}"
    assert len(po.translated_entries()) == len(live)
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    assert po.metadata.get("Language") == "zh_Hans"
    assert po.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"


def test_compiled_mo_is_up_to_date(po):
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run `make messages`"
    mo = polib.mofile(str(MO_PATH))
    expected = _catalogue(po.translated_entries())
    compiled = _catalogue(mo)
    stale = sorted(
        key[1]
        for key in expected.keys() | compiled.keys()
        if expected.get(key) != compiled.get(key)
    )
    assert not stale, f"{MO_PATH.name} differs from {PO_PATH.name} (run `make messages`): {stale}"
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


def test_django_serves_the_catalogue():
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"
        # Django's admin also translates "Log in"; these strings exist only in our catalogue.
        assert translation.gettext("My sales desk") == "我的销售工作台"
        assert (
            translation.ngettext(
                "Welcome, %(name)s. You lead %(teams)s team.",
                "Welcome, %(name)s. You lead %(teams)s teams.",
                3,
            )
            % {"name": "张伟", "teams": 3}
            == "欢迎，张伟。您负责 3 个团队。"  # noqa: RUF001 (Chinese punctuation)
        )


def test_catalogue_holds_every_string_in_the_code(tmp_path, settings, monkeypatch):
    """A string added to the code or a template without `make messages` would show in English
    to Chinese users: extract the strings afresh and compare with the committed catalogue.

    makemessages writes into the catalogue beside the sources, so it runs in a scratch
    project that links to our sources and holds a copy of the catalogue."""
    import shutil

    from django.core.management import call_command

    project = PO_PATH.parents[3]
    scratch = tmp_path / "project"
    (scratch / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(PO_PATH, scratch / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    for source in ["salesops", "accounts", "opportunities", "resources", "forecasting"]:
        (scratch / source).symlink_to(project / source)
    (scratch / "templates").symlink_to(project / "templates")
    settings.LOCALE_PATHS = [scratch / "locale"]
    monkeypatch.chdir(scratch)
    call_command("makemessages", locale=["zh_Hans"], symlinks=True, no_obsolete=True, verbosity=0)
    fresh = polib.pofile(str(scratch / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {_key(entry) for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete}
    missing = sorted(entry.msgid for entry in fresh if _key(entry) not in committed)
    assert not missing, f"not in {PO_PATH.name} (run `make messages` and translate): {missing}"
