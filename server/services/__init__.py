"""Domain operations shared by the REST routers and the sync mutations (one rule, one place)."""
