from django import template

from ..choices import Criterion
from ..tiering import describe

register = template.Library()


@register.filter
def explain(item: dict) -> str:
    """A stored tiering explanation line, in the reader's language."""
    return describe(item)


@register.filter
def criterion_label(value: str) -> str:
    return Criterion(value).label if value in Criterion.values else value
