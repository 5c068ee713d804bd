"""Byte-level BPE vocabulary (CLIP file format) learned from the grammar words, and a CLIP-compatible tokenizer.

vocab.json: ids 0..255 = GPT-2/CLIP bytes_to_unicode characters in that mapping's order; 256..511 the same with
"</w>"; then one id per merge (concatenation of the merge's two symbols, in merge order); then "<|startoftext|>",
"<|endoftext|>". merges.txt: "#version: 0.2" then "a b" lines.
Tokenization = CLIP's: text cleaning (lower-case + whitespace collapse), CLIP regex split, byte->unicode,
last char + "</w>", BPE with lowest-rank merge first. Sequence = [bos] + ids[:75] + [eos] padded to 77.
"""
import json
import os
import re

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
MAX_LEN = 77

# CLIP: <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
# (python's re has no \p{..}: letters = [^\W\d_], numbers = \d; identical for ASCII text)
PAT = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|(?:[^\s\w]|_)+",
                 re.IGNORECASE)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clean(text):
    return re.sub(r"\s+", " ", text.lower()).strip()


def learn_merges(words):
    """BPE merges (CLIP style, words end with </w>) until every word is a single symbol.
    Most frequent pair first (counted over the distinct words), ties broken lexicographically -> deterministic."""
    b2u = bytes_to_unicode()
    seqs = []
    for w in sorted(set(words)):
        chars = [b2u[b] for b in w.encode("utf-8")]
        seqs.append(chars[:-1] + [chars[-1] + "</w>"])
    merges = []
    while any(len(s) > 1 for s in seqs):
        counts = {}
        for s in seqs:
            for a, b in zip(s, s[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + 1
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new = []
        for s in seqs:
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and (s[i], s[i + 1]) == best:
                    out.append(s[i] + s[i + 1])
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            new.append(out)
        seqs = new
    return merges


def build_vocab(merges):
    b2u = bytes_to_unicode()
    base = list(b2u.values())
    vocab = base + [c + "</w>" for c in base] + ["".join(m) for m in merges] + [BOS, EOS]
    return {t: i for i, t in enumerate(vocab)}


class Tokenizer:
    def __init__(self, vocab, merges, pad_token=EOS):
        self.encoder = vocab
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.b2u = bytes_to_unicode()
        self.bos = vocab[BOS]
        self.eos = vocab[EOS]
        self.pad = vocab[pad_token]
        self.cache = {}

    @classmethod
    def from_dir(cls, d):
        vocab = json.load(open(os.path.join(d, "vocab.json"), encoding="utf-8"))
        lines = open(os.path.join(d, "merges.txt"), encoding="utf-8").read().split("\n")[1:]
        merges = [tuple(l.split()) for l in lines if l.strip()]
        cfg = json.load(open(os.path.join(d, "special_tokens_map.json"), encoding="utf-8"))
        pad = cfg["pad_token"]["content"] if isinstance(cfg["pad_token"], dict) else cfg["pad_token"]
        return cls(vocab, merges, pad)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for tok in PAT.findall(clean(text)):
            u = "".join(self.b2u[b] for b in tok.encode("utf-8"))
            ids += [self.encoder[p] for p in self.bpe(u)]
        return ids

    def __call__(self, text):
        ids = [self.bos] + self.encode(text)[:MAX_LEN - 2] + [self.eos]
        return ids + [self.pad] * (MAX_LEN - len(ids))


def write_tokenizer_dir(d, vocab, merges, pad_token):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(d, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n" + "".join("%s %s\n" % m for m in merges))
    tok = lambda c: {"content": c, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}
    with open(os.path.join(d, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"bos_token": tok(BOS), "eos_token": tok(EOS), "pad_token": tok(pad_token) if pad_token != "!" else "!",
                   "unk_token": tok(EOS)}, f, indent=2)
    cfg = {"add_prefix_space": False, "bos_token": tok(BOS), "clean_up_tokenization_spaces": True, "do_lower_case": True,
           "eos_token": tok(EOS), "errors": "replace", "model_max_length": MAX_LEN,
           "pad_token": pad_token if pad_token == "!" else tok(pad_token), "tokenizer_class": "CLIPTokenizer",
           "unk_token": tok(EOS)}
    for v in cfg.values():
        if isinstance(v, dict):
            v["__type"] = "AddedToken"
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
