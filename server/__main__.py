"""Command line: ``python -m server [serve|migrate|init|seed|configure] [options]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from server.config import (
    Settings,
    default_data_dir,
    default_database_url,
    mailbox_ca_file_from_env,
    parse_proxies,
    stuck_days_from_env,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server", description="API centrale de référence de bannette."
    )
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "migrate", "init", "seed", "configure"],
                        help="serve (défaut), migrate, init/seed, configure (courriel et "
                             "parapheur d'une commune)")
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
    parser.add_argument("--keep-passwords", action="store_true",
                        help="init/seed : les comptes par défaut gardent leur mot de passe "
                             "publié sans devoir le changer (démonstration sur ce poste, "
                             "tests) ; jamais pour un serveur ouvert au réseau")
    parser.add_argument("--no-migrate", action="store_true",
                        help="serve : ne pas appliquer les migrations au démarrage")
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="serve : s'arrête quand l'entrée standard se ferme (le programme "
                             "qui l'a lancé s'est arrêté, même tué)")
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("BANNETTE_WORKERS", "1")),
                        help="serve : nombre de processus (BANNETTE_WORKERS, défaut 1) ; ils "
                             "partagent la base (limites, numérotation, idempotence)")
    parser.add_argument("--trusted-proxies",
                        default=os.environ.get("BANNETTE_TRUSTED_PROXIES", ""),
                        help="adresses des mandataires inverses dont l'en-tête X-Forwarded-For "
                             "est cru, séparées par des virgules (BANNETTE_TRUSTED_PROXIES, "
                             "défaut : aucun)")
    parser.add_argument("--log-level", default="info")
    conf = parser.add_argument_group(
        "configure", "réglages d'une commune, gardés sur le serveur seulement (le mot de passe "
        "SMTP se donne par la variable BANNETTE_SMTP_PASSWORD, jamais sur la ligne de commande)")
    conf.add_argument("--authority", help="code INSEE de la commune à régler")
    conf.add_argument("--mail-from", help="adresse d'expédition des courriels de la commune")
    conf.add_argument("--mail-from-name", default="", help="nom affiché de l'expéditeur")
    conf.add_argument("--mail-transport", choices=["smtp", "file"], default="smtp",
                      help="smtp (défaut) ou file (démonstration : fichiers .eml)")
    conf.add_argument("--smtp-host", default="", help="serveur SMTP sortant")
    conf.add_argument("--smtp-port", type=int, default=587, help="port SMTP (défaut 587)")
    conf.add_argument("--smtp-security", choices=["starttls", "tls", "none"],
                      default="starttls", help="starttls (défaut), tls (port 465) ou none")
    conf.add_argument("--smtp-login", default=None, help="identifiant SMTP")
    conf.add_argument("--parapheur", default=None,
                      help="connecteur de parapheur de la commune : builtin (défaut), "
                           "iparapheur ou xparaph")
    conf.add_argument("--parapheur-option", action="append", default=[], metavar="CLE=VALEUR",
                      help="réglage du connecteur (url, login, tenant, desk, type, subtype, "
                           "siret, logingen, docutype, docustype…), répétable ; le mot de passe "
                           "se donne par la variable BANNETTE_PARAPHEUR_PASSWORD")
    conf.add_argument("--imap-host", default=None,
                      help="boîte aux lettres de la commune, relevée par le serveur (IMAP) ; "
                           "le mot de passe se donne par la variable BANNETTE_IMAP_PASSWORD")
    conf.add_argument("--imap-port", type=int, default=993, help="port IMAP (défaut 993)")
    conf.add_argument("--imap-security", choices=["tls", "starttls", "none"], default="tls",
                      help="tls (défaut, port 993), starttls (port 143) ou none (127.0.0.1)")
    conf.add_argument("--imap-login", default="", help="identifiant de la boîte aux lettres")
    conf.add_argument("--imap-folder", default="INBOX", help="dossier lu (défaut INBOX)")
    conf.add_argument("--imap-move-to", default="Bannette",
                      help="dossier où ranger les courriels enregistrés (défaut Bannette)")
    return parser


def _parapheur_config(options: list[str]) -> dict[str, Any]:
    """``CLE=VALEUR`` options, plus the password from the environment (never on the command
    line, where other users of the machine could read it)."""
    config: dict[str, Any] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"option de parapheur à écrire CLE=VALEUR : « {option} »")
        if key.strip() == "password":
            raise ValueError("le mot de passe du parapheur se donne par la variable "
                             "BANNETTE_PARAPHEUR_PASSWORD, pas sur la ligne de commande")
        config[key.strip()] = value.strip()
    if os.environ.get("BANNETTE_PARAPHEUR_PASSWORD"):
        config["password"] = os.environ["BANNETTE_PARAPHEUR_PASSWORD"]
    return config


def _configure(db: Any, args: argparse.Namespace) -> int:
    """Sets a commune's outgoing mail and/or parapheur (server side only)."""
    from sqlalchemy import select

    from server.connectors import parapheur
    from server.db.models import Authority
    from server.mail import mailbox
    from server.mail import settings as mail_settings

    if not args.authority:
        print("configure : indiquez la commune avec --authority CODE_INSEE.", file=sys.stderr)
        return 2
    with db.write() as session:
        authority = session.execute(
            select(Authority).where(Authority.insee_code == args.authority)
        ).scalar_one_or_none()
        if authority is None:
            print(f"configure : aucune commune de code INSEE {args.authority}.", file=sys.stderr)
            return 2
        try:
            if args.mail_from:
                mail_settings.configure(
                    session, authority.id, from_address=args.mail_from,
                    from_name=args.mail_from_name, transport=args.mail_transport,
                    host=args.smtp_host, port=args.smtp_port, security=args.smtp_security,
                    username=args.smtp_login,
                    password=os.environ.get("BANNETTE_SMTP_PASSWORD") or None)
                print(f"Envoi des courriels de {authority.name} réglé ({args.mail_transport}).")
            if args.imap_host:
                mailbox.configure(
                    session, authority.id, host=args.imap_host, port=args.imap_port,
                    security=args.imap_security, username=args.imap_login,
                    password=os.environ.get("BANNETTE_IMAP_PASSWORD") or None,
                    folder=args.imap_folder, move_to=args.imap_move_to)
                print(f"Boîte aux lettres de {authority.name} : {args.imap_login}@"
                      f"{args.imap_host}, relevée par le serveur.")
            if args.parapheur:
                parapheur.choose(session, authority.id, args.parapheur,
                                 _parapheur_config(args.parapheur_option))
                print(f"Parapheur de {authority.name} : {args.parapheur}.")
        except ValueError as exc:
            session.rollback()
            print(f"configure : {exc}", file=sys.stderr)
            return 2
    return 0


