"""Words beside national codes in templates (issue 15: a person reads the words)."""

from django import template

from patients.codes import EndCode

register = template.Library()
_END_CODES = dict(EndCode.choices)


@register.filter
def end_code_label(code: str) -> str:
    """ "46" -> "46 Mutually agreed completion of treatment" (the code list's label); unknown codes as they are."""
    return _END_CODES.get(code, code)
