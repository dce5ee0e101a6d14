"""Template side of rankings.numbers: ``{% load numbers %}``, then ``{{ value|pct }}``,
``{% score value interval n %}``, ``{% difference value interval %}``."""

from django import template
from django.utils.safestring import mark_safe

from rankings import numbers

register = template.Library()


@register.filter
def pct(value) -> str:
    return numbers.percent(value)


@register.filter
def pp(value) -> str:
    return numbers.points(value)


@register.simple_tag
def score(value, interval=None, n=None):
    return mark_safe(numbers.score_html(value, interval, n))


@register.simple_tag
def difference(value, interval=None):
    return mark_safe(numbers.difference_html(value, interval))
