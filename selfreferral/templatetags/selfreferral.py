from django import template

from selfreferral.selectors import waiting_counts

register = template.Library()


@register.inclusion_tag("selfreferral/_waiting.html", takes_context=True)
def self_referrals_waiting(context):
    """The incoming referrals page's pointer to the self-referrals waiting for a
    decision (counts only: one query). Template tags load by name, so the lower
    floor's page (stepped_care) links here without importing this app."""
    return waiting_counts(user=context["request"].user)
