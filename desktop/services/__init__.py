"""Service objects between the widgets and the Qt-free store, domain and documents."""
