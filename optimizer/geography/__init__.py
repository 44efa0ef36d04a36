"""Geography and travel times: county boundaries and point placement (`boundaries`), estimated township areas
(`township_areas`) and the demand points below the seats (`demand`), the road graph from OpenStreetMap extracts or
line files (`osm`, `network`, cached by `road_cache`), and the seat and demand-point travel matrices, by road
(`road_matrix`, one sparse shortest-path call) or the flagged straight-line fallback (`travel_times`).
"""
