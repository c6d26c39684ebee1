"""Creates the first system administrator of a new installation:

    python manage.py create_system_admin alice --email alice@trust.nhs.uk

The password is asked twice on the terminal, or read from the environment
variable SYSTEM_ADMIN_PASSWORD when there is no terminal (a deployment script).
The account has the system administrator role and the admin site, and is not a
Django superuser: it manages users, services, teams and supervision
assignments and opens no patient record. Audited like every other staff change
(the staff changes page shows it)."""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import system_admin_create


class Command(BaseCommand):
    help = "Create a system administrator (not a Django superuser); audited."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True, help="Where password resets and notices are sent")
        parser.add_argument("--no-input", action="store_true", help="Read the password from SYSTEM_ADMIN_PASSWORD")

    def handle(self, *args, username, email, no_input=False, **options):
        password = os.environ.get("SYSTEM_ADMIN_PASSWORD", "") if no_input else ""
        if not password:
            if no_input:
                raise CommandError("Set SYSTEM_ADMIN_PASSWORD, or run without --no-input to type it.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        try:
            user = system_admin_create(username=username, email=email, password=password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"System administrator {user.username} created.")
