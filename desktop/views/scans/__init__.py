"""Scans: files dropped on requests, the scan folder's « À classer » list, images joined into one
PDF and the in-app preview. ``desktop.views.scans.window.install_scans`` puts it in the window."""
