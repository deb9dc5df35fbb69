"""Exports for spreadsheets (CSV, XLSX, ODS): the bannette's view and the dashboard's figures.

Qt-free: the GUI runs these functions on a worker thread (``desktop.views.dashboard``), the
command line (``python -m desktop export|stats``) calls them directly.
"""
