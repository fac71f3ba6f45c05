"""The one IBAN/BIC check for every edge that takes a bank account (schwifty underneath).

ISAM crediteuren, Kredietbank aanmeldingen and betalingen, UBL ``PaymentMeans`` (BT-84) and
the financial connector's payees and debtor all call these, so an account is judged the same
way wherever it enters the hub::

    iban("NL91 abna 0417 1643 00", field="crediteur.iban")   # -> "NL91ABNA0417164300"
    iban("NL00ABNA0417164300", field="crediteur.iban")       # InvalidAccount: check digits
    in_sepa_zone("TR330006100519786457841326")               # -> False
    bic("ABNANL2A", field="HUB_FIN_DEBTOR_BIC")              # -> "ABNANL2A"

A refusal is ``hub.errors.InvalidAccount`` (an ``InvalidField``) naming the field and the
reason (length, structure, country, check digits), never the account itself.
"""

from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
    SchwiftyException,
)

from hub.errors import InvalidAccount

_REASONS: tuple[tuple[type[SchwiftyException], str], ...] = (
    (InvalidChecksumDigits, "check digits are wrong (ISO 13616 mod 97)"),
    (InvalidCountryCode, "unknown country code"),
    (InvalidLength, "wrong length"),
    (InvalidStructure, "wrong structure"),
)


def _reason(exc: SchwiftyException, what: str) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return f"not a valid {what}: {reason}"
    return f"not a valid {what}"


def iban(value: str, *, field: str) -> str:
    """``value`` as a compact IBAN (no spaces, upper case); ``InvalidAccount`` otherwise."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as exc:
        raise InvalidAccount(field, _reason(exc, "IBAN")) from None
    except (TypeError, ValueError):
        raise InvalidAccount(field, "not a valid IBAN") from None


def is_iban(value: str) -> bool:
    """True when ``value`` passes :func:`iban`."""
    try:
        iban(value, field="iban")
    except InvalidAccount:
        return False
    return True


def in_sepa_zone(value: str) -> bool:
    """True when the (valid) IBAN belongs to a country of the SEPA schemes."""
    return bool(IBAN(iban(value, field="iban")).in_sepa_zone)


def sepa_iban(value: str, *, field: str) -> str:
    """A compact IBAN of the SEPA zone; ``InvalidAccount`` for any other account."""
    compact = iban(value, field=field)
    if not in_sepa_zone(compact):
        raise InvalidAccount(field, "IBAN of a country outside the SEPA zone")
    return compact


def bic(value: str, *, field: str) -> str:
    """``value`` as a compact BIC (8 or 11 characters, known country); ``InvalidAccount``."""
    try:
        return str(BIC(value).compact)
    except SchwiftyException as exc:
        raise InvalidAccount(field, _reason(exc, "BIC")) from None
    except (TypeError, ValueError):
        raise InvalidAccount(field, "not a valid BIC") from None
