"""The citizen's workspace: the « Usager » window, the look-up, duplicates and merge."""
