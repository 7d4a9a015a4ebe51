"""CLDR display names through babel (PyPI), French beside English: territories, languages, scripts, currencies,
months, days, day periods, measurement systems, unit names, and unit patterns filled with 1 and 3 ("3 kilomètres" /
"3 kilometers"). Pairs by the same CLDR key in both locales."""

from typing import Iterator, Mapping

from babel import Locale, UnknownLocaleError

from wordbridge.errors import DataError
from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair

_COUNTS = {"one": "1", "other": "3"}  # the plural form each number takes in both French and English


def _same_keys(fr: Mapping, en: Mapping) -> Iterator[Pair]:
    for key, fr_name in fr.items():
        en_name = en.get(key)
        if isinstance(fr_name, str) and isinstance(en_name, str) and (pair := keep_pair(fr_name, en_name)):
            yield pair


def _calendar(fr: Locale, en: Locale) -> Iterator[Pair]:
    for attr in ("months", "days"):
        for context in ("format", "stand-alone"):
            yield from _same_keys(getattr(fr, attr)[context]["wide"], getattr(en, attr)[context]["wide"])
    yield from _same_keys(fr.day_periods["format"]["wide"], en.day_periods["format"]["wide"])


def _units(fr: Locale, en: Locale) -> Iterator[Pair]:
    fr_names, en_names = fr._data["unit_display_names"], en._data["unit_display_names"]  # no public accessor
    for unit in fr_names:
        if unit in en_names:
            yield from _same_keys({"long": fr_names[unit].get("long")}, {"long": en_names[unit].get("long")})
    fr_patterns, en_patterns = fr._data["unit_patterns"], en._data["unit_patterns"]
    for unit in fr_patterns:
        fr_long, en_long = fr_patterns[unit].get("long") or {}, (en_patterns.get(unit) or {}).get("long") or {}
        for form, number in _COUNTS.items():
            fr_text, en_text = fr_long.get(form), en_long.get(form)
            if isinstance(fr_text, str) and isinstance(en_text, str) and (
                    pair := keep_pair(fr_text.replace("{0}", number), en_text.replace("{0}", number))):
                yield pair


def read_cldr_names(french: str = "fr", english: str = "en") -> Iterator[Pair]:
    """(french, english) display names from babel's CLDR data; DataError for a locale babel does not know."""
    try:
        fr, en = Locale.parse(french), Locale.parse(english)
    except (UnknownLocaleError, ValueError) as exc:
        raise DataError(f"babel has no CLDR locale: {exc}") from None
    for attr in ("territories", "languages", "scripts", "currencies", "measurement_systems"):
        yield from _same_keys(getattr(fr, attr), getattr(en, attr))
    yield from _calendar(fr, en)
    yield from _units(fr, en)
