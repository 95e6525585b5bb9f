"""Redaction of residents' phone and ID numbers, for every echo and log line."""

from __future__ import annotations

import re

# Mainland mobile numbers (optionally +86 / 86 prefixed, spaced or dashed), landlines with area codes,
# and 18-character resident ID numbers.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")


def redact(text: str) -> str:
    """Replace phone and ID numbers with masks, keeping the last four digits of phones for recognition."""
    text = _ID_NUMBER.sub("[身份证号已隐藏]", text)
    text = _MOBILE.sub(lambda m: "1**-****-" + re.sub(r"\D", "", m.group())[-4:], text)
    return _LANDLINE.sub("[电话已隐藏]", text)
