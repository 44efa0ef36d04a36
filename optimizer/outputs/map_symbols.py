"""The HTML pieces of `map.html`'s symbols and legend.

Each symbol is drawn by one function, used both on the map and in the legend, so the legend cannot
drift from what the map shows: a facility is a square (county-level hospitals), diamond (central
township health centres) or circle (township and community centres) in its level's colour; a
sub-centre a purple star behind its facility; an ambulance base a teal badge with its vehicle count;
what the plan changes a pale badge ("+71床 +12医"); a town a circle in its status colour; a demand
point beyond a standard a hollow red-orange circle. Colours and levels are `optimizer.outputs.maps`;
the words are the map block of `optimizer.outputs.labels`.
"""

from __future__ import annotations

from html import escape

from optimizer.outputs.labels import map_label
from optimizer.outputs.maps import (
    AMBULANCE_COLOUR,
    LEVEL_SYMBOLS,
    STATUS_COLOURS,
    STATUS_ZH,
    SUBCENTRE_COLOUR,
    UNCOVERED_COLOUR,
    MapLayers,
    area_colour,
    area_groups,
    level_symbol,
)

STAR_POINTS = "12,1 15,9 23,9 17,14 19,22 12,17 5,22 7,14 1,9 9,9"


def facility_icon_html(level: str, facility_id: str = "") -> str:
    """A facility's level symbol filling its icon box (the box is `size_px` square)."""
    symbol = level_symbol(level)
    shape = {"square": "", "circle": "border-radius:50%;", "diamond": "transform:rotate(45deg) scale(0.72);"}
    return (
        f'<div class="facility-shape" data-facility-id="{escape(facility_id)}" style="width:100%;height:100%;'
        f"box-sizing:border-box;background:{symbol.colour};border:1.5px solid #fff;box-shadow:0 0 0 1px #222;"
        f'{shape[symbol.shape]}"></div>'
    )


def subcentre_star_html(size: int) -> str:
    """A purple star `size` pixels wide (drawn behind the sub-centre's facility symbol)."""
    return (
        f'<svg width="{size}" height="{size}" viewBox="0 0 24 24"><polygon points="{STAR_POINTS}" '
        f'fill="{SUBCENTRE_COLOUR}" stroke="#fff" stroke-width="1"/></svg>'
    )


def ambulance_badge_html(count: int) -> str:
    """A teal badge with a cross and the number of vehicles based there."""
    return (
        f'<div class="ambulance-badge legend-swatch" style="background:{AMBULANCE_COLOUR};color:#fff;'
        "font:bold 9px/10px sans-serif;border-radius:3px;width:22px;height:12px;box-sizing:border-box;"
        f'border:1px solid #fff;text-align:center">✚{count}</div>'
    )


def plan_badge_html(text: str, facility_id: str = "") -> str:
    """What the plan changes at a facility; right-aligned, so it ends where its icon is anchored."""
    return f'<div class="plan-badge" data-facility-id="{escape(facility_id)}">{escape(text)}</div>'


def dot_html(colour: str, *, hollow: bool = False, size: int = 14) -> str:
    """A town (filled) or uncovered demand point (hollow) circle for the legend."""
    fill = "transparent" if hollow else colour
    edge = f"2px solid {colour}" if hollow else "2px solid #222"
    return (
        f'<span class="legend-swatch" style="display:inline-block;width:{size}px;height:{size}px;'
        f'box-sizing:border-box;border-radius:50%;background:{fill};border:{edge}"></span>'
    )


def legend_html(layers: MapLayers) -> str:
    """The legend: every symbol the map draws, grouped, with the Chinese meaning."""
    rows = [f"<b>{map_label('map_legend')}</b>", f"<h4>{map_label('map_legend_facilities')}</h4>"]
    levels = set(layers.facilities["level"])
    for level, symbol in LEVEL_SYMBOLS.items():
        if level in levels:
            box = f'<span style="display:inline-block;width:{symbol.size_px}px;height:{symbol.size_px}px">'
            rows.append(_row(f"level-{level}", box + facility_icon_html(level) + "</span>", symbol.label_zh))
    if not layers.subcentres.empty:
        rows.append(_row("subcentre", subcentre_star_html(18), map_label("map_legend_subcentre")))
    if not layers.ambulance_bases.empty:
        rows.append(_row("ambulance", ambulance_badge_html(2), map_label("map_legend_ambulance")))
    if (layers.facilities["plan_badge"] != "").any():
        rows.append(
            _row(
                "plan",
                f'<span class="plan-badge" style="position:static">+10{map_label("map_badge_beds")}</span>',
                map_label("map_legend_plan"),
            )
        )
    rows.append(f"<h4>{map_label('map_legend_towns')}</h4>")
    rows += [_row(f"status-{key}", dot_html(colour), STATUS_ZH[key]) for key, colour in STATUS_COLOURS.items()]
    main = next((u for u in layers.uncovered if u.main), None)
    if main is not None:
        label = f"{map_label('map_uncovered')}（{main.label_zh}）"
        rows.append(_row("uncovered", dot_html(UNCOVERED_COLOUR, hollow=True, size=10), label))
    groups = area_groups(layers.service_areas)
    if groups:
        rows.append(f"<h4>{map_label('map_service_area')}</h4>")
    for index, (name, _, _) in enumerate(groups):
        swatch = (
            f'<span class="legend-swatch" style="display:inline-block;width:16px;height:10px;'
            f'background:{area_colour(index)};opacity:0.5"></span>'
        )
        rows.append(_row(f"area-{index}", swatch, name.removeprefix(f"{map_label('map_service_area')}：")))
    return "".join(rows)


def _row(key: str, symbol: str, label: str) -> str:
    return f'<div class="legend-row" data-key="{key}"><span class="legend-symbol">{symbol}</span> {escape(label)}</div>'
