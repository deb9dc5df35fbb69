"""Who signs a letter: the maire, or the adjoint delegated for that procedure."""

from __future__ import annotations

from desktop.domain.signature import Deputy, delegate_for, signature

ADJOINTS = (
    Deputy("Paul Weber", "1er adjoint", ("*",)),
    Deputy("Anne Klein", "2e adjointe", ("etat-civil", "cimetiere")),
    Deputy("", "3e adjoint", ("urbanisme",)),
)


def test_named_delegation_wins_over_a_general_one_and_the_maire_signs_the_rest() -> None:
    assert delegate_for(ADJOINTS, "etat-civil") == ADJOINTS[1]
    assert delegate_for(ADJOINTS, "voirie") == ADJOINTS[0]
    assert signature("M. Jean Dupont", "Le Maire", ADJOINTS[1:], "voirie") == (
        "M. Jean Dupont", "Le Maire")
    assert signature("M. Jean Dupont", "", (), "etat-civil") == ("M. Jean Dupont", "Le Maire")
    assert signature("M. Jean Dupont", "Le Maire", ADJOINTS, "cimetiere") == (
        "Anne Klein", "Pour le Maire et par délégation, 2e adjointe")


def test_an_adjoint_without_a_name_never_signs() -> None:
    assert delegate_for(ADJOINTS[2:], "urbanisme") is None


def test_wire_round_trip() -> None:
    assert Deputy.from_wire(ADJOINTS[1].wire()) == ADJOINTS[1]
