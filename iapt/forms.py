from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def apply_validation_error(form, exc: ValidationError) -> None:
    """Puts a service's ValidationError onto the form, beside the fields it names,
    so the page shows it and keeps everything typed."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target if field != NON_FIELD_ERRORS else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)
