"""A report or article body as a list of blocks, before it becomes HTML.

Pages and ground truth are both derived from the same block list: the renderers in
``body.py`` turn blocks into markup, ``truth_text`` turns them into the headings and paragraphs
an extractor should recover. Keeping one source makes it impossible for the two to disagree.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1: 一、… section; 2: （一）… sub-section


@dataclass(frozen=True)
class Para:
    text: str
    align: str = "justify"  # 'justify' | 'right' | 'center'
    lead: int = 0  # length of a bold lead-in that is part of the paragraph's text (e.g. '（一）…方面。')


@dataclass(frozen=True)
class TableRef:
    key: str  # 'active' | 'requests' | 'appeals'


@dataclass(frozen=True)
class Image:
    src: str
    alt: str = ""
    width: int = 600


Block = Heading | Para | TableRef | Image


def truth_text(blocks: list[Block]) -> tuple[list[str], list[str]]:
    """(headings, paragraphs) as an extractor should recover them."""
    headings = [b.text for b in blocks if isinstance(b, Heading)]
    paragraphs = [b.text for b in blocks if isinstance(b, Para)]
    return headings, paragraphs
