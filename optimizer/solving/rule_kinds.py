"""The rule kinds of targets.csv after the ratio targets, in the order their rows appear.

To add a kind: write its builder (a function of `RuleContext` returning `rule_row`s, see
`optimizer.solving.rule_rows`) in its own module and append a `RuleKind` here. The verifier
(`optimizer.analysis.verify`) should recount the rule independently of the builder.
"""

from __future__ import annotations

from optimizer.solving.facility_rows import bed_category_rows, budget_rows, facility_rule_rows, stock_total_rows
from optimizer.solving.feature_rows import feature_target_rows
from optimizer.solving.network_rows import fleet_rows, radius_rows, response_mean_rows, subcentre_rows
from optimizer.solving.rule_rows import RuleKind

RULE_KINDS: tuple[RuleKind, ...] = (
    RuleKind("rules at facilities (facility_rules.csv)", facility_rule_rows),
    RuleKind("bed categories", bed_category_rows),
    RuleKind("base-year totals kept", stock_total_rows),
    RuleKind("ambulance fleet, area and counties", fleet_rows),
    RuleKind("ambulance radius", radius_rows),
    RuleKind("mean ambulance response", response_mean_rows),
    RuleKind("sub-centres", subcentre_rows),
    RuleKind("facility features (features.csv)", feature_target_rows),
    RuleKind("budget", budget_rows),
)
