"""Small pure helpers shared by the models."""


def mask_phone(value):
    """Mask the middle of a phone number: 13812345678 -> 138****5678.

    Keeps the first three and last four digits; shorter numbers keep only
    their last two digits visible. Non-digit characters are dropped from the
    masked form. The stored value is never changed."""
    if not value:
        return False
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 8:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits) or "****"


def mask_email(value):
    """Mask the local part of an e-mail: zhang.wei@example.com -> z***@example.com."""
    if not value:
        return False
    local, sep, domain = value.partition("@")
    if not sep:
        return f"{value[:1]}***"
    return f"{local[:1]}***@{domain}"
