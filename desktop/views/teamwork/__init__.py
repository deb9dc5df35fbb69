"""The team's work on requests: « Attribuer… », internal notes, « Modifier la demande… » and
« Administration › Services… » (see ``flow.install_teamwork``)."""
