"""« Aide › À propos de Bannette » shows the app's version and, once known, the server's."""

from __future__ import annotations

from desktop.version import app_version
from desktop.views.help import about_text
from sync.protocol.wire import PROTOCOL_VERSION, ServerInfo


def test_about_before_any_sync() -> None:
    text = about_text(app_version(), None)
    assert f"Version du logiciel : <b>{app_version()}</b>" in text
    assert f"Protocole de synchronisation du poste : {PROTOCOL_VERSION}" in text
    assert "versions pas encore connues" in text


def test_about_with_the_server_versions() -> None:
    text = about_text("0.1.0", ServerInfo(protocol=PROTOCOL_VERSION, min_desktop_version="0.2.0"))
    assert f"Protocole du serveur : {PROTOCOL_VERSION}" in text
    assert "Version la plus ancienne acceptée par le serveur : 0.2.0" in text
