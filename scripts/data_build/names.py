"""Township name stems: how a 2016 unit, a GeoNames place and a seed name are matched to a township."""

from __future__ import annotations

NAME_SUFFIXES = ("街道办事处", "街道办", "办事处", "街道", "镇", "乡")
ETHNIC_QUALIFIERS = ("土家族苗族", "彝族", "羌族", "藏族", "回族")
STEM_ALIASES = {"四川省科学城春雷": "春雷"}  # the 2016 name of that street is 春雷街道办


def name_stem(name: str) -> str:
    """Strip the administrative suffix and an ethnic qualifier, then apply known aliases."""
    for suffix in NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    for qualifier in ETHNIC_QUALIFIERS:
        if name.endswith(qualifier) and len(name) > len(qualifier):
            name = name[: -len(qualifier)]
            break
    return STEM_ALIASES.get(name, name)
