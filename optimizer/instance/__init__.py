"""Instance building: turns a checked scenario, its data and the travel matrix into the typed inputs of
`models.planner` (`plan_inputs`), including the service-hierarchy rules (`hierarchy_rules`) and the rules
that come from what a facility is: its grade's standards and its stated size (`institution_rules`), the ambulance rules
(`ambulance_rules`) and the facility features (`feature_rules`). The only place
where plan wording becomes model parameters.
"""
