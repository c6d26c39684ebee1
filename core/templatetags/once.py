from django import template
from django.utils.html import format_html

from core.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_token():
    """A fresh one-time token for a form that creates a record (core/once.py)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
