"""The scenario as the page's form: each editable field with its Chinese label, unit, value, plan citation
and decision note, and the conversion of what a planner types into the value a scenario file holds.

The form shows the scenario as loaded (`load_scenario`, defaults of its `extends` merged in), so a
radius that comes from `defaults/national.toml` is shown with the national rule's citation. Only the
fields listed here can be changed from the page; everything else stays as the file says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.workbench import fields

Kind = Literal["number", "integer", "flag", "facilities"]


@dataclass(frozen=True)
class FieldSpec:
    """An editable scalar of the scenario: where it is, how the page labels it, where its citation is."""

    path: str
    group: Literal["budget", "radius", "subcentres", "ambulances"]
    label_zh: str
    unit_zh: str
    kind: Kind = "number"
    source: str | None = None
    """Path of the `Citation` that supports the value."""
    decision: str | None = None
    """Path of the decision note (how an ambiguity of the plan was decided)."""


SPECS = (
    FieldSpec("budget.budget_cny.value", "budget", "建设投资预算", "元", source="budget.budget_cny.source"),
    FieldSpec("travel.max_access_min", "radius", "最长就医出行时间", "分钟", source="travel.source"),
    FieldSpec(
        "ambulances.urban_radius_km",
        "radius",
        "城市急救服务半径",
        "公里",
        source="ambulances.radius_source",
        decision="ambulances.decision",
    ),
    FieldSpec("ambulances.rural_radius_km", "radius", "农村急救服务半径", "公里", source="ambulances.radius_source"),
    FieldSpec("ambulances.rural_preferred_radius_km", "radius", "农村急救优选半径（仅计入覆盖目标）", "公里"),
    FieldSpec("ambulances.response_max_min", "radius", "急救响应时间上限", "分钟", source="ambulances.response_source"),
    FieldSpec(
        "subcentres.radius_km",
        "radius",
        "次中心服务半径",
        "公里",
        source="subcentres.source",
        decision="subcentres.decision",
    ),
    FieldSpec(
        "subcentres.count",
        "subcentres",
        "次中心数量",
        "个",
        kind="integer",
        source="subcentres.source",
        decision="subcentres.decision",
    ),
    FieldSpec(
        "subcentres.named_facility_ids",
        "subcentres",
        "规划点名的次中心",
        "",
        kind="facilities",
        source="subcentres.source",
    ),
    FieldSpec("subcentres.honour_named", "subcentres", "按规划点名设置次中心", "", kind="flag"),
    FieldSpec(
        "subcentres.min_beds", "subcentres", "次中心最少床位", "张", kind="integer", source="subcentres.beds_source"
    ),
    FieldSpec(
        "ambulances.per_population",
        "ambulances",
        "每辆救护车服务人口",
        "人",
        kind="integer",
        source="ambulances.fleet_source",
        decision="ambulances.decision",
    ),
    FieldSpec("ambulances.base_multiplier", "ambulances", "人口基数倍数（常住人口的倍数）", "倍"),
    FieldSpec("ambulances.max_per_base", "ambulances", "每个急救站最多车辆", "辆", kind="integer"),
    FieldSpec("ambulances.fleet_hard", "ambulances", "车辆配置标准为硬约束", "", kind="flag"),
    FieldSpec("ambulances.radius_hard", "ambulances", "急救服务半径为硬约束", "", kind="flag"),
)
TARGET_FIELDS = ("value", "hard")


def citation(value: Any) -> dict[str, Any] | None:
    """A `Citation` as the page shows it: the plan file and line with its quote, or the basis, flagged."""
    if not isinstance(value, Mapping):
        return None
    seed, line = value.get("seed"), value.get("line")
    return {
        "label": f"{seed}:L{line}" if seed else None,
        "quote": value.get("quote"),
        "basis": value.get("basis"),
        "estimated": bool(value.get("estimated")),
    }


POPULATION_ZH = {"residents": "常住人口", "children_0_14": "0—14岁儿童", "aged_65_plus": "65岁及以上老人"}


def unit_zh(scenario: Scenario, target: Mapping[str, Any]) -> str:
    """A target's unit in Chinese, from the resource labels of the scenario (the file's `unit` is English):
    `床位（每1000常住人口）`, `注册护士 / 执业（助理）医师`, `占床位的比例`."""
    labels = {key: spec.label_zh for key, spec in scenario.resources.items()}
    resource = str(labels.get(target["resource"], target["resource"]))
    if target["kind"] == "per_population":
        population = POPULATION_ZH.get(target["denominator_population"], target["denominator_population"])
        return f"{resource}（每{target['denominator_size']:g}{population}）"
    if target["kind"] == "per_resource":
        denominator = labels.get(target["denominator_resource"], target["denominator_resource"])
        if str(target["unit"]).strip().lower().startswith("share"):
            return f"占{denominator}的比例"
        return f"{resource} / {denominator}"
    return resource


def form_of(scenario: Scenario, data: Datasets) -> dict[str, Any]:
    """The form of a loaded scenario: its name, the editable fields by group, the targets and the facilities
    a sub-centre may be named at."""
    dump = scenario.model_dump(mode="json")
    groups: dict[str, list[dict[str, Any]]] = {"budget": [], "radius": [], "subcentres": [], "ambulances": []}
    for spec in SPECS:
        value = fields.read(dump, spec.path)
        if value is None and fields.read(dump, spec.path.rsplit(".", 1)[0]) is None:
            continue  # the block is not in this scenario (a plan without sub-centres)
        groups[spec.group].append(
            {
                "path": spec.path,
                "label_zh": spec.label_zh,
                "unit_zh": spec.unit_zh,
                "kind": spec.kind,
                "value": value,
                "source": citation(fields.read(dump, spec.source)) if spec.source else None,
                "decision": fields.read(dump, spec.decision) if spec.decision else None,
            }
        )
    targets = [
        {
            "id": t["id"],
            "path": f"targets[{t['id']}]",
            "indicator_zh": t["indicator_zh"],
            "value": t["value"],
            "unit": t["unit"],
            "unit_zh": unit_zh(scenario, t),
            "bound": t["bound"],
            "baseline": t["baseline"],
            "binding": t["binding"],
            "hard": t["hard"],
            "target_year": t["target_year"],
            "source": citation(t["source"]),
            "decision": t["decision"],
        }
        for t in dump["targets"]
    ]
    facilities = data.facilities
    candidates = facilities[facilities["level"].isin(["central_thc", "thc"])]
    return {
        "id": scenario.scenario.id,
        "name_zh": scenario.scenario.name_zh,
        "area_zh": scenario.area.name_zh,
        "target_year": scenario.scenario.target_year,
        "groups": groups,
        "targets": targets,
        "facilities": [
            {"id": str(row.facility_id), "name": str(row.name), "level": str(row.level)}
            for row in candidates.sort_values("facility_id").itertuples(index=False)
        ],
    }


def editable(path: str) -> FieldSpec | None:
    """The spec of an editable path (a target's value or hard flag has an implied spec), else None."""
    for spec in SPECS:
        if spec.path == path:
            return spec
    try:
        keys = fields.parse(path)
    except fields.FieldPathError:
        return None
    if len(keys) == 2 and keys[0].name == "targets" and keys[0].element_id and keys[1].name in TARGET_FIELDS:
        kind: Kind = "flag" if keys[1].name == "hard" else "number"
        return FieldSpec(path, "budget", keys[1].name, "", kind=kind, source=f"targets[{keys[0].element_id}].source")
    return None


def coerce(spec: FieldSpec, value: Any) -> Any:
    """What a planner typed, as the scenario file will hold it.

    Numbers typed as text ("900000000", "7.5", "1,075,000,000") become numbers; text that is no number
    is kept as text, so the scenario check reports it in its own words ("Input should be a valid
    number") exactly as `optimizer check` would for the same file.
    """
    if spec.kind == "facilities":
        if isinstance(value, str):
            return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]
        return [str(v) for v in value] if isinstance(value, list) else value
    if spec.kind == "flag" or isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    number: float
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        try:
            number = float(text)
        except ValueError:
            return value
    else:
        number = float(value)
    if math.isfinite(number) and number.is_integer() and (spec.kind == "integer" or abs(number) < 2**53):
        return int(number)
    return number
