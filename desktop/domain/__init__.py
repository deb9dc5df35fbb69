"""The Qt-free domain: request life cycle, legal deadlines, French formatting."""
