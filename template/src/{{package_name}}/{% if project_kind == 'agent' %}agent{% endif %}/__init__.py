"""The agent kind: a support-operations agent with tools, approvals, limits and evals."""
