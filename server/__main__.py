"""Command line: ``python -m server [serve|migrate|init|seed] [options]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from server.config import Settings, default_data_dir, default_database_url


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server", description="API centrale de référence de bannette."
    )
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "migrate", "init", "seed"],
                        help="serve (défaut), migrate, init/seed")
    parser.add_argument("--host", default=os.environ.get("BANNETTE_SERVER_HOST", "127.0.0.1"),
                        help="adresse d'écoute (BANNETTE_SERVER_HOST, défaut 127.0.0.1)")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("BANNETTE_SERVER_PORT", "8765")),
                        help="port d'écoute (BANNETTE_SERVER_PORT, défaut 8765)")
    parser.add_argument("--database-url", default=os.environ.get("BANNETTE_DATABASE_URL", ""),
                        help="URL SQLAlchemy (BANNETTE_DATABASE_URL) ; SQLite par défaut")
    parser.add_argument("--data-dir", default=str(default_data_dir()),
                        help="dossier des données et pièces jointes (BANNETTE_DATA_DIR)")
    parser.add_argument("--demo", action="store_true",
                        help="init/seed : ajoute un jeu de demandes de démonstration")
    parser.add_argument("--no-migrate", action="store_true",
                        help="serve : ne pas appliquer les migrations au démarrage")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="serve : s'arrête quand l'entrée standard se ferme (le programme "
                             "qui l'a lancé s'est arrêté, même tué)")
    parser.add_argument("--log-level", default="info")
    return parser


def _exit_when_stdin_closes(server: Any) -> None:
    """The desktop's demonstration server must not outlive the app, even a killed one. The
    app holds the other end of our standard input; the operating system closes it whatever
    way the app ends, on every platform, and the server then shuts down cleanly."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.should_exit = True

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    data_dir = Path(args.data_dir)
    settings = Settings(
        data_dir=data_dir,
        database_url=args.database_url or default_database_url(data_dir),
        host=args.host,
        port=args.port,
        run_migrations=not args.no_migrate,
    )
    if args.command == "serve":
        import uvicorn

        from server.app import create_app

        app = create_app(settings)
        print(f"bannette : API à l'écoute sur http://{settings.host}:{settings.port}", flush=True)
        server = uvicorn.Server(uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=args.log_level))
        if args.exit_with_stdin:
            _exit_when_stdin_closes(server)
        server.run()
        return 0

    from server.auth.passwords import Passwords
    from server.db.database import Database
    from server.db.migrate import upgrade

    db = Database(settings.database_url)
    try:
        upgrade(db.engine)
        if args.command == "migrate":
            print("Base de données à jour.")
            return 0
        from server.seed import DEFAULT_AGENTS, seed, seed_demo

        ids = seed(db, Passwords())
        print("Collectivités, agents et démarches en place. Comptes par défaut "
              "(mots de passe initiaux, à changer dès la première connexion) :")
        for agent in DEFAULT_AGENTS:
            print(f"  {agent.login:<12} {agent.role.value:<9} mot de passe : {agent.password}")
        if args.demo:
            for code in ("10999", "57999"):
                seed_demo(db, ids[code])
            print("Jeu de démonstration ajouté.")
        return 0
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
