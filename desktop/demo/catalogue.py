"""What the demo bannette is made of: three communes, their procedures, and request wording.

The procedures carry realistic CRPA values (silence rule, period, required documents); the
wording gives each request a plausible French subject, text and form fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.protocol.vocabulary import CitizenKind, PeriodUnit, SilenceRule


@dataclass(frozen=True)
class DemoAuthority:
    code: str
    name: str
    insee_code: str
    siret: str
    department: str
    address: str
    postcode: str
    city: str
    email: str
    phone: str
    streets: tuple[str, ...]
    schools: tuple[str, ...]


# Three communes in three departments so the holiday rules differ: Vosges (plain France),
# Moselle and Bas-Rhin (Alsace-Moselle: Good Friday and 26 December are public holidays).
AUTHORITIES: tuple[DemoAuthority, ...] = (
    DemoAuthority(
        "rambervillers",
        "Mairie de Rambervillers",
        "88367",
        "21880367500014",  # Luhn-valid (demo value)
        "88",
        "Place du 30 Septembre",
        "88700",
        "Rambervillers",
        "accueil@mairie-rambervillers.fr",
        "03 29 65 37 37",
        (
            "rue Carnot",
            "rue du Général-Leclerc",
            "place du 30 Septembre",
            "rue de la Faïencerie",
            "chemin des Écoliers",
            "rue Jean-Jaurès",
            "rue de l'Étang",
            "avenue du Maréchal-Foch",
        ),
        ("école Jules-Ferry", "école maternelle du Château", "école Louis-Pasteur"),
    ),
    DemoAuthority(
        "bitche",
        "Mairie de Bitche",
        "57089",
        "21570089400011",  # Luhn-valid (demo value)
        "57",
        "36 rue du Maréchal-Foch",
        "57230",
        "Bitche",
        "contact@ville-bitche.fr",
        "03 87 96 00 13",
        (
            "rue du Maréchal-Foch",
            "rue Teyssier",
            "rue de Sarreguemines",
            "rue des Tilleuls",
            "impasse de la Citadelle",
            "rue Saint-Augustin",
            "rue de la Gare",
            "rue Bombelles",
        ),
        ("école élémentaire du Stadt", "école maternelle Sainte-Catherine", "école de Schirmeck"),
    ),
    DemoAuthority(
        "obernai",
        "Mairie d'Obernai",
        "67348",
        "21670348600011",
        "67",
        "Place du Marché",
        "67210",
        "Obernai",
        "mairie@obernai.fr",
        "03 88 49 95 95",
        (
            "rue du Général-Gouraud",
            "rue Sainte-Odile",
            "chemin du Bruderbach",
            "rue de la Paix",
            "place de l'Étoile",
            "rue des Pèlerins",
            "rue du Marché",
        ),
        ("école du Parc", "école Freppel", "école maternelle Les Pâquerettes"),
    ),
)


@dataclass(frozen=True)
class DemoProcedure:
    code: str
    name: str
    silence_rule: SilenceRule
    period: int
    unit: PeriodUnit
    required_documents: tuple[str, ...]
    #: Subjects and texts; ``{placeholders}`` are filled by the generator.
    subjects: tuple[str, ...]
    texts: tuple[str, ...]
    #: (label, value template) pairs of the online form.
    form_fields: tuple[tuple[str, str], ...] = ()
    citizen_kinds: tuple[CitizenKind, ...] = (CitizenKind.PERSON,)
    weight: int = 10
    attachments: tuple[str, ...] = field(default=())


PROCEDURES: tuple[DemoProcedure, ...] = (
    DemoProcedure(
        "etat_civil_naissance",
        "Demande d'acte de naissance",
        SilenceRule.REJECT,
        2,
        PeriodUnit.MONTHS,
        ("Pièce d'identité du demandeur",),
        (
            "Copie intégrale d'acte de naissance",
            "Extrait d'acte de naissance avec filiation",
            "Acte de naissance — {child} {last}",
        ),
        (
            "Bonjour, je vous prie de bien vouloir m'adresser une copie intégrale de l'acte de "
            "naissance {de_child} {last}, né(e) le {birth} à {city}. Je vous remercie par avance.",
            "Madame, Monsieur, dans le cadre d'un dossier de retraite, j'ai besoin d'un extrait "
            "avec filiation de mon acte de naissance. Cordialement, {first} {last}.",
        ),
        (
            ("Type d'acte", "Copie intégrale"),
            ("Nom sur l'acte", "{last} {child}"),
            ("Date de l'événement", "{birth}"),
            ("Motif", "Dossier administratif"),
        ),
        weight=18,
        attachments=("piece_identite.jpg",),
    ),
    DemoProcedure(
        "etat_civil_mariage",
        "Demande d'acte de mariage",
        SilenceRule.REJECT,
        2,
        PeriodUnit.MONTHS,
        ("Pièce d'identité du demandeur",),
        ("Copie d'acte de mariage", "Extrait d'acte de mariage {last}"),
        (
            "Bonjour, pourriez-vous m'envoyer une copie de mon acte de mariage célébré à {city} le "
            "{birth} ? Merci.",
        ),
        (
            ("Type d'acte", "Extrait avec filiation"),
            ("Nom des époux", "{last}"),
            ("Date du mariage", "{birth}"),
        ),
        weight=6,
    ),
    DemoProcedure(
        "inscription_scolaire",
        "Inscription scolaire",
        SilenceRule.ACCEPT,
        2,
        PeriodUnit.MONTHS,
        (
            "Livret de famille",
            "Justificatif de domicile de moins de 3 mois",
            "Carnet de vaccinations",
        ),
        (
            "Inscription {de_child} en {grade} — {school}",
            "Inscription scolaire rentrée {year}",
            "Demande de dérogation de secteur pour {child}",
        ),
        (
            "Bonjour, nous venons d'emménager {street} et souhaitons inscrire notre enfant {child} "
            "en {grade} à l'{school} pour la rentrée. Les pièces sont jointes.",
            "Madame, Monsieur, je sollicite l'inscription de ma fille {child} à l'{school}. "
            "Elle est actuellement scolarisée à Épinal. Bien cordialement.",
        ),
        (
            ("Enfant", "{child} {last}"),
            ("Date de naissance", "{child_birth}"),
            ("Classe demandée", "{grade}"),
            ("École souhaitée", "{school}"),
            ("Cantine", "{yes_no}"),
        ),
        weight=12,
        attachments=("livret_famille.pdf", "justificatif_domicile.pdf"),
    ),
    DemoProcedure(
        "recensement_citoyen",
        "Recensement citoyen obligatoire",
        SilenceRule.NONE,
        0,
        PeriodUnit.DAYS,
        ("Pièce d'identité", "Livret de famille"),
        ("Recensement citoyen — {child} {last}", "Recensement à 16 ans"),
        (
            "Bonjour, mon fils {child} a eu 16 ans le mois dernier, je souhaite effectuer son "
            "recensement citoyen. Merci de m'indiquer la marche à suivre.",
        ),
        (
            ("Jeune recensé", "{child} {last}"),
            ("Date de naissance", "{child_birth}"),
            ("Nationalité", "française"),
        ),
        weight=8,
        attachments=("carte_identite.pdf",),
    ),
    DemoProcedure(
        "subvention_association",
        "Demande de subvention (association)",
        SilenceRule.REJECT,
        2,
        PeriodUnit.MONTHS,
        (
            "Statuts de l'association",
            "Budget prévisionnel",
            "Relevé d'identité bancaire",
            "Compte rendu de la dernière assemblée générale",
        ),
        (
            "Demande de subvention {year} — {org}",
            "Subvention exceptionnelle : fête de la musique",
            "Aide au fonctionnement {year}",
        ),
        (
            "Monsieur le Maire, l'association {org} sollicite une subvention de {amount} € pour "
            "l'organisation de son tournoi annuel. Vous trouverez ci-joint le budget prévisionnel.",
            "Madame, Monsieur, nous vous adressons notre dossier de demande de subvention pour "
            "l'année {year}. Notre association compte {members} adhérents.",
        ),
        (
            ("Association", "{org}"),
            ("N° RNA", "{rna}"),
            ("Montant demandé", "{amount} €"),
            ("Objet de l'aide", "Fonctionnement {year}"),
        ),
        citizen_kinds=(CitizenKind.ASSOCIATION,),
        weight=6,
        attachments=("budget_previsionnel.pdf", "statuts.pdf", "rib.pdf"),
    ),
    DemoProcedure(
        "signalement_voirie",
        "Signalement voirie",
        SilenceRule.NONE,
        0,
        PeriodUnit.DAYS,
        (),
        (
            "Nid-de-poule {street}",
            "Éclairage public en panne {street}",
            "Dépôt sauvage près du {place}",
            "Trottoir dégradé {street}",
        ),
        (
            "Bonjour, je signale un nid-de-poule dangereux devant le n° {num} {street}. "
            "Plusieurs cyclistes ont failli tomber.",
            "Le lampadaire en face du {num} {street} ne fonctionne plus depuis une semaine.",
            "Des encombrants ont été déposés près du {place}. Merci d'intervenir.",
        ),
        (("Adresse", "{num} {street}"), ("Nature du problème", "{problem}")),
        weight=14,
        attachments=("photo.jpg",),
    ),
    DemoProcedure(
        "certificat_urbanisme",
        "Certificat d'urbanisme d'information",
        SilenceRule.ACCEPT,
        1,
        PeriodUnit.MONTHS,
        ("Plan de situation",),
        ("CUa parcelle {parcel}", "Certificat d'urbanisme — vente {street}"),
        (
            "Maître {last}, notaire, sollicite un certificat d'urbanisme d'information pour la "
            "parcelle {parcel} située {street}.",
        ),
        (
            ("Parcelle cadastrale", "{parcel}"),
            ("Adresse du terrain", "{num} {street}"),
            ("Superficie (m²)", "{area}"),
        ),
        citizen_kinds=(CitizenKind.COMPANY, CitizenKind.PERSON),
        weight=6,
        attachments=("plan_situation.pdf",),
    ),
    DemoProcedure(
        "declaration_prealable",
        "Déclaration préalable de travaux",
        SilenceRule.ACCEPT,
        1,
        PeriodUnit.MONTHS,
        ("Plan de situation", "Plan de masse", "Photographies", "Notice descriptive"),
        (
            "Pose d'une clôture {street}",
            "Ravalement de façade {street}",
            "Installation de panneaux photovoltaïques",
            "Abri de jardin de 12 m²",
        ),
        (
            "Bonjour, je souhaite réaliser des travaux au {num} {street} et vous adresse ma "
            "déclaration préalable avec les plans.",
        ),
        (
            ("Nature des travaux", "{works}"),
            ("Adresse", "{num} {street}"),
            ("Surface créée (m²)", "{small_area}"),
        ),
        weight=8,
        attachments=("plan_masse.pdf", "photo_facade.jpg"),
    ),
    DemoProcedure(
        "occupation_domaine_public",
        "Occupation du domaine public (terrasse, échafaudage)",
        SilenceRule.REJECT,
        2,
        PeriodUnit.MONTHS,
        ("Attestation d'assurance", "Plan d'implantation"),
        ("Terrasse du café {org}", "Échafaudage {street} à partir du {event_date}"),
        (
            "Nous sollicitons une autorisation d'occupation du domaine public pour installer une "
            "terrasse de {members} m² devant notre établissement {street}.",
        ),
        (
            ("Établissement", "{org}"),
            ("Emprise (m²)", "{small_area}"),
            ("Période", "avril à octobre"),
        ),
        citizen_kinds=(CitizenKind.COMPANY,),
        weight=4,
        attachments=("assurance.pdf",),
    ),
    DemoProcedure(
        "reservation_salle",
        "Réservation de salle communale",
        SilenceRule.ACCEPT,
        15,
        PeriodUnit.DAYS,
        ("Attestation d'assurance responsabilité civile",),
        ("Réservation salle des fêtes le {event_date}", "Location de la salle polyvalente"),
        (
            "Bonjour, je souhaiterais réserver la salle des fêtes le {event_date} "
            "pour un anniversaire d'environ {members} personnes. Est-elle disponible ?",
        ),
        (
            ("Salle", "Salle des fêtes"),
            ("Date souhaitée", "{event_date}"),
            ("Nombre de personnes", "{members}"),
        ),
        citizen_kinds=(CitizenKind.PERSON, CitizenKind.ASSOCIATION),
        weight=7,
    ),
    DemoProcedure(
        "debit_boissons_temporaire",
        "Débit de boissons temporaire",
        SilenceRule.ACCEPT,
        3,
        PeriodUnit.WEEKS,
        ("Programme de la manifestation",),
        ("Buvette — {org}", "Débit de boissons pour la kermesse"),
        (
            "L'association {org} organise sa kermesse le {event_date} et sollicite l'autorisation "
            "d'ouvrir une buvette temporaire (boissons du 3e groupe).",
        ),
        (("Manifestation", "Kermesse"), ("Date", "{event_date}"), ("Lieu", "{place}")),
        citizen_kinds=(CitizenKind.ASSOCIATION,),
        weight=3,
    ),
    DemoProcedure(
        "concession_funeraire",
        "Concession funéraire",
        SilenceRule.REJECT,
        2,
        PeriodUnit.MONTHS,
        ("Pièce d'identité", "Acte de décès"),
        ("Renouvellement de concession — famille {last}", "Achat d'une concession trentenaire"),
        (
            "Madame, Monsieur, je souhaite renouveler la concession de la famille {last} au "
            "cimetière communal, arrivée à échéance.",
        ),
        (
            ("Cimetière", "Cimetière communal"),
            ("Emplacement", "Carré {letter}, n° {num}"),
            ("Durée", "30 ans"),
        ),
        weight=4,
    ),
    DemoProcedure(
        "attestation_accueil",
        "Attestation d'accueil",
        SilenceRule.REJECT,
        1,
        PeriodUnit.MONTHS,
        ("Pièce d'identité", "Justificatif de domicile", "Titre de propriété ou bail"),
        ("Attestation d'accueil — {child} {last}",),
        (
            "Bonjour, je souhaite accueillir ma cousine pendant trois semaines cet été "
            "et ai besoin d'une attestation d'accueil.",
        ),
        (
            ("Personne accueillie", "{child} {last}"),
            ("Dates du séjour", "du {event_date}, 3 semaines"),
        ),
        weight=3,
    ),
)

GRADES = ("petite section", "moyenne section", "grande section", "CP", "CE1", "CE2", "CM1", "CM2")
ASSOCIATION_WORDS = (
    "Amicale des sapeurs-pompiers",
    "Club de football",
    "Les Amis du patrimoine",
    "Comité des fêtes",
    "Harmonie municipale",
    "Association des parents d'élèves",
    "Club des aînés",
    "Chorale Sainte-Cécile",
    "Société de gymnastique",
    "Les Randonneurs",
)
PLACES = ("lavoir", "cimetière", "stade municipal", "parking de la gare", "city-stade", "étang")

#: The demo's logged-in agent, so "assignées à moi" shows something.
DEMO_AGENT_LOGIN = "smartin"
DEMO_AGENTS = (
    ("smartin", "Sophie Martin", "clerk"),
    ("jhoffmann", "Julien Hoffmann", "clerk"),
    ("mschmitt", "Marie-Noëlle Schmitt", "official"),
)

PROBLEMS = ("Nid-de-poule", "Lampadaire en panne", "Dépôt sauvage", "Trottoir dégradé")
WORKS = ("Clôture", "Ravalement de façade", "Panneaux photovoltaïques", "Abri de jardin")
