"""Prompt grammar for the NitroLive embedded demo model.

A scene is a dict:
  {"kind": "single"|"count"|"pair", "background": colour name,
   "objects": [{"colour", "shape", "size": "small"|"big"|None, "position": name|None, "count": 1..3}, ...]}
(one entry for single/count, two for pair; "count" only > 1 for kind == "count").

Prompt text (all lower case; extra words anywhere are ignored by the parser):
  single: "a [small|big|large] <colour> <shape> [at the|in the <position>] [on a <colour> background]"
  count:  "two|three [small|big|large] <colour> <shape>s [at the|in the <position>] [on a ... background]"
  pair:   "<obj> [at the <pos>] and <obj> [at the <pos>] [on a ... background]"  (both or neither have positions)
"one" is accepted for "a"/"an". Default background: white. Default size: big.
"""
import random
import zlib

COLOURS = {
    "red": (230, 30, 30),
    "green": (30, 170, 50),
    "blue": (30, 70, 230),
    "yellow": (250, 225, 20),
    "orange": (250, 140, 10),
    "purple": (140, 40, 190),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}
COLOUR_NAMES = list(COLOURS)
SHAPES = ["circle", "square", "triangle"]
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles"}
SINGULAR = {v: k for k, v in PLURAL.items()}
SIZES = ["small", "big"]
POSITIONS = ["center", "top", "bottom", "left", "right", "top left", "top right", "bottom left", "bottom right"]
# fractional centre of each position on the canvas (x, y)
POS_XY = {
    "center": (0.5, 0.5), "top": (0.5, 0.25), "bottom": (0.5, 0.75), "left": (0.25, 0.5), "right": (0.75, 0.5),
    "top left": (0.25, 0.25), "top right": (0.75, 0.25), "bottom left": (0.25, 0.75), "bottom right": (0.75, 0.75),
}
COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
DEFAULT_BACKGROUND = "white"

# every word the grammar can produce (each becomes exactly one BPE token "word</w>")
GRAMMAR_WORDS = sorted(set(
    COLOUR_NAMES + SHAPES + list(PLURAL.values()) + ["small", "big", "large"]
    + ["center", "top", "bottom", "left", "right"] + list(COUNT_WORDS)
    + ["at", "the", "in", "on", "and", "background"]))

JUNK_PHRASES = ["a photo of", "please", "draw", "an image of", "a picture of", "simple", "render", "showing",
                "i want", "nice", "clean", "flat", "illustration", "with", "of", "very", "pretty", "scene"]

# ---------------------------------------------------------------- example prompts
# Written to nitrolive.json as example_prompts: the studio offers the first four as "Try" chips and a kiosk with no
# playlist of its own cycles through all of them, so together they show everything the model draws (one object, a
# count, two objects, positions, sizes, backgrounds). Each was drawn right at 16 seeds out of 16 at 1 and at 4 steps
# through the C# pipeline when chosen; eval/examples.json holds their scenes, and a C# test keeps them drawn right.
EXAMPLE_PROMPTS = (
    "a red circle on a blue background",
    "two yellow triangles on a purple background",
    "a white triangle and an orange circle on a black background",
    "three white squares on a blue background",
    "a small purple circle in the top right on a yellow background",
    "a yellow circle at the top right and a green triangle at the bottom left on a blue background",
    "a big orange triangle on a purple background",
    "a black circle and a white square on a red background",
)

# ---------------------------------------------------------------- held-out combinations
# (object colour, background) pairs never used in training:
HELDOUT_COLOUR_BG = {("green", "purple"), ("purple", "yellow"), ("orange", "blue"), ("white", "red"),
                     ("yellow", "black"), ("black", "green")}


def _h(*parts):
    return zlib.crc32("|".join(parts).encode())


def heldout_triple(colour, shape, position):
    """(colour, shape, resolved position) triples never used in training: a fixed ~1/9 of all triples,
    chosen by a CRC32 hash; the end-to-end test combination red circle center is always kept in training."""
    if (colour, shape, position) == ("red", "circle", "center"):
        return False
    return _h(colour, shape, position) % 9 == 0


def resolved_positions(scene):
    """position names used for the held-out rule (pairs without explicit positions use 'pairleft'/'pairright')."""
    objs = scene["objects"]
    if scene["kind"] == "pair":
        if objs[0]["position"] is None:
            return ["pairleft", "pairright"]
        return [o["position"] for o in objs]
    return [objs[0]["position"] or "center"]


def is_heldout(scene):
    bg = scene["background"]
    for o, p in zip(scene["objects"], resolved_positions(scene)):
        if (o["colour"], bg) in HELDOUT_COLOUR_BG:
            return True
        if heldout_triple(o["colour"], o["shape"], p):
            return True
    return False


# ---------------------------------------------------------------- text
def object_phrase(o, kind):
    size = o["size"]
    size_w = "" if size is None else (size if size == "small" else o.get("size_word", "big"))
    if kind == "count":
        words = [{2: "two", 3: "three"}[o["count"]]]
        noun = PLURAL[o["shape"]]
    else:
        art = o.get("article", "a")
        first = size_w if size_w else o["colour"]
        if art == "a" and first[0] in "aeiou":
            art = "an"
        words = [art]
        noun = o["shape"]
    if size_w:
        words.append(size_w)
    words += [o["colour"], noun]
    if o["position"] is not None:
        words += [o.get("prep", "at"), "the", o["position"]]
    return " ".join(words)


