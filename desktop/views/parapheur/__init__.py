"""The élu's workspace: « Mon parapheur » and the requests flagged for their opinion."""
