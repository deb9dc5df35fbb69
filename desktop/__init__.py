"""The bannette desktop client: the Qt application and its Qt-free subpackages."""
