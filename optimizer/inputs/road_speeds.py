"""Default driving speed (km/h) per OpenStreetMap `highway` class on Chinese roads.

A way's speed is, in order: its own parseable `maxspeed` tag; the scenario's
`travel.highway_speeds_kph[class]`; the default below. A class is driven only if it is in
`DRIVABLE_HIGHWAYS` or the scenario gives it a speed (so `highway_speeds_kph.track = 15` adds tracks).
This module holds data only: the road reader (optimizer/geography/osm.py) merges it with the scenario.

OSM class → Chinese road grade
------------------------------
The OSM China tagging guidelines (wiki.openstreetmap.org/wiki/Chinese_tagging_guidelines, "Road
types") tag the route system by administrative level, not by physical condition, "from G (National)
class to C (Village) class in a descending order (from trunk to unclassified)"; expressways are
`motorway`. So: motorway = 高速公路, trunk = 国道 (G1xx–G3xx), primary = 省道 (S), secondary = 县道 (X),
tertiary = 乡道 (Y), unclassified = 村道 (C). Inside towns the same classes hold the urban streets
(trunk 快速路, primary 主干路, secondary 次干路, tertiary 支路 in common practice; the wiki table gives no
urban speeds). A county area is mostly rural, so each class takes the *highway* (公路) grade its
administrative level is usually built to, and the urban figures below are only a cross-check.

Design speeds (设计速度) used
----------------------------
- JTG B01-2014 《公路工程技术标准》, design speed per 公路等级: 高速公路 120/100/80, 一级 100/80/60,
  二级 80/60, 三级 40/30, 四级 30/20 km/h. Secondary sources confirm the expressway range 80–120 km/h;
  the full table was taken from the brief and the English translation of the 2003 edition (ADB, same
  grades) and could not be checked against the 2014 text here.
- CJJ 37-2012 《城市道路工程设计规范》: 快速路 100/80/60, 主干路 60/50/40, 次干路 50/40/30,
  支路 40/30/20 km/h (not confirmed against the standard's text here either).

Each default is one of the grade's design speeds, chosen toward the lower value for Sichuan's hilly and
mountainous terrain; no further reduction factor is applied. Design speed is a geometric design figure,
not a measured travel speed: operating speeds on 三级/四级 roads are often near or above it, on town
streets below it (signals, mixed traffic), and no single factor for the difference could be confirmed,
so a planner with measured speeds sets `highway_speeds_kph`.
"""

from __future__ import annotations

from types import MappingProxyType

DEFAULT_HIGHWAY_SPEEDS_KPH: MappingProxyType[str, float] = MappingProxyType(
    {
        # 高速公路: JTG B01 120/100/80; 100 is the middle value (Sichuan's mountain expressways often 80).
        "motorway": 100.0,
        # 国道, built to 一级 (100/80/60) or 二级 (80/60): 80 is in both; CJJ 37 快速路 80 agrees.
        "trunk": 80.0,
        # 省道, usually 二级 (80/60): the lower value; CJJ 37 主干路 60 agrees.
        "primary": 60.0,
        # 县道, usually 三级 (40/30): the higher value; CJJ 37 次干路 40 agrees.
        "secondary": 40.0,
        # 乡道, usually 四级 (30/20): the higher value; CJJ 37 支路 30 agrees.
        "tertiary": 30.0,
        # 村道, 四级 at its lower value 20.
        "unclassified": 20.0,
        # Town streets (支路 at CJJ 37's lowest value, 20).
        "residential": 20.0,
        # Ramps (匝道): JTG D20 gives ramp design speeds from 40 km/h upward (not confirmed here); 40 is the
        # floor for expressway and national-road ramps, the parent class's speed below that.
        "motorway_link": 40.0,
        "trunk_link": 40.0,
        "primary_link": 40.0,
        "secondary_link": 30.0,
        "tertiary_link": 20.0,
        # No Chinese design standard found: shared streets and access roads (hospital and compound
        # driveways) are taken at walking-to-parking pace, below the lowest 支路 design speed.
        "living_street": 10.0,
        "service": 15.0,
    }
)
"""Speed in km/h of each drivable OSM `highway` class when the way has no usable `maxspeed`."""

DRIVABLE_HIGHWAYS: frozenset[str] = frozenset(DEFAULT_HIGHWAY_SPEEDS_KPH) | {"road"}
"""Classes read as roads by default. `highway=road` (class not yet known) runs at the scenario's
`road_default_speed_kph`. `track` (farm and forest tracks, often unpaved) is left out: a demand point
reached only by a track keeps its straight snapping leg to the nearest road instead; a scenario adds
tracks by giving `highway_speeds_kph.track`."""
