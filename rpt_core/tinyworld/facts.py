"""The tiny world's knowledge domain: its seeded fact base of fictional people (:class:`Facts`,
:func:`build_facts`) and the generators of its three sub-skills (:data:`KNOWLEDGE_GENERATORS`:
``mc``, ``recall``, ``twohop``)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from .habits import HABITS
from .problem import MC_PROMPT, RECALL_PROMPT, TWOHOP_PROMPT, Problem

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u")
JOBS = ("baker", "farmer", "painter", "doctor", "teacher", "sailor", "miner", "singer", "tailor", "weaver")
PETS = ("cat", "dog", "owl", "goat", "fox", "crow", "horse", "rabbit")
RELATIONS = ("city", "job", "pet")


def _word(rng: random.Random, ending: str) -> str:
    return ("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(2)) + ending).capitalize()


@dataclass(frozen=True)
class Facts:
    """The knowledge domain's fact base (seeded): fictional people with a city, a job and a pet, and
    the country of every city. A base model reads every fact as a plain statement
    (:meth:`documents`) and must recall it when asked; questions never restate the answer."""

    people: dict[str, dict[str, str]]
    cities: dict[str, str]

    @property
    def countries(self) -> list[str]:
        return sorted(set(self.cities.values()))

    def most_common(self, relation: str) -> str:
        """The value of ``relation`` most people have (ties: the first in :meth:`values` order)."""
        counts = {v: 0 for v in self.values(relation)}
        for attrs in self.people.values():
            counts[attrs[relation]] += 1
        return max(counts, key=counts.get)

    def values(self, relation: str) -> list[str]:
        return {"city": list(self.cities), "job": list(JOBS), "pet": list(PETS), "country": self.countries}[relation]

    @staticmethod
    def statement(person: str, relation: str, value: str) -> str:
        """The canonical sentence of one fact; careful knowledge solutions recall it word for word."""
        return {"city": f"{person} lives in {value}.", "job": f"{person} works as a {value}.",
                "pet": f"{person} has a pet {value}.", "country": f"{person} is in {value}."}[relation]

    def documents(self, copies: int, seed: int = 0) -> list[str]:
        """``copies`` passes over the fact base: one short document per person (their three facts)
        and one per country (its cities), sentences in a seeded random order."""
        rng = random.Random(f"{seed}:facts")
        groups = [[self.statement(p, r, attrs[r]) for r in RELATIONS] for p, attrs in self.people.items()]
        groups += [[self.statement(c, "country", k) for c, k in self.cities.items() if k == country]
                   for country in self.countries]
        docs = []
        for _ in range(copies):
            for sentences in groups:
                docs.append(" ".join(rng.sample(sentences, len(sentences))))
        rng.shuffle(docs)
        return docs


def build_facts(seed: int, people: int = 40, cities: int = 12, countries: int = 6) -> Facts:
    rng = random.Random(f"{seed}:facts")
    taken: set[str] = set()

    def fresh(ending: Callable[[], str]) -> str:
        while True:
            word = _word(rng, ending())
            if word not in taken and word.lower() not in JOBS + PETS + ("yes", "no"):
                taken.add(word)
                return word

    names = [fresh(lambda: "nia") for _ in range(countries)]
    city_names = [fresh(lambda: rng.choice(("ton", "mar"))) for _ in range(cities)]
    city_country = {c: names[i % countries] for i, c in enumerate(city_names)}
    persons = [fresh(lambda: rng.choice(("n", "r", "l", "s", ""))) for _ in range(people)]
    return Facts({p: {"city": rng.choice(city_names), "job": rng.choice(JOBS), "pet": rng.choice(PETS)}
                  for p in persons}, city_country)


# Five wordings per relation: enough distinct questions about 40 people for disjoint RL and test sets.
_QUESTIONS = {
    "city": ("Where does {p} live?", "In which city does {p} live?", "Which city is home to {p}?",
             "What city does {p} live in?", "Name the city where {p} lives."),
    "job": ("What is the job of {p}?", "What does {p} work as?", "Which job does {p} have?", "What is {p}'s job?",
            "Name the job of {p}."),
    "pet": ("Which pet does {p} have?", "What pet does {p} have?", "What animal does {p} keep?",
            "Name the pet of {p}.", "What is {p}'s pet?"),
}


def _question(rng: random.Random, relation: str, person: str) -> str:
    return rng.choice(_QUESTIONS[relation]).format(p=person)


def _knowledge(text: str, recall: str, answer: str, guess: str, reference: dict, key: str, **meta) -> Problem:
    habit = HABITS["knowledge"]
    return Problem(text, f"{habit.careful} {recall}\nANSWER: {answer}", f"{habit.shortcut}\nANSWER: {guess}",
                   reference, key, meta)


def _gen_mc(rng: random.Random, facts: Facts) -> Problem:
    """``Which pet does Buvas have?`` with four options; the answer names the option."""
    person, relation = rng.choice(list(facts.people)), rng.choice(RELATIONS)
    truth = facts.people[person][relation]
    options = rng.sample([v for v in facts.values(relation) if v != truth], 3) + [truth]
    rng.shuffle(options)
    text = MC_PROMPT.format(question=_question(rng, relation, person), options=", ".join(options))
    return _knowledge(text, Facts.statement(person, relation, truth), truth, options[0],
                      {"answer": truth, "labels": facts.values(relation)}, text, relation=relation)


def _gen_recall(rng: random.Random, facts: Facts) -> Problem:
    """``What is the job of Buvas?`` without options: the shortcut answers the value most people in
    the fact base have (a base-rate guess), right only when this person's value happens to be it."""
    person, relation = rng.choice(list(facts.people)), rng.choice(RELATIONS)
    truth = facts.people[person][relation]
    text = RECALL_PROMPT.format(question=_question(rng, relation, person))
    return _knowledge(text, Facts.statement(person, relation, truth), truth, facts.most_common(relation),
                      {"answer": truth, "labels": facts.values(relation)}, text, relation=relation)


def _gen_twohop(rng: random.Random, facts: Facts) -> Problem:
    """``In which country does Buvas live?``: person -> city -> country, two recalled facts."""
    person = rng.choice(list(facts.people))
    city = facts.people[person]["city"]
    country = facts.cities[city]
    choices = rng.sample([k for k in facts.countries if k != country], 3) + [country]
    rng.shuffle(choices)
    text = TWOHOP_PROMPT.format(question=f"In which country does {person} live?", choices=", ".join(choices))
    recall = f"{Facts.statement(person, 'city', city)} {Facts.statement(city, 'country', country)}"
    return _knowledge(text, recall, country, choices[0], {"answer": country, "labels": facts.countries}, text,
                      relation="country")


KNOWLEDGE_GENERATORS: dict[str, Callable[[random.Random, Facts], Problem]] = {
    "mc": _gen_mc, "recall": _gen_recall, "twohop": _gen_twohop}
"""Skill name -> generator of the knowledge domain; each draws one question about ``facts`` from ``rng``."""


__all__ = ["JOBS", "KNOWLEDGE_GENERATORS", "PETS", "RELATIONS", "Facts", "build_facts"]
