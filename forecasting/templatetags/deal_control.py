"""Number formats of the deal-control pages: rates stored as fractions (0.6667) and
percentages already multiplied (66.7) both shown as "66.7 %", "—" when there is no figure."""

from decimal import Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()
NONE = "—"


@register.filter
def percent(value, digits=1):
    """A percentage figure (66.7) as "66.7 %"."""
    if value is None or value == "":
        return NONE
    return f"{floatformat(value, digits)} %"


@register.filter
def fraction_percent(value, digits=1):
    """A rate kept as a fraction (0.6667) as "66.7 %"."""
    if value is None or value == "":
        return NONE
    try:
        return percent(Decimal(str(value)) * 100, digits)
    except InvalidOperation:
        return NONE
