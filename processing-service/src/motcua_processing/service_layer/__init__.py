"""Processing's use cases: officers' actions, folding events, the clock."""
