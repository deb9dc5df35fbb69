"""Widgets shared by several workspaces (the PDF viewer of the reply and of the élu's desk)."""
