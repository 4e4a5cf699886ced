"""Form helpers shared by every app's pages."""

from django import forms

WIDGET_CLASSES = {
    forms.CheckboxInput: "form-check-input",
    forms.Select: "form-select",
    forms.SelectMultiple: "form-select",
    forms.RadioSelect: "",
    forms.CheckboxSelectMultiple: "",
    forms.HiddenInput: "",
}


class BootstrapFormMixin:
    """Give every widget the Bootstrap 5 class it needs, and mark fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = next(
                (css for kind, css in WIDGET_CLASSES.items() if isinstance(field.widget, kind)),
                "form-control",
            )
            if css:
                field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def without_blanks(query):
    """A copy of a QueryDict without empty parameters: an "all" choice in a filter form sends
    `tier=`, which a filter would read as an invalid choice."""
    cleaned = query.copy()
    for key in list(cleaned):
        values = [value for value in cleaned.getlist(key) if value != ""]
        if values:
            cleaned.setlist(key, values)
        else:
            del cleaned[key]
    return cleaned
