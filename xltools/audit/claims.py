"""From sentences to typed claims: amounts bound to figures, lists of parts (其中 …), shares (占 …%) and
year-on-year statements (较上年增加 x，增长 y%). Pure text analysis; the checks compare them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..edition.model import Edition
from . import figures as figs
from .document import Block, Document, sentences
from .numbers import Number, normalise, numbers
from .phrases import Phrases

_CLAUSE = "，。；;,:：！？!?"
_DIGIT = re.compile(r"\d")


@dataclass
class Place:
    block: Block
    sentence: str  # as printed
    offset: int  # of the sentence in the block's text
    number: Number | None = None


@dataclass
class Claim:
    figure: str  # figure id, "" when the amount names no known figure
    number: Number
    place: Place
    label: str  # the words just before the amount (办公费 …)
    prior: bool = False  # a statement of the prior-year value


@dataclass
class PartList:
    whole: Claim
    parts: list[Claim]
    complete: bool  # 其中/包括: must add up; 主要为: may not exceed
    marker: str


@dataclass
class Share:
    part: Claim
    percent: Number
    base_text: str
    base_figure: str
    place: Place
    whole: Claim | None = None  # the list whole the part belongs to


@dataclass
class Yoy:
    place: Place
    current: Claim | None
    figure: str
    direction: str  # up | down | flat | ""
    delta: Number | None
    percent: Number | None
    percent_direction: str
    no_base: bool
    words: str  # the comparison as printed


@dataclass
class Sentence:
    place: Place
    norm: str
    nums: list[Number]
    claims: list[Claim] = field(default_factory=list)


@dataclass
class Extraction:
    sentences: list[Sentence] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    lists: list[PartList] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    yoys: list[Yoy] = field(default_factory=list)


def _dimension(unit: str) -> str:
    if unit in ("元", "万元", "亿元"):
        return "money"
    if unit in ("台", "辆"):
        return "count"
    return unit


class Extractor:
    def __init__(self, ed: Edition, ph: Phrases) -> None:
        self.ed, self.ph = ed, ph
        self.names, self.name_ids = figs.matcher(ed)
        self.lex = figs.by_id(ed)
        self.comparators = [re.compile(p) for p in _compile_all(ph, "yoy", "comparators")]
        self.up = ph.regex("yoy", "increase")
        self.down = ph.regex("yoy", "decrease")
        self.flat = ph.regex("yoy", "flat")
        self.no_base = ph.regex("yoy", "no_base")
        self.prior_ctx = ph.patterns("yoy", "prior_context")
        self.complete = ph.words("lists", "complete")
        self.partial = ph.words("lists", "partial")
        self.filler = ph.words("shares", "filler")
        self.value_words = ph.words("lists", "value_words")
        markers = sorted(self.complete + self.partial, key=len, reverse=True)
        self.marker_re = re.compile("|".join(re.escape(m) for m in markers)) if markers else None

    # ---- the whole document ----
    def run(self, doc: Document) -> Extraction:
        out = Extraction()
        for b in doc.blocks:
            if b.kind != "para":
                continue
            prev: Sentence | None = None
            for off, s in sentences(b.text):
                sent = self.sentence(b, off, s, prev, out)
                out.sentences.append(sent)
                prev = sent
        return out

    # ---- one sentence ----
    def sentence(self, b: Block, off: int, s: str, prev: Sentence | None, out: Extraction) -> Sentence:
        norm = normalise(s)
        mentions = [(m.start(), m.end(), m.group(0)) for m in self.names.finditer(norm)]
        # A number inside a figure's name (单价在20万元以上设备) is part of the name.
        nums = [n for n in numbers(s) if not any(a <= n.start < z for a, z, _ in mentions)]
        sent = Sentence(Place(b, s, off), norm, nums)
        comps = [m for c in self.comparators for m in c.finditer(norm)]
        comps.sort(key=lambda m: m.start())
        for n in nums:
            if not n.unit or n.is_percent:
                continue
            fig, prior = self._bind(norm, n, mentions)
            c = Claim(fig, n, Place(b, s, off, n), self._label(norm, n), prior)
            sent.claims.append(c)
            if not self._is_change(norm, n):
                out.claims.append(c)
        self._lists(sent, prev, out)
        yoys = self._yoys(sent, comps, mentions, out)
        self._shares(sent, yoys, mentions, out)
        return sent

    def _bind(self, norm: str, n: Number, mentions: list[tuple[int, int, str]]) -> tuple[str, bool]:
        before = [m for m in mentions if m[1] <= n.start]
        if not before:
            return "", False
        start, end, name = before[-1]
        gap = norm[end : n.start]
        if len(gap) > 15 or _DIGIT.search(gap) or any(ch in gap for ch in _CLAUSE + "()（）"):
            return self._bind_value(norm, n, before), False
        if self._change_words(gap) or "占" in gap:
            return "", False
        fid = self.pick(name, n.unit)
        f = self.lex.get(fid)
        if f is None:
            return "", False
        clause_start = max(norm.rfind(ch, 0, start) for ch in _CLAUSE) + 1
        lead = norm[clause_start:start]
        if f.prior and any(p.search(lead) for p in self.prior_ctx) and str(self.ph.year) + "年" not in lead:
            return f.prior, True
        return fid, False

    def _bind_value(self, norm: str, n: Number, before: list[tuple[int, int, str]]) -> str:
        """'房屋72.78平方米（…），价值96.10万元': an amount after 价值 is the value of the thing named before it
        in the same part of the sentence, when the edition names that figure ('房屋价值')."""
        lead = norm[max(norm.rfind(ch, 0, n.start) for ch in "，,") + 1 : n.start]
        word = next((w for w in self.value_words if lead.rstrip("为是：: ").endswith(w)), "")
        if not word:
            return ""
        seg_start = max(norm.rfind(ch, 0, n.start) for ch in "；;。：:") + 1
        depth = _depths(norm)
        for start, end, _fid in reversed(before):
            if start < seg_start:
                break
            if depth[start] > depth[n.start]:
                continue  # named inside a parenthesis: (含办公用房…) is not what the value belongs to
            fid = self.pick(norm[start:end] + word, n.unit)
            if fid:
                return fid
        return ""

    def pick(self, name: str, unit: str) -> str:
        """The figure a name means for an amount in this unit ('' when none fits)."""
        dim = _dimension(unit)
        return next(
            (i for i in self.name_ids.get(name, ()) if i in self.lex and _dimension(self.lex[i].unit) == dim), ""
        )

    def first(self, name: str) -> str:
        ids = self.name_ids.get(name, ())
        money = [i for i in ids if i in self.lex and self.lex[i].is_money]
        return (money or list(ids) or [""])[0]

    def _change_words(self, text: str) -> bool:
        return bool(
            self.up.search(text)
            or self.down.search(text)
            or self.flat.search(text)
            or any(c.search(text) for c in self.comparators)
        )

    def _is_change(self, norm: str, n: Number) -> bool:
        """An amount that is the change of a comparison (较上年增加 x), not a value."""
        clause_start = max(norm.rfind(ch, 0, n.start) for ch in "，。；;,：:") + 1
        lead = norm[clause_start : n.start]
        return bool(re.search(f"(?:{self.up.pattern}|{self.down.pattern})\\s*$", lead)) or any(
            c.search(lead) for c in self.comparators
        )

    @staticmethod
    def _label(norm: str, n: Number) -> str:
        start = max(norm.rfind(ch, 0, n.start) for ch in _CLAUSE + "、和及()") + 1
        return norm[start : n.start].strip()[-16:]

    # ---- 其中 lists ----
    def _lists(self, sent: Sentence, prev: Sentence | None, out: Extraction) -> None:
        if self.marker_re is None:
            return
        norm = sent.norm
        depth = _depths(norm)
        top = [i for i, ch in enumerate(norm) if ch in "；;" and depth[i] == 0]
        first_top_marker = True
        for m in self.marker_re.finditer(norm):
            p = m.start()
            marker = m.group(0)
            money_before = [c for c in sent.claims if c.number.end <= p and c.number.is_money]
            if money_before:
                whole = money_before[-1]
            elif p <= 2 and prev is not None and [c for c in prev.claims if c.number.is_money]:
                whole = [c for c in prev.claims if c.number.is_money][-1]
            else:
                continue
            d = depth[p]
            if d > 0:
                end = next((i for i in range(p, len(norm)) if norm[i] in ")）" and depth[i] == d), len(norm))
                seps = "，,、；;"
            elif first_top_marker and top and p < top[0]:
                end, seps = len(norm), "；;"
            else:
                end = next((i for i in top if i > p), len(norm))
                seps = "，,、；;和"
            if d == 0:
                first_top_marker = False
            pieces = _split(norm, m.end(), end, seps, depth, d)
            parts: list[Claim] = []
            for a, z in pieces:
                cands = [
                    c
                    for c in sent.claims
                    if a <= c.number.start < z and depth[c.number.start] == d and c.number.is_money and not c.prior
                ]
                if not cands or self._is_change(norm, cands[0].number):
                    continue
                if _dimension(cands[0].number.unit) != _dimension(whole.number.unit):
                    continue
                label = norm[a : cands[0].number.start].strip().lstrip("：:")
                if label.startswith(marker):
                    label = label[len(marker) :].lstrip("：: ")
                cands[0].label = label  # the whole piece names the part (维修（护）费, 其他商品和服务支出)
                parts.append(cands[0])
            if parts and whole not in parts:
                # Parts of another group than their total (公务接待费 among the 项目支出 items) are items of
                # that total, not the named figure.
                wg = self.lex[whole.figure].group if whole.figure in self.lex else ""
                for c in parts:
                    if wg and c.figure in self.lex and self.lex[c.figure].group != wg:
                        c.figure = ""
                out.lists.append(PartList(whole, parts, marker in self.complete, marker))

    # ---- year on year ----
    def _yoys(
        self, sent: Sentence, comps: list[re.Match[str]], mentions: list[tuple[int, int, str]], out: Extraction
    ) -> list[Yoy]:
        norm = sent.norm
        found: list[Yoy] = []
        for i, c in enumerate(comps):
            p = c.start()
            nxt = comps[i + 1].start() if i + 1 < len(comps) else len(norm)
            stop = min([j for j in (norm.find("；", p), norm.find(";", p), norm.find("。", p)) if j >= 0] + [nxt])
            scope = norm[c.end() : stop]
            base = c.end()
            direction, dpos, dend = "", -1, -1
            for word, key in ((self.flat, "flat"), (self.up, "up"), (self.down, "down")):
                m = word.search(scope)
                if m and (dpos < 0 or m.start() < dpos):
                    direction, dpos, dend = key, m.start(), m.end()
            nb = bool(self.no_base.search(scope))
            if not direction and not nb:
                continue
            nums = [n for n in sent.nums if base <= n.start < stop]
            delta = None
            if dend >= 0:
                delta = next((n for n in nums if n.is_money and 0 <= n.start - (base + dend) <= 3), None)
            pct, pct_dir = None, ""
            after = delta.end if delta else (base + dend if dend >= 0 else base)
            for n in nums:
                if n.is_percent and n.start >= after:
                    pct = n
                    lead = norm[after : n.start]
                    if self.up.search(lead):
                        pct_dir = "up"
                    elif self.down.search(lead):
                        pct_dir = "down"
                    break
            current = next(
                (
                    x
                    for x in reversed(sent.claims)
                    if x.number.end <= p and x.number.is_money and not self._is_change(norm, x.number)
                ),
                None,
            )
            near = [mm for mm in mentions if mm[1] <= p]
            if current is not None and (current.prior or (near and near[-1][0] >= current.number.end)):
                current = None  # a figure named after the last amount is the one compared
            fig = current.figure if current is not None else (self.first(near[-1][2]) if near else "")
            y = Yoy(
                Place(sent.place.block, sent.place.sentence, sent.place.offset, delta or pct),
                current,
                fig,
                direction,
                delta,
                pct,
                pct_dir,
                nb,
                sent.place.sentence[p:stop],
            )
            found.append(y)
            out.yoys.append(y)
        return found

    # ---- shares ----
    def _shares(self, sent: Sentence, yoys: list[Yoy], mentions: list[tuple[int, int, str]], out: Extraction) -> None:
        norm = sent.norm
        used = {id(y.percent) for y in yoys if y.percent is not None}
        for n in sent.nums:
            if not n.is_percent or id(n) in used:
                continue
            clause_start = max(norm.rfind(ch, 0, n.start) for ch in "，,；;。") + 1
            k = norm.rfind("占", clause_start, n.start)
            if k < 0:
                continue
            base = norm[k + 1 : n.start]
            for w in sorted(self.filler, key=len, reverse=True):
                base = base.replace(w, "")
            base = base.strip()
            base_fig = ""
            for mm in mentions:
                if k < mm[0] < n.start:
                    base_fig = self.first(mm[2])
            part = next((c for c in reversed(sent.claims) if c.number.end <= k and c.number.is_money), None)
            if part is None:
                continue
            whole = next((pl.whole for pl in out.lists if part in pl.parts), None)
            out.shares.append(
                Share(
                    part, n, base, base_fig, Place(sent.place.block, sent.place.sentence, sent.place.offset, n), whole
                )
            )


def _compile_all(ph: Phrases, section: str, key: str) -> list[str]:
    return [p.pattern for p in ph.patterns(section, key)]


def _depths(text: str) -> list[int]:
    out, d = [], 0
    for ch in text:
        if ch in "(（":
            d += 1
            out.append(d)
        elif ch in ")）":
            out.append(d)
            d = max(0, d - 1)
        else:
            out.append(d)
    return out


def _split(text: str, a: int, z: int, seps: str, depth: list[int], d: int) -> list[tuple[int, int]]:
    pieces, start = [], a
    for i in range(a, z):
        # 和 separates parts only right after an amount (人员经费…元和日常公用经费…元), never inside a name
        # (其他商品和服务支出).
        if text[i] in seps and depth[i] == d and (text[i] != "和" or text[i - 1 : i] == "元"):
            pieces.append((start, i))
            start = i + 1
    pieces.append((start, z))
    return [(x, y) for x, y in pieces if y > x]
