"""Small pure helpers shared by the models."""

import re

EMAIL_LOCAL_PART = re.compile(r"([^\s<>\"',;:]+)@")


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


def mask_emails_in(text):
    """Mask every e-mail address inside ``text`` (a plain address, a
    formatted "Name <address>" or a list): the local part keeps its first
    character. Other text is kept."""
    if not text:
        return text
    return EMAIL_LOCAL_PART.sub(lambda match: f"{match.group(1)[:1]}***@", text)
