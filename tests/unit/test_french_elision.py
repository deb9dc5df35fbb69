"""« Appel d'Hélène », not « Appel de Hélène »: elision before names (issue 9, item 20)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain.french import de_name, elide


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hélène Roux", "d'Hélène Roux"),
        ("Claire Martin", "de Claire Martin"),
        ("Émile Zola", "d'Émile Zola"),
        ("Anne", "d'Anne"),
        ("Œdipe", "d'Œdipe"),
        ("ÉLODIE", "d'ÉLODIE"),
        ("Henri", "d'Henri"),
        ("Hugo", "d'Hugo"),
        ("Yves", "d'Yves"),
        ("Yasmine", "de Yasmine"),
        ("Yann", "de Yann"),
        ("  Inès  ", "d'Inès"),
        ("Hr", "de Hr"),
        ("3F Habitat", "de 3F Habitat"),
        ("", "de"),
    ],
)
def test_de_name(name: str, expected: str) -> None:
    assert de_name(name) == expected


def test_elide_other_words() -> None:
    assert elide("le", "Ordre") == "l'Ordre"
    assert elide("que", "Isabelle") == "qu'Isabelle"
    assert elide("la", "Anne") == "la Anne"  # only a final « e » elides here


#: Names as French registers write them: Latin letters with their accents (dotless ı and long
#: ſ left out: their case pairs are not French letters), spaces, digits, hyphens.
names = st.text(
    alphabet=st.characters(
        categories=("Lu", "Ll", "Zs", "Nd", "Pd"), max_codepoint=0x17F, exclude_characters="ıſ"
    ),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip())


@given(names)
def test_the_name_is_kept_whole(name: str) -> None:
    result = de_name(name)
    assert result in (f"de {name.strip()}", f"d'{name.strip()}")


@given(names)
def test_the_case_of_the_name_does_not_change_the_rule(name: str) -> None:
    assert de_name(name).startswith("d'") == de_name(name.swapcase()).startswith("d'")


@given(names)
def test_accents_do_not_change_the_rule(name: str) -> None:
    """« Émile » elides as « Emile » does: the decision reads the letter, not its accent."""
    bare = "".join(
        c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c)
    )
    if len(bare) == len(name):
        assert de_name(name).startswith("d'") == de_name(bare).startswith("d'")


@given(st.sampled_from("bcdfgjklmnpqrstvwxzç"), names)
def test_never_before_a_consonant(first: str, rest: str) -> None:
    assert de_name(first + rest).startswith("de ")


@given(st.sampled_from("aeiouàâéèêëîïôöùûüæœAEIOUÀÂÉÈÊÎÏÔÖÙÛÆŒ"), names)
def test_always_before_a_vowel(first: str, rest: str) -> None:
    assert de_name(first + rest) == f"d'{(first + rest).strip()}"


def test_the_letter_is_for_the_attention_d_helene(demo_db) -> None:  # type: ignore[no-untyped-def]
    """A letter to an association names its contact with the same rule."""
    from desktop.services.letters import LetterService, _recipient

    pk, citizen_pk = demo_db.execute(
        "SELECT r.pk, c.pk FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE c.kind = 'association' ORDER BY r.pk LIMIT 1"
    ).fetchone()
    demo_db.execute(
        "UPDATE citizen SET first_name = 'Hélène', last_name = 'Roux' WHERE pk = ?", (citizen_pk,)
    )
    recipient = _recipient(LetterService(demo_db).facts(pk))
    assert recipient.address_lines[0] == "À l'attention d'Hélène ROUX"
