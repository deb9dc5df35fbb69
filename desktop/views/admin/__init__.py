"""The « Administration » workspace: the commune's settings, its procedures catalogue and its
agents, for the administrators of the commune (issue 13). ``menu`` builds the menu that other
screens (services, statistics, RGPD, audit) extend with ``add_admin_entry``."""