def _exit_when_stdin_closes(server: Any) -> None:
    """The desktop's demonstration server must not outlive the app, even a killed one. The
    app holds the other end of our standard input; the operating system closes it whatever
    way the app ends, on every platform, and the server then shuts down cleanly."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        server.should_exit = True

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()


def _serve_workers(args: argparse.Namespace, settings: Settings, proxies: dict[str, Any]) -> int:
    """Several uvicorn worker processes on one database: migrations run once here, then each
    worker builds the app from the environment (``server.app:app_from_env``). Everything they
    share (rate limits, idempotency, numbering, versions) is in the database."""
    import uvicorn

    from server.db.database import Database
    from server.db.migrate import upgrade

    if settings.run_migrations:
        db = Database(settings.database_url)
        try:
            upgrade(db.engine)
        finally:
            db.dispose()
    os.environ.update({
        "BANNETTE_DATA_DIR": str(settings.data_dir),
        "BANNETTE_DATABASE_URL": settings.database_url,
        "BANNETTE_TRUSTED_PROXIES": ",".join(settings.trusted_proxies),
        "BANNETTE_RUN_MIGRATIONS": "0",
    })
    print(f"bannette : API à l'écoute sur http://{settings.host}:{settings.port} "
          f"({args.workers} processus)", flush=True)
    uvicorn.run("server.app:app_from_env", factory=True, host=settings.host,
                port=settings.port, workers=args.workers, log_level=args.log_level, **proxies)
    return 0


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
        parapheur_stuck_days=stuck_days_from_env(),
        trusted_proxies=parse_proxies(args.trusted_proxies),
        mailbox_ca_file=mailbox_ca_file_from_env(),
    )
    if args.command == "serve":
        import uvicorn

        from server.app import create_app

        proxies: dict[str, Any] = {"proxy_headers": bool(settings.trusted_proxies),
                                   "forwarded_allow_ips": list(settings.trusted_proxies) or None}
        if args.workers > 1:
            return _serve_workers(args, settings, proxies)
        app = create_app(settings)
        print(f"bannette : API à l'écoute sur http://{settings.host}:{settings.port}", flush=True)
        server = uvicorn.Server(uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level=args.log_level, **proxies))
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
        if args.command == "configure":
            return _configure(db, args)
        from server.seed import DEFAULT_AGENTS, seed, seed_demo, seed_demo_mail

        ids = seed(db, Passwords())
        if args.keep_passwords:
            _keep_default_passwords(db, [agent.login for agent in DEFAULT_AGENTS])
        print("Collectivités, agents et démarches en place. Comptes par défaut "
              "(mots de passe initiaux, à changer dès la première connexion) :")
        for agent in DEFAULT_AGENTS:
            print(f"  {agent.login:<12} {agent.role.value:<9} mot de passe : {agent.password}")
        if args.demo:
            for code in ("10999", "57999"):
                seed_demo(db, ids[code])
                seed_demo_mail(db, ids[code])
            print("Jeu de démonstration ajouté. Les courriels envoyés sont écrits dans "
                  f"{settings.mail_drop_dir} (aucun envoi réel).")
        return 0
    finally:
        db.dispose()


def _keep_default_passwords(db: Any, logins: list[str]) -> None:
    """The default accounts need not change their published password: only for the
    desktop's private demonstration server (loopback) and the tests that drive a real one."""
    from sqlalchemy import update

    from server.db.models import Agent

    with db.write() as session:
        session.execute(
            update(Agent).where(Agent.login.in_(logins)).values(must_change_password=False)
        )


if __name__ == "__main__":
    sys.exit(main())
