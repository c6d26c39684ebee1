from accounts.models import User
from iapt.demo import load_demo
from reports.selectors import can_export_identifiable


def test_the_demo_manager_may_export_identifiably_and_no_one_else(db):
    load_demo(patients=15)
    assert can_export_identifiable(User.objects.get(username="manager"))
    others = User.objects.exclude(username="manager")
    assert others.exists() and not any(can_export_identifiable(user) for user in others)
