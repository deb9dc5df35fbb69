"""« Aide › Lexique »: the words of the bannette explained to a secrétaire de mairie.

The statuses and the colours are read from the code that shows them (``STATUS_LABELS``,
``URGENCY_COLOURS``, ``SHORT_LABELS``), so the lexicon cannot drift from the screen; a test
checks that every status and every échéance label is explained.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop.domain.due import SHORT_LABELS, SOON_WORKING_DAYS, DueKind, Urgency
from desktop.models.inbox_model import URGENCY_COLOURS
from sync.protocol.vocabulary import STATUS_LABELS, Status

#: (term, explanation) in the order a request lives them.
TERMS: tuple[tuple[str, str], ...] = (
    (
        "Bannette",
        "La liste des demandes des usagers reçues par la mairie, quel que soit leur canal "
        "(formulaire en ligne, service-public.fr, courriel, courrier, téléphone, guichet).",
    ),
    (
        "Accusé d'enregistrement (AE)",
        "Pour une demande électronique seulement : il confirme que la demande est arrivée et "
        "en donne la date de réception. Il est dû immédiatement, au plus tard le premier jour "
        "ouvré qui suit la réception (art. L112-11 et R112-11-1 CRPA).",
    ),
    (
        "Accusé de réception (AR)",
        "Le courrier qui dit à l'usager ce qui va se passer : date de réception, date à "
        "laquelle, sans réponse, la demande sera réputée acceptée ou rejetée, service chargé "
        "du dossier et ses coordonnées, voies et délais de recours en cas de rejet tacite, "
        "liste des pièces manquantes s'il y en a. Pour une demande électronique, il est dû "
        "au plus tard 10 jours ouvrés après la réception (art. L112-3, R112-5 et R112-11-1 "
        "CRPA). Sans "
        "accusé de réception conforme, les délais de recours ne courent pas contre l'usager "
        "(art. L112-6 CRPA).",
    ),
    (
        "Objectif interne",
        "Le délai que la mairie se fixe, plus court que la loi : par défaut, accuser réception "
        "dans les 7 jours calendaires. Ce n'est pas un délai légal : le dépasser ne crée "
        "aucune décision, mais la demande passe « en retard » dans la bannette.",
    ),
    (
        "Silence vaut accord (SVA)",
        "Règle générale : sans réponse de la mairie à la fin du délai de la démarche "
        "(deux mois par défaut), la demande est acceptée. L'usager peut demander une "
        "attestation de cet accord tacite (art. L231-1 et L232-3 CRPA).",
    ),
    (
        "Silence vaut rejet (SVR)",
        "Pour certaines démarches (exceptions de l'art. L231-4 CRPA et des décrets), le "
        "silence de la mairie à la fin du délai vaut refus. L'usager peut alors contester ce "
        "rejet tacite devant le tribunal administratif.",
    ),
    (
        "Décision implicite",
        "La décision née du silence (accord tacite ou rejet tacite). Sa date se compte à "
        "partir de la réception de la demande complète ; les mois se comptent de quantième à "
        "quantième (31 janvier + 1 mois = 28 ou 29 février). Une démarche « sans règle de "
        "silence » n'en produit pas : elle attend une réponse expresse.",
    ),
    (
        "Pièces manquantes",
        "Quand la demande est incomplète, la mairie demande les pièces qui manquent et fixe "
        "un délai pour les fournir (art. L114-5 CRPA). Le délai de décision est suspendu "
        "(« suspendu » dans la bannette) et ne court à nouveau qu'à partir de la réception "
        "de la dernière pièce.",
    ),
    (
        "Jour ouvré",
        "Du lundi au vendredi, hors jours fériés ; en Alsace-Moselle (Bas-Rhin, Haut-Rhin, "
        "Moselle), le Vendredi saint et le 26 décembre sont fériés aussi.",
    ),
    (
        "Parapheur",
        "Le circuit où l'élu relit la réponse préparée par le secrétariat : il la vise, la "
        "signe, ou la refuse avec un commentaire.",
    ),
    (
        "Échéance",
        "La prochaine date à tenir pour une demande : la plus proche des obligations encore "
        "ouvertes (accusé d'enregistrement, accusé de réception, décision implicite).",
    ),
)

#: What each status means, in the order of ``Status``.
STATUS_MEANINGS: dict[Status, str] = {
    Status.RECEIVED: "arrivée, pas encore accusée.",
    Status.ACKNOWLEDGED: "l'accusé de réception est parti ; le délai de décision court.",
    Status.AWAITING_DOCUMENTS: "des pièces manquantes sont attendues ; le délai est suspendu.",
    Status.DRAFTING: "la réponse est en cours d'écriture.",
    Status.AT_PARAPHEUR: "la réponse attend le visa ou la signature de l'élu.",
    Status.ANSWERED: "la réponse expresse est partie.",
    Status.CLOSED: "plus rien à faire (réponse donnée, décision implicite acquise ou sans suite).",
}

#: What each short label of the « Échéance » column stands for.
DUE_MEANINGS: dict[DueKind, str] = {
    DueKind.REGISTRATION_RECEIPT: "accusé d'enregistrement à envoyer",
    DueKind.ACKNOWLEDGEMENT: "accusé de réception à envoyer (délai légal)",
    DueKind.INTERNAL_TARGET: "accusé de réception à envoyer (objectif interne)",
    DueKind.IMPLICIT_ACCEPTANCE: "date de l'accord tacite si la mairie ne répond pas",
    DueKind.IMPLICIT_REJECTION: "date du rejet tacite si la mairie ne répond pas",
    DueKind.SUSPENDED: "délai arrêté en attendant des pièces manquantes",
    DueKind.ANSWER_TARGET: ("réponse attendue (objectif interne) pour une démarche sans "
                            "décision implicite : la demande reste à traiter"),
}

URGENCY_MEANINGS: dict[Urgency, str] = {
    Urgency.OVERDUE: "en retard : l'échéance est passée",
    Urgency.SOON: f"à traiter vite : échéance dans les {SOON_WORKING_DAYS} jours ouvrés",
    Urgency.FINE: "dans les temps",
}


def _due_cell(kind: DueKind) -> str:
    """What the « Échéance » column shows for ``kind`` (see ``InboxModel``)."""
    if kind == DueKind.SUSPENDED:
        return "Suspendue"
    return f"12 déc. 2026 ({SHORT_LABELS[kind]})"


def lexicon_html() -> str:
    terms = "".join(
        f"<dt><b>{escape(term)}</b></dt><dd>{escape(text)}</dd>" for term, text in TERMS
    )
    statuses = "".join(
        f"<li><b>{escape(STATUS_LABELS[s])}</b> : {escape(STATUS_MEANINGS[s])}</li>"
        for s in Status
    )
    dues = "".join(
        f"<li><b>{escape(_due_cell(k))}</b> : {escape(DUE_MEANINGS[k])}</li>" for k in DueKind
    ) + "<li><b>En retard · 12 déc. 2026 (AR)</b> : la date est passée</li>"
    colours = "".join(
        f"<tr><td style='background:{back}; color:{fore}; padding:2px 10px'>12 déc. 2026</td>"
        f"<td style='padding-left:8px'>{escape(URGENCY_MEANINGS[u])}</td></tr>"
        for u, (back, fore) in URGENCY_COLOURS.items()
    )
    return (
        "<h2>Lexique</h2>"
        f"<dl>{terms}</dl>"
        "<h3>Statuts d'une demande</h3>"
        f"<ul>{statuses}</ul>"
        "<h3>Colonne « Échéance »</h3>"
        f"<ul>{dues}</ul>"
        "<h3>Couleurs de la bannette</h3>"
        f"<table cellspacing='4'>{colours}</table>"
        "<p>Sans couleur : aucune échéance (demande répondue ou close, ou démarche sans "
        "délai).</p>"
    )


class LexiconDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lexicon-dialog")
        self.setWindowTitle("Lexique")
        self.text = QTextBrowser(self)
        self.text.setObjectName("lexicon")
        self.text.setHtml(lexicon_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 680)


def show_lexicon(parent: QWidget) -> LexiconDialog:
    """Non-modal: the secrétaire can read it beside the request."""
    dialog = LexiconDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
