"""One encoder, two heads: governance domain and statement type."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class GovTagModel(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        n_domain: int,
        n_type: int,
        pooling: str = "mean",
        dropout: float = 0.1,
        domain_weights: torch.Tensor | None = None,
        type_weights: torch.Tensor | None = None,
        label_smoothing: float = 0.0,
        separate_context: bool = False,
        context_gradients: bool = True,
    ):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        self.label_smoothing = label_smoothing
        self.separate_context = separate_context
        self.context_gradients = context_gradients  # False: training backpropagates through the unit's text only
        # separate context: the heads read the unit's vector, its heading path's and their product
        hidden = encoder.config.hidden_size * (3 if separate_context else 1)
        self.dropout = nn.Dropout(dropout)
        self.domain_head = nn.Linear(hidden, n_domain)
        self.type_head = nn.Linear(hidden, n_type)
        # Class weights against imbalance; buffers so they travel with .to(device) but are not saved.
        self.register_buffer("domain_weights", domain_weights, persistent=False)
        self.register_buffer("type_weights", type_weights, persistent=False)

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def embed(self, input_ids, attention_mask, token_type_ids=None) -> torch.Tensor:
        if getattr(self.encoder.config, "type_vocab_size", 2) < 2:
            token_type_ids = None  # XLM-R style encoders have a single segment embedding
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        return self.pool(hidden, attention_mask)

    def embed_distinct(self, input_ids, attention_mask, rows_per_pass: int = 4) -> torch.Tensor:
        """embed() of a right-padded batch, each distinct row encoded once and the rows in passes of similar
        length: heading paths are short, many repeat (units blanked of theirs share the empty one), and
        padding all of them to the longest cost training a fifth of its time."""
        rows, inverse = torch.unique(torch.cat([input_ids, attention_mask], 1), dim=0, return_inverse=True)
        ids, mask = rows.split(input_ids.shape[1], 1)
        lengths = mask.sum(1)
        order = lengths.argsort()
        parts = []
        for chunk in order.split(rows_per_pass):
            width = int(lengths[chunk].max())
            parts.append(self.embed(ids[chunk, :width], mask[chunk, :width]))
        return torch.cat(parts)[order.argsort()][inverse]

    def classify(self, pooled: torch.Tensor, context: torch.Tensor | None = None) -> dict:
        if self.separate_context:
            pooled = torch.cat([pooled, context, pooled * context], -1)
        pooled = self.dropout(pooled)
        return {"domain_logits": self.domain_head(pooled), "type_logits": self.type_head(pooled)}

    def forward(
        self,
        input_ids,
        attention_mask,
        token_type_ids=None,
        context_input_ids=None,
        context_attention_mask=None,
        domain_labels=None,
        type_labels=None,
    ):
        pooled = self.embed(input_ids, attention_mask, token_type_ids)
        context = None
        if self.separate_context:
            with torch.set_grad_enabled(torch.is_grad_enabled() and self.context_gradients):
                context = self.embed_distinct(context_input_ids, context_attention_mask)
        out = self.classify(pooled, context)
        if domain_labels is not None and type_labels is not None:
            out["loss"] = sum(
                F.cross_entropy(out[f"{task}_logits"], labels, weight=weights, label_smoothing=self.label_smoothing)
                for task, labels, weights in (
                    ("domain", domain_labels, self.domain_weights),
                    ("type", type_labels, self.type_weights),
                )
            )
        return out


def class_weights(counts: list[int], scheme: str) -> torch.Tensor | None:
    """Per-class loss weights from training counts, normalised to mean 1 over present classes."""
    if scheme == "none":
        return None
    power = {"inverse": 1.0, "sqrt_inverse": 0.5}[scheme]  # the allowed schemes: config.CHOICES
    c = torch.tensor(counts, dtype=torch.float)
    w = torch.where(c > 0, c.clamp(min=1) ** -power, torch.zeros_like(c))
    return w * (c > 0).sum() / w.sum()
