"""What-if analysis: budget and parameter sweeps on Dask (`sweep`), marginal values of the budget (`marginal`)
and the greedy siting baseline the sweeps report beside the optimum (`greedy`).
"""
