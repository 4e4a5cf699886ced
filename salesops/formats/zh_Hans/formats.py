"""Simplified Chinese formats: Django's, except that amounts are grouped by thousands with a
comma (8,590,000), as Chinese finance and sales documents write them."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
