"""Geography and travel times: county boundaries and point placement (`boundaries`), the road graph (`network`)
and the town-to-facility travel matrix, by road or the flagged straight-line fallback (`travel_times`).
"""
