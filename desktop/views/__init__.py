"""Widgets and dialogs. They call services and models; they never run SQL or HTTP."""
