"""Bilingual data. Stage names, milestones and aids are rows a company edits, not strings in
the code, so gettext cannot translate them: each such text has an English and a Chinese column,
and readers get the one of the active language (English when the Chinese one is empty)."""

from django.utils.translation import get_language


def localized(obj, field: str) -> str:
    language = (get_language() or "en").lower()
    if language.startswith("zh"):
        text = getattr(obj, f"{field}_zh", "")
        if text:
            return text
    return getattr(obj, f"{field}_en", "")


def localized_property(field: str) -> property:
    """`name = localized_property("name")` reads `name_en` / `name_zh` as the reader needs."""
    return property(lambda self: localized(self, field), doc=f"{field} in the active language")
