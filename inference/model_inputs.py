"""What the model reads of each unit: its text (and, for a heading or short unit, the start of the next one) and
its context (the document's title and the heading path), in `model_form`; encoded for the encoder."""

from __future__ import annotations

from .boilerplate import titled_pieces
from .normalize import model_form
from .segment import SECTION_SEP, assign_sections, document_title


def contextualize(units: list[dict]) -> list[dict]:
    """Recompute the `section` and `title` of every complete document from its units, exactly as `govtag segment`
    does, so the model trains and is evaluated on the context it sees when tagging. A document labeled before
    `segment` cut 范文 pages at titled piece markers ("篇二:…") gets each piece's context as that cut gives it."""
    docs: dict[str, list[dict]] = {}
    for u in units:
        docs.setdefault(str(u["doc_id"]), []).append(u)
    for doc in docs.values():
        doc.sort(key=lambda u: u["seq"])
        if [u["seq"] for u in doc] != list(range(len(doc))):
            continue  # an excerpt (e.g. imported corrections): its headings are not all here, keep its context
        for a, b in titled_pieces([u["text"] for u in doc]):
            pairs = [(u["text"], bool(u.get("heading"))) for u in doc[a:b]]
            title = document_title(pairs)
            for u, section in zip(doc[a:b], assign_sections(pairs)):
                u["section"], u["title"] = section, title
    return units


def context(section: str, chars: int) -> str:
    """At most `chars` characters of the heading path: the start of the top-level part (review, problems
    or plans?) and the nearest headings, dropping the middle when it is too long."""
    if len(section) <= chars:
        return section
    top, _, rest = section.partition(" > ")
    head = top[: chars // 3]
    return f"{head} … {rest[-(chars - len(head) - 3) :]}" if rest else top[:chars]


def model_texts(units: list[dict], model) -> list[str]:
    """What the encoder reads of each unit (`model`: a ModelConfig): its text in `model_form`, and for a heading
    or a short unit (an unnumbered sub-heading of a web copy: 社区层面) the start of the unit after it in its
    document too, for a heading is labelled by the part it opens (GUIDELINES rule 1)."""
    chars = model.lookahead_chars
    if not chars:
        return [model_form(u["text"]) for u in units]
    following = {(u.get("doc_id"), u.get("seq")): u["text"] for u in units}
    texts = []
    for u in units:
        after = following.get((u.get("doc_id"), u["seq"] + 1)) if isinstance(u.get("seq"), int) else None
        opens = u.get("heading") or len(u["text"].strip()) <= model.short_unit_chars
        texts.append(model_form(f"{u['text']} → {after[:chars]}" if after and opens else u["text"]))
    return texts


def model_contexts(units: list[dict], model) -> list[str]:
    """What the encoder reads around each unit: the start of its document's title (`model.title_chars`; 0: none)
    and its heading path (`context`), in `model_form`."""
    out = []
    for u in units:
        path = context(u.get("section") or "", model.section_chars)
        title = (u.get("title") or "")[: model.title_chars]
        out.append(model_form(f"{title}{SECTION_SEP}{path}" if title and path else title or path))
    return out


CONTEXT = "context_"  # prefix of the heading path's own token ids when the model reads it separately


def encode(tokenizer, texts: list[str], contexts: list[str], max_length: int, separate: bool = False) -> dict:
    """Unit text paired with its context (`model_contexts`), truncated to the model window, not padded; with
    `separate`, the text alone and the context's ids under context_input_ids/context_attention_mask."""
    if not separate:
        return tokenizer(texts, contexts, truncation=True, max_length=max_length)
    own = tokenizer(texts, truncation=True, max_length=max_length)
    heading = tokenizer(contexts, truncation=True, max_length=max_length)
    return {**own, **{CONTEXT + k: heading[k] for k in ("input_ids", "attention_mask")}}
