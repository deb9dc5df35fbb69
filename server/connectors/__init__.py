"""Connectors to the outside services a commune chooses (parapheurs; mail lives in
``server.mail``). Their credentials stay on the server: no PC ever talks to them."""
