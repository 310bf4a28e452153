"""Review of ideas by BRMs: estimates and their valuation."""
