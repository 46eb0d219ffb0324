"""ISO 3166 country codes and names for the profile, read once from the tzdata package's table."""

from functools import cache
from importlib.resources import files


@cache
def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name; tzdata ships the ISO 3166 table, so no list is copied here."""
    table = files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text(encoding="utf-8")
    pairs = [line.split("\t", 1) for line in table.splitlines() if line and not line.startswith("#")]
    return sorted(((code, name.strip()) for code, name in pairs), key=lambda pair: pair[1])


def country_name(code: str) -> str:
    return dict(country_choices()).get(code, code)


# The same list as a value, for drf-spectacular's ENUM_NAME_OVERRIDES (one CountryEnum component).
COUNTRY_CHOICES = country_choices()
