"""The planner's workbench, `optimizer serve`: a page in Chinese over a JSON API (FastAPI under uvicorn).

The page shows a scenario as a form (`forms`, field paths in `fields`), checks edits exactly as
`optimizer check` does (`validation`), saves variants as new, readable TOML files (`scenario_files`)
into the workspace folder — the only place it writes (`workspace`) — and runs plans and budget sweeps
through the CLI's pipeline as background jobs (`jobs`, `tasks`), read back from their folders
(`results`). Routes are in `app`, the server in `server`; docs/workbench.md describes the page and API.
"""
