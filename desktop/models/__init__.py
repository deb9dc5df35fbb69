"""Qt item models over the store's read queries."""
