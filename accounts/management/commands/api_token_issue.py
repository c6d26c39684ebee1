"""Issues an API token for a user and prints the secret once: it is stored only
as a SHA-256 digest, so it cannot be shown again. Revoke tokens in the admin."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a user (the secret is printed once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for")
        parser.add_argument("--days", type=int, default=None, help="The token expires after this many days")

    def handle(self, *args, username, name, days=None, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc
        try:
            if days is not None and days < 1:
                raise CommandError("--days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=days) if days else None
            token, secret = api_token_issue(user=user, name=name, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Token {token.prefix}… issued to {username}; copy it now, it is not shown again:")
        self.stdout.write(secret)
