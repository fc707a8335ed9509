"""Offline OCR for tables published as images: PP-OCR recognition (and detection) through rapidocr.

Where the models come from. ``rapidocr`` ships its PP-OCRv6 "small" detection and recognition ONNX
models inside the wheel (``rapidocr/models/``); the recogniser's character set is stored in the
recognition model's own metadata. The engine is built with explicit ``model_path``s to those files,
so rapidocr never reaches its download code: a missing file raises instead of fetching anything.
Nothing is downloaded at run time.

Bounds (untrusted images come from crawled sites):

* pixels: an image whose header declares more than ``MAX_PIXELS`` is refused *before* it is decoded
  (a decompression bomb: a small PNG that inflates to gigabytes), and so is anything Pillow itself
  flags as a bomb;
* time: model calls are batched (``REC_BATCH`` text lines per call, each line at most
  ``MAX_LINE_RATIO`` times as wide as high, so one call is bounded); a deadline (``MAX_SECONDS`` per
  image) is checked between calls and the lines not yet read come back unread (empty text,
  confidence 0), never guessed; callers add a bound on the number of lines (see extract.grids.image);
* CPU: onnxruntime and OpenCV use ``THREADS`` threads (the machines have 2 cores).

The engine is loaded once per process, lazily (loading takes about a second and most documents
have no image tables).

Confidence (``_decode``). A line's confidence is the lowest of: each read character's peak
probability, and for each blank frame around them the probability that no other character is there
(a character the path skipped) — not rapidocr's mean over characters, which hides one doubtful digit
among confident ones and never sees a dropped one. Classes that read the same share their
probability (full- and half-width forms, curly and straight quotes, space and blank; in a line that
reads as a number, 0 and the letter o, one shape in CJK fonts). ``LOW_CONFIDENCE`` is the level
under which a reading must be treated as unverified (see its comment).
"""
from __future__ import annotations

import io
import re
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extract.grids.errors import UnreadableDocument

MAX_PIXELS = 40_000_000  # width × height of one decoded image (a 200-dpi A4 page is 3.9 M)
MAX_SECONDS = 60.0  # per image (a dense table page takes 3–5 s on 2 cores)
THREADS = 2
REC_BATCH = 16
MAX_LINE_RATIO = 60  # width / height of one text line handed to the recogniser
MIN_RATIO = 4  # narrowest input width / height: a lone digit needs no 320-px canvas (2× faster, as exact)
# A cell whose confidence is below this was read, but not reliably: it must be flagged downstream.
# Calibrated on rendered tables at 150 dpi with rotation, blur and JPEG noise (30 reports, 5,862
# value cells read correctly): 0.1 % of correct readings fall below 0.9 (dashes the recogniser
# took for something else, settled by their shape and marked), none below 0.5; the misreadings
# seen in the slow tests that the shape and separator rules of extract.grids.image do not settle
# came out between 0.09 and 0.87. 0.9 flags all of them for a handful of false alarms.
LOW_CONFIDENCE = 0.9
FORMATS = ("PNG", "JPEG", "GIF", "BMP")


@dataclass(frozen=True)
class TextBox:
    """A piece of text read from an image, its box in the image's pixels and how sure the model is."""

    text: str
    confidence: float  # 0..1 (see the module doc); 0 for a line that was not read
    box: tuple[int, int, int, int]  # x0, y0, x1, y1


# ---------------------------------------------------------------------------------------------
# decoding, with the bomb guard


def decode_image(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Image bytes → 8-bit grey array (transparency flattened onto white), or UnreadableDocument.

    The declared size is checked from the header before any pixel is decoded."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise UnreadableDocument("not an image (empty)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=list(FORMATS))
            w, h = im.size
            if w <= 0 or h <= 0:
                raise UnreadableDocument(f"image has no pixels ({w}×{h})")
            if w * h > max_pixels:
                raise UnreadableDocument(f"image of {w}×{h} = {w * h} pixels exceeds the limit of {max_pixels} "
                                         "(decompression bomb?): refused before decoding")
            im.seek(0)  # the first frame of a GIF
            im.load()
    except UnreadableDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise UnreadableDocument(f"image exceeds the limit of {max_pixels} pixels (decompression bomb): "
                                 f"refused before decoding ({e})") from None
    except UnidentifiedImageError as e:
        raise UnreadableDocument(f"not an image: {e}") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as e:
        raise UnreadableDocument(f"unreadable image: {type(e).__name__}: {e}") from None
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im)
    return np.asarray(im.convert("L"), dtype=np.uint8).copy()


