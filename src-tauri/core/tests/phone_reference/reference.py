"""Google's libphonenumber, in its Python port (`phonenumbers`, the same metadata as Relay's
reader), reading what `tests/phone_reference.rs` gives it: one JSON object per line on stdin
({"input": "...", "region": "FR" | null}), one answer per line on stdout, in the same order.

An answer says what libphonenumber reads — the number in E.164, whether it is valid, its type and
extension, or why it is not a number — and how many letters the input holds outside the
extension libphonenumber strips (Relay refuses those: a letter is a typo, never a keypad digit).
"""
import json
import sys

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult
from phonenumbers import phonenumberutil as pnu

TYPES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.UNKNOWN: "unknown",
}
PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
POSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid_length",
    ValidationResult.IS_POSSIBLE: "invalid",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "invalid",
}


def is_letter(ch):
    # The Japanese prolonged sound mark is punctuation to libphonenumber.
    return ch.isalpha() and ch != "\u30fc"


def letters_outside_extension(text):
    """Letters of `text` that are not in the extension libphonenumber strips (nor the `tel:` of
    an RFC 3966 URI of a global number, `tel:+…`)."""
    try:
        national = pnu._build_national_number_for_parsing(text)
    except NumberParseException:
        national = text
    ext, main = pnu._maybe_strip_extension(national)
    suffix = national[len(main):] if ext else ""
    outside = sum(map(is_letter, text)) - sum(map(is_letter, suffix))
    if text.startswith("tel:+"):
        outside -= 3
    return outside


def answer(text, region):
    out = {"letters": letters_outside_extension(text)}
    try:
        n = phonenumbers.parse(text, region)
    except NumberParseException as e:
        out["problem"] = PARSE_ERRORS[e.error_type]
        return out
    if phonenumbers.is_valid_number(n):
        out["e164"] = phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        out["kind"] = TYPES[phonenumbers.number_type(n)]
        out["extension"] = n.extension or None
    else:
        out["problem"] = POSSIBLE[phonenumbers.is_possible_number_with_reason(n)]
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        print(phonenumbers.__version__)
        return
    for line in sys.stdin:
        q = json.loads(line)
        print(json.dumps(answer(q["input"], q["region"]), ensure_ascii=False))


main()
