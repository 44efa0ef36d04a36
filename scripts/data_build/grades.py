"""Base-year grade of each facility: the grade a plan states for it, else the default of its level.

A plan states a current grade in three places: Mianyang's 专栏4—2 (2020 column, 002 L1475–L1501),
Xiushan's 13th-plan review (县人民医院、县中医医院、县妇幼保健院 are 二甲, 004 L147) and Lu's review
(its MCH institution is 二级乙等, 003 L127). They are entered in ``specs/base_grades.csv``. Every other
facility gets the default of its level (``DEFAULT_GRADES``); a specialty hospital whose name says 精神 is
psychiatric, one whose name says 肿瘤 an oncology hospital.
"""

from __future__ import annotations

from data_build.config import DEFAULT_GRADES
from data_build.stock_specs import StatedGrade

PSYCHIATRIC_MARK = "精神"
ONCOLOGY_MARK = "肿瘤"
DEFAULT_SOURCE = "rule: default for level"


def base_grade(county_code: str, name: str, level: str, stated: dict[tuple[str, str], StatedGrade]) -> tuple[str, str]:
    """(grade, source) of one facility."""
    grade = stated.get((county_code, name))
    if grade is not None:
        return grade.grade, str(grade.citation)
    if level == "specialty_hospital" and PSYCHIATRIC_MARK in name:
        return "psychiatric_tier2", f"{DEFAULT_SOURCE} (specialty hospital named {PSYCHIATRIC_MARK})"
    if level == "specialty_hospital" and ONCOLOGY_MARK in name:
        return "oncology_tier2", f"{DEFAULT_SOURCE} (specialty hospital named {ONCOLOGY_MARK})"
    return DEFAULT_GRADES[level], DEFAULT_SOURCE


def add_grade_columns(rows: list[list[str]], stated: list[StatedGrade]) -> list[list[str]]:
    """facilities.csv rows with ``base_grade`` and ``base_grade_source`` appended.

    Raises
    ------
    ValueError
        When a stated grade names no facility of the table (a typo would silently drop it).
    """
    by_name = {(g.county_code, g.name): g for g in stated}
    names = {(row[2], row[1]) for row in rows}
    unknown = sorted(f"{county} {name}" for county, name in set(by_name) - names)
    if unknown:
        raise ValueError(f"specs/base_grades.csv names no facility of facilities.csv: {', '.join(unknown)}")
    return [[*row, *base_grade(row[2], row[1], row[4], by_name)] for row in rows]