# ---------------------------------------------------------------------------------------------
# the engine


class _Engine:
    def __init__(self) -> None:
        import cv2
        import rapidocr
        from rapidocr import RapidOCR
        from rapidocr.ch_ppocr_rec import TextRecognizer

        cv2.setNumThreads(THREADS)
        models = Path(rapidocr.__file__).resolve().parent / "models"
        self.det_model = models / "PP-OCRv6_det_small.onnx"
        self.rec_model = models / "PP-OCRv6_rec_small.onnx"
        for p in (self.det_model, self.rec_model):
            if not p.is_file():
                raise RuntimeError(f"OCR model missing from the installed rapidocr wheel: {p}")
        self.ocr = RapidOCR(params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": 0.0,
            "Det.model_path": str(self.det_model),
            "Rec.model_path": str(self.rec_model),
            "Rec.rec_batch_num": REC_BATCH,
            "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
        cfg = self.ocr.cfg
        cfg.Rec.engine_cfg = cfg.EngineConfig[cfg.Rec.engine_type.value]
        cfg.Rec.model_root_dir = cfg.Global.model_root_dir
        cfg.Rec.font_path = None
        self.rec = TextRecognizer(cfg.Rec)
        self.chars = self.rec.postprocess_op.character  # index 0 is the CTC blank
        self.groups = _fold_groups(self.chars)
        self.zero_groups = _fold_groups(self.chars, zero=True)
        self.lock = threading.Lock()


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def engine() -> _Engine:
    """The process's OCR engine, loaded on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = _Engine()
    return _engine


# Printed zero and the letter o are one shape in most CJK fonts (０ is a tall ellipse): in a line
# that reads as a number they are the same character, in any other line they are not.
_ZERO_LIKE = "oOｏＯ〇○ОоΟο"
_QUOTES = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"', "」": '"'}
_NUMBERISH = re.compile(r"[-+−－]?[0-9０-９][0-9０-９,，.．]*(?:万元|元|件|%|％)?")


def _fold_groups(chars: list[str], zero: bool = False) -> np.ndarray:
    """Class index → group index, where classes that read the same (NFKC: full- and half-width
    digits, brackets and colons; the space and the CTC blank; with ``zero``, 0 and the letter o)
    share a group."""
    import unicodedata

    keys: dict[str, int] = {}
    out = np.zeros(len(chars), dtype=np.int64)
    for i, ch in enumerate(chars):
        k = "" if i == 0 or not ch.strip() else unicodedata.normalize("NFKC", ch)
        k = _QUOTES.get(k, k)
        if zero and ch in _ZERO_LIKE:
            k = "0"
        out[i] = keys.setdefault(k, len(keys))
    return out


def _decode(probs: np.ndarray, chars: list[str], groups: np.ndarray,
            zero_groups: np.ndarray | None = None) -> tuple[str, float]:
    """Greedy CTC decode of one line (frames × classes) and its confidence: the lowest of

    * each read character's peak probability (over the frames of its run), and
    * for each blank frame between and around them, the probability that nothing else is there
      (1 − the mass of characters other than the neighbouring ones: a character the path skipped);

    probabilities taken per *group* of classes (see ``_fold_groups``): hesitating between '：' and
    ':' or between a space and nothing is no doubt about what the cell says. Splitting a
    character's frames between it and the blank is how CTC always emits, so that is no doubt
    either. A line that reads as a number once o-like letters are taken for 0 is read so."""
    idx = probs.argmax(axis=1)
    n = len(idx)
    runs: list[tuple[int, int, int]] = []  # (class, first frame, last frame) of each read character
    t = 0
    while t < n:
        u = t
        while u + 1 < n and idx[u + 1] == idx[t]:
            u += 1
        if idx[t] != 0:
            runs.append((int(idx[t]), t, u))
        t = u + 1
    text = "".join(chars[k] for k, _, _ in runs if k < len(chars))
    if not runs:
        return "", float(probs.max(axis=1).min()) if n else 0.0
    if zero_groups is not None:
        as_number = "".join("0" if ch in _ZERO_LIKE else ch for ch in text.replace(" ", ""))
        if _NUMBERISH.fullmatch(as_number):
            text, groups = "".join("0" if ch in _ZERO_LIKE else ch for ch in text), zero_groups
    n_groups = int(groups.max()) + 1
    blank = groups[0]
    conf = 1.0
    for k, a, b in runs:
        g = groups[k]
        peak = max(float(probs[t][groups == g].sum()) if probs[t][k] < 0.995 else float(probs[t][k])
                   for t in range(a, b + 1))
        conf = min(conf, peak)
    lo, hi = max(0, runs[0][1] - 1), min(n, runs[-1][2] + 2)
    r = 0
    for t in range(lo, hi):
        if idx[t] != 0:
            continue
        while r < len(runs) and runs[r][2] < t:
            r += 1
        near = {blank}
        if r > 0:
            near.add(groups[runs[r - 1][0]])
        if r < len(runs):
            near.add(groups[runs[r][0]])
        if probs[t][0] >= 0.995:
            continue
        mass = np.bincount(groups, weights=probs[t], minlength=n_groups)
        other = float(mass.sum() - sum(mass[g] for g in near))
        conf = min(conf, 1.0 - other)
    return text, max(0.0, min(1.0, conf))


def recognize(lines: list[np.ndarray], deadline: float | None = None) -> list[tuple[str, float]]:
    """Text and confidence of each text-line image (grey or BGR, one line of text each), batched.

    Lines past ``deadline`` (a ``time.monotonic()`` value) or wider than ``MAX_LINE_RATIO`` come
    back as ``("", 0.0)``: not read."""
    import cv2

    eng = engine()
    out: list[tuple[str, float]] = [("", 0.0)] * len(lines)
    todo = []
    for k, im in enumerate(lines):
        if im.ndim == 2:
            im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
        h, w = im.shape[:2]
        if h < 2 or w < 2 or w > MAX_LINE_RATIO * h:
            continue
        todo.append((w / h, k, im))
    todo.sort(key=lambda t: t[0])
    _, img_h, img_w = eng.rec.rec_image_shape
    with eng.lock:
        for b in range(0, len(todo), REC_BATCH):
            if deadline is not None and time.monotonic() > deadline:
                break
            batch = todo[b:b + REC_BATCH]
            ratio = max(MIN_RATIO, max(t[0] for t in batch))
            norm = np.stack([eng.rec.resize_norm_img(t[2], ratio) for t in batch]).astype(np.float32)
            probs = eng.rec.session(norm)
            for (_, k, _), pr in zip(batch, probs):
                out[k] = _decode(pr, eng.chars, eng.groups, eng.zero_groups)
    return out


def ocr_image(image: bytes | np.ndarray, deadline: float | None = None) -> list[TextBox]:
    """Every text line of a whole image (detection + recognition), in reading order (top to bottom,
    then left to right). Slower than reading known cells: use it for images that are not tables."""
    gray = decode_image(image) if isinstance(image, (bytes, bytearray)) else image
    import cv2

    eng = engine()
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR) if gray.ndim == 2 else gray
    if deadline is None:
        deadline = time.monotonic() + MAX_SECONDS
    with eng.lock:
        det = eng.ocr(bgr, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(det, "boxes", None)
    if boxes is None or len(boxes) == 0:
        return []
    crops, rects = [], []
    for quad in boxes:
        q = np.asarray(quad, dtype=np.float32)
        x0, y0 = np.floor(q.min(axis=0)).astype(int)
        x1, y1 = np.ceil(q.max(axis=0)).astype(int)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(bgr.shape[1], x1), min(bgr.shape[0], y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        crops.append(bgr[y0:y1, x0:x1])
        rects.append((int(x0), int(y0), int(x1), int(y1)))
    read = recognize(crops, deadline)
    out = sorted((TextBox(t, c, r) for (t, c), r in zip(read, rects)), key=lambda b: b.box[1] + b.box[3])
    lines: list[list[TextBox]] = []  # boxes whose vertical centres lie within half a height: one line
    for b in out:
        mid, h = (b.box[1] + b.box[3]) / 2, b.box[3] - b.box[1]
        if lines and abs(mid - (lines[-1][0].box[1] + lines[-1][0].box[3]) / 2) < h / 2:
            lines[-1].append(b)
        else:
            lines.append([b])
    return [b for line in lines for b in sorted(line, key=lambda b: b.box[0])]


__all__ = ["TextBox", "decode_image", "engine", "recognize", "ocr_image", "MAX_PIXELS", "MAX_SECONDS",
           "THREADS", "LOW_CONFIDENCE", "FORMATS"]
