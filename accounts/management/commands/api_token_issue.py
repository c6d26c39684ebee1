"""Issues an API token for a user and prints the secret once: it is stored only
as a SHA-256 digest, so it cannot be shown again. Revoke tokens in the admin."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API token for a user (the secret is printed once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="What the token is for")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc
        try:
            token, secret = api_token_issue(user=user, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Token {token.prefix}… issued to {username}; copy it now, it is not shown again:")
        self.stdout.write(secret)
