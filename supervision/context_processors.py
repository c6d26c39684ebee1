from .unread import NOTIFIED_ROLES, unread_count


def unread_notifications(request) -> dict:
    """`unread_notifications` for the navigation: the count, read lazily (only a
    page that renders the navigation asks) and from the cache (supervision/unread.py)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "role", None) not in NOTIFIED_ROLES:
        return {}

    class Lazy:
        _value = None

        def __int__(self):
            if self._value is None:
                self._value = unread_count(user)
            return self._value

        def __bool__(self):
            return int(self) > 0

        def __str__(self):
            return str(int(self))

    return {"unread_notifications": Lazy()}