def scene_to_prompt(scene):
    objs = scene["objects"]
    text = object_phrase(objs[0], scene["kind"])
    if scene["kind"] == "pair":
        text += " and " + object_phrase(objs[1], "pair")
    if scene.get("explicit_bg", True) or scene["background"] != DEFAULT_BACKGROUND:
        text += " on a %s background" % scene["background"]
    return text


def parse_prompt(text):
    """Parse a prompt into a scene (ignoring unknown words). Raises ValueError when no object is found
    or an object has the background colour."""
    words = text.lower().replace(",", " ").replace(".", " ").split()
    bg = DEFAULT_BACKGROUND
    # background: "<colour> background"
    for i, w in enumerate(words):
        if w == "background" and i > 0 and words[i - 1] in COLOURS:
            bg = words[i - 1]
            words = words[:i - 1] + words[i + 1:]
            break
    objs = []
    cur = None
    i = 0
    while i < len(words):
        w = words[i]
        if w in COUNT_WORDS:
            cur = {"count": COUNT_WORDS[w], "size": None, "colour": None, "shape": None, "position": None}
        elif w in ("small", "big", "large") and cur is not None:
            cur["size"] = "small" if w == "small" else "big"
        elif w in COLOURS and cur is not None and cur["shape"] is None:
            cur["colour"] = w
        elif (w in SHAPES or w in SINGULAR) and cur is not None and cur["colour"] is not None and cur["shape"] is None:
            cur["shape"] = w if w in SHAPES else SINGULAR[w]
            objs.append(cur)
        elif w in ("top", "bottom", "left", "right", "center") and objs and objs[-1]["position"] is None:
            if w in ("top", "bottom") and i + 1 < len(words) and words[i + 1] in ("left", "right"):
                objs[-1]["position"] = w + " " + words[i + 1]
                i += 1
            else:
                objs[-1]["position"] = w
        i += 1
    if not objs:
        raise ValueError("no object in prompt: %r" % text)
    objs = objs[:2]
    for o in objs:
        if o["colour"] == bg:
            raise ValueError("object colour equals background colour: %r" % text)
    if len(objs) == 2:
        for o in objs:
            o["count"] = 1
        if (objs[0]["position"] is None) != (objs[1]["position"] is None) or (
                objs[0]["position"] is not None and objs[0]["position"] == objs[1]["position"]):
            objs[0]["position"] = objs[1]["position"] = None
        kind = "pair"
    else:
        kind = "count" if objs[0]["count"] > 1 else "single"
    return {"kind": kind, "background": bg, "objects": objs}


# ---------------------------------------------------------------- sampling
def _rand_obj(rng, bg):
    colour = rng.choice([c for c in COLOUR_NAMES if c != bg])
    return {"colour": colour, "shape": rng.choice(SHAPES), "size": rng.choice(["small", "big", None]),
            "position": None, "count": 1}


DEFAULT_KINDS = (("single", 0.45), ("count", 0.25), ("pair", 0.30))


def sample_scene(rng, heldout=False, kinds=DEFAULT_KINDS, pair_positioned=0.5):
    """Sample a valid scene; heldout=False only returns training scenes, heldout=True only held-out ones.
    kinds weighs single / count / pair scenes; pair_positioned is the share of pairs that name both positions."""
    from render import layout  # local import (render imports grammar)
    while True:
        r = rng.random()
        acc = 0.0
        kind = kinds[-1][0]
        for k, p in kinds:
            acc += p
            if r < acc:
                kind = k
                break
        bg = DEFAULT_BACKGROUND if rng.random() < 0.25 else rng.choice(COLOUR_NAMES)
        explicit_bg = bg != DEFAULT_BACKGROUND or rng.random() < 0.5
        o = _rand_obj(rng, bg)
        if rng.random() < 0.8:
            o["position"] = rng.choice(POSITIONS)
        objs = [o]
        if kind == "count":
            o["count"] = rng.choice([2, 3])
        elif kind == "pair":
            o2 = _rand_obj(rng, bg)
            if (o2["colour"], o2["shape"]) == (o["colour"], o["shape"]):
                continue
            if rng.random() < 1.0 - pair_positioned:  # (the default 0.5 keeps the original draw sequence)
                o["position"] = None
            else:
                o["position"] = rng.choice(POSITIONS)
                o2["position"] = rng.choice([p for p in POSITIONS if p != o["position"]])
            objs.append(o2)
        for ob in objs:
            ob["size_word"] = "large" if rng.random() < 0.3 else "big"
            ob["prep"] = "in" if rng.random() < 0.3 else "at"
            ob["article"] = "one" if (kind != "count" and rng.random() < 0.15) else "a"
        scene = {"kind": kind, "background": bg, "objects": objs, "explicit_bg": explicit_bg}
        if is_heldout(scene) != heldout:
            continue
        if layout(scene, 128, 128) is None:  # overlapping pair
            continue
        return scene


def junk_word(rng, phrases=True):
    if phrases and rng.random() < 0.5:
        return rng.choice(JUNK_PHRASES)
    while True:
        n = rng.randint(1, 6)
        w = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789!?,.") for _ in range(n))
        if w not in GRAMMAR_WORDS:
            return w


def add_junk(rng, text, p=0.3):
    if rng.random() >= p:
        return text
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        where = rng.random()
        j = junk_word(rng, phrases=where < 0.7)  # only random strings go in the middle of the prompt
        if where < 0.4:
            words.insert(0, j)
        elif where < 0.7:
            words.append(j)
        else:
            words.insert(rng.randint(0, len(words)), j)
    return " ".join(words)


def training_prompt(rng, scene):
    return add_junk(rng, scene_to_prompt(scene))
