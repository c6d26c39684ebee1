from django import template

register = template.Library()


@register.filter
def pct(value, digits=1):
    """A share (0-1) as a percentage; a dash when there is nothing to divide by."""
    if value is None or value == "":
        return "–"
    return f"{100 * float(value):.{int(digits)}f}%"


@register.filter
def standard(value):
    """A national standard: a share, or an ambition range."""
    if isinstance(value, tuple | list):
        return f"{100 * value[0]:.0f}–{100 * value[1]:.0f}% (ambition)"
    if value is None:
        return "–"
    return f"{100 * value:.0f}%"


@register.filter
def meets(value, target):
    """Whether a rate meets a standard (the lower end of a range)."""
    if value is None or target is None:
        return None
    low = target[0] if isinstance(target, tuple | list) else target
    return value >= low


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
