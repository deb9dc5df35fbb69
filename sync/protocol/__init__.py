"""The contract shared by the desktop client and the reference server.

Only plain Python and pydantic live here, so both sides import it without dragging in Qt
or SQLAlchemy.
"""
