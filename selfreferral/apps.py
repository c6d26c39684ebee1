from django.apps import AppConfig


class SelfReferralConfig(AppConfig):
    """Self-referral (issue 20): the public form a person fills in to refer
    themselves, and the incoming self-referrals staff accept, merge or reject
    before anything enters the clinical record. Above supervision: an urgent
    answer reaches the duty worker as a flag."""

    name = "selfreferral"
    verbose_name = "Self-referral"
