"""The French user guide: Markdown chapters, their HTML rendering and their screenshots."""
