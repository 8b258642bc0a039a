"""Words shown to people, in English and Danish: statuses and the like."""

from __future__ import annotations

STATUS = {
    "en": {
        "achieved": "achieved",
        "on_track": "on track",
        "at_risk": "at risk",
        "off_track": "off track",
        "missed": "missed",
        "no_data": "no data",
    },
    "da": {
        "achieved": "nået",
        "on_track": "på sporet",
        "at_risk": "i risiko",
        "off_track": "bagud",
        "missed": "ikke nået",
        "no_data": "ingen data",
    },
}


def status(code: str, lang: str) -> str:
    """The status word for ``code`` (``on_track`` -> ``on track`` / ``på sporet``)."""
    return STATUS.get(lang, STATUS["en"])[code]
