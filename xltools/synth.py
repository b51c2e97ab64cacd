"""Seeded generator of varied, valid department workbooks (plain data for `write_template`).

Every identity of the Hebei editions holds by construction: amounts are built bottom-up per 功能分类 项
and fund source, then summed into 款, 类, totals and the cross tables. Used by the property tests, the
mutation suite and the merge benchmark. Integer cents of the edition's money unit keep sums exact.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from . import texts
from .edition.model import Edition

FIXED_SOURCES = ("general", "fund", "soe", "carryover")


# The economic code each 三公 item is paid from (the edition's ties t06-t07.san-gong, t07-econ.san-gong-covered).
SAN_GONG = {"reception": "30217", "vehicle_run": "30231", "abroad": "30212", "vehicle_purchase": "31013"}


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _split(rng: random.Random, total: int, n: int, zero_share: float = 0.0) -> list[int]:
    """total cents split into n non-negative parts (some forced to zero)."""
    if n <= 0:
        return []
    weights = [0.0 if rng.random() < zero_share else rng.random() + 0.05 for _ in range(n)]
    if not any(weights):
        weights[rng.randrange(n)] = 1.0
    s = sum(weights)
    parts = [int(total * w / s) for w in weights]
    parts[max(range(n), key=lambda i: weights[i])] += total - sum(parts)
    return parts


class _Gen:
    def __init__(self, ed: Edition, seed: int) -> None:
        self.ed, self.rng = ed, random.Random(seed)
        self.scale = 1 if ed.money_unit == "万元" else 10000  # cents of the unit for a "1 万元" step

    def amount(self, lo_wan: float, hi_wan: float) -> int:
        """Random cents between lo and hi 万元, in the edition's unit."""
        return int(self.rng.uniform(lo_wan, hi_wan) * 100 * self.scale)

    def leaf_codes(self) -> list[str]:
        fn = self.ed.codes["function"]
        leaves = [
            c
            for c in fn.entries
            if fn.level_of(c) == 3 and fn.parent(c) in fn.entries and fn.parent(fn.parent(c)) in fn.entries
        ]
        k = self.rng.randint(1, 6)
        return sorted(self.rng.sample(sorted(leaves), k))

    def build(self, index: int) -> dict[str, Any]:
        rng, ed = self.rng, self.ed
        t02 = ed.table("t02")
        other_sources = [c.key for c in t02.columns if c.type == "money" and c.key not in (*FIXED_SOURCES, "total")]
        has_fund = rng.random() < 0.3
        has_carry = rng.random() < 0.3
        units = [""] if rng.random() < 0.7 else ["", f"{100 + index % 900:03d}001"]
        leaves = [(rng.choice(units), c) for c in self.leaf_codes()]
        # per leaf: general (personnel, public, project), fund project, other-source (p, u, j), carryover part
        rows: dict[tuple[str, str], dict[str, int]] = {}
        for key in leaves:
            p_g, u_g, j_g = self.amount(5, 200), self.amount(1, 30), self.amount(0, 100) * (rng.random() < 0.7)
            j_f = self.amount(1, 50) if has_fund and rng.random() < 0.5 else 0
            has_other = other_sources and rng.random() < 0.3
            p_o, u_o, j_o = (self.amount(0, 20), self.amount(0, 5), self.amount(0, 10)) if has_other else (0, 0, 0)
            carry = int((p_g + u_g + j_g) * rng.uniform(0, 0.2)) if has_carry else 0
            rows[key] = dict(p_g=p_g, u_g=u_g, j_g=j_g, j_f=j_f, p_o=p_o, u_o=u_o, j_o=j_o, carry=carry)
        data: dict[str, Any] = {}
        data["cover"] = {
            "name": {"value": texts.text("synth.department", n=index + 1)},
            "code": {"value": f"{100 + index:03d}{index % 1000:03d}"},
            "year": {"value": ed.year},
            "unit": {"value": ed.money_unit},
            "nature": {"value": rng.choice(ed.enums.get("unit_nature", (texts.text("synth.nature"),)))},
        }

        def rollup(make: Any) -> list[dict[str, Any]]:
            """Rows for every 类/款/项 (per unit), each the sum of its leaves."""
            acc: dict[tuple[str, str], dict[str, int]] = {}
            for (unit, code), r in rows.items():
                vals = make(r)
                if vals is None:
                    continue
                for c in (code[:3], code[:5], code):
                    slot = acc.setdefault((unit, c), {})
                    for k, v in vals.items():
                        slot[k] = slot.get(k, 0) + v
            out = []
            for (unit, code), vals in sorted(acc.items()):
                rec: dict[str, Any] = {"code": code, **{k: _money(v) for k, v in vals.items() if v}}
                if unit:
                    rec["unit"] = unit
                out.append(rec)
            return out

        def t02_row(r: dict[str, int]) -> dict[str, int]:
            other = r["p_o"] + r["u_o"] + r["j_o"]
            parts = _split(rng, other, len(other_sources)) if other_sources else []
            vals = {"general": r["p_g"] + r["u_g"] + r["j_g"] - r["carry"], "carryover": r["carry"], "fund": r["j_f"]}
            vals.update(dict(zip(other_sources, parts, strict=True)))
            return vals

        data["t02"] = rollup(t02_row)
        data["t03"] = rollup(
            lambda r: {
                "basic_personnel": r["p_g"] + r["p_o"],
                "basic_public": r["u_g"] + r["u_o"],
                "project": r["j_g"] + r["j_f"] + r["j_o"],
            }
        )
        # the tables below have no 单位 column: merge the units' leaves
        merged: dict[tuple[str, str], dict[str, int]] = {}
        for (_, c), r in rows.items():
            slot = merged.setdefault(("", c), dict.fromkeys(r, 0))
            for k, v in r.items():
                slot[k] += v
        rows = merged
        data["t05"] = rollup(lambda r: {"personnel": r["p_g"], "public": r["u_g"], "project": r["j_g"]})
        data["t08"] = rollup(lambda r: {"project": r["j_f"]} if r["j_f"] else None)
        data["t09"] = []
        carry = sum(r["carry"] for r in rows.values())
        data["t04"] = {"carry_general": {"inc": _money(carry)}} if carry else {}
        personnel = sum(r["p_g"] for r in rows.values())
        public = sum(r["u_g"] for r in rows.values())
        project = sum(r["j_g"] + r["j_f"] + r["j_o"] for r in rows.values())
        # 三公 first, so the 基本支出 items it bounds (30217, 30231, 30212) stay below it
        sg = {"abroad": 0, "vehicle_purchase": 0, "vehicle_run": 0, "reception": 0}
        if rng.random() < 0.6:
            sg = {k: self.amount(0, 3) * (rng.random() < 0.6) for k in sg}
        vehicles = rng.randint(1, 4) if sg["vehicle_run"] or rng.random() < 0.3 else 0
        data["t06"], basic = self.econ_rows(personnel, public, sg)
        data["pe"], covered = self.project_econ(
            project, {SAN_GONG[k]: v - basic.get(SAN_GONG[k], 0) for k, v in sg.items()}
        )
        # Each 三公 item is paid from its economic code, in 基本支出 or in 项目支出: what neither can pay is not drawn.
        sg = {k: basic.get(SAN_GONG[k], 0) + covered.get(SAN_GONG[k], 0) for k in sg}
        data["t07"] = {"budget": {k: _money(v) for k, v in sg.items()}}
        data["proj"], data["ind"] = self.projects(project)
        data["org"] = [
            {
                "name": texts.text("synth.org.name", name=n),
                "nature": rng.choice(texts.raw("synth.org.natures")),
                "grade": texts.text("synth.org.grade"),
                "funding": texts.text("synth.org.funding"),
            }
            for n in rng.sample(texts.raw("synth.org.names"), rng.randint(1, 4))
        ]
        proc = {k: self.amount(0, 20) * (rng.random() < 0.5) for k in ("goods", "works", "services")}
        data["opex"] = {"amount": {"amount": _money(public)}}
        housing = round(rng.uniform(0, 2000), 2)
        data["assets"] = {
            "total": {"value": _money(self.amount(10, 500) // self.scale)},
            "housing": {"quantity": Decimal(str(housing)), "value": _money(self.amount(0, 100) // self.scale)},
            "office": {"quantity": Decimal(str(round(housing * rng.uniform(0, 1), 2))), "value": Decimal(0)},
            "vehicles": {"quantity": Decimal(vehicles), "value": Decimal(0)},
            "equipment": {"value": Decimal(0)},
            "other": {"value": Decimal(0)},
        }
        a = data["assets"]
        a["total"]["value"] = a["total"]["value"] + a["housing"]["value"]
        a["office"]["value"] = _money(int(a["housing"]["value"] * 100 * Decimal(str(rng.uniform(0, 1)))))
        total_inc = sum(
            r["p_g"] + r["u_g"] + r["j_g"] + r["j_f"] + r["p_o"] + r["u_o"] + r["j_o"] for r in rows.values()
        )
        # 政府采购 is spent out of the department's budget: a small department's draws are scaled down to fit
        # (the tie 政府采购 ≤ 支出总计 holds for every seed; the draws above are unchanged, so are other seeds).
        spent = sum(proc.values())
        data["proc"] = {
            k: {"amount": _money(v if spent <= total_inc else v * total_inc // spent)} for k, v in proc.items()
        }
        data["prior"] = (
            {}
            if rng.random() < 0.2
            else {
                "inc_total": {"amount": _money(int(total_inc * rng.uniform(0.6, 1.4)))},
                "exp_total": {"amount": _money(int(total_inc * rng.uniform(0.6, 1.4)))},
                "basic": {"amount": _money(int((personnel + public) * rng.uniform(0.6, 1.4)))},
                "project": {"amount": _money(int(project * rng.uniform(0.6, 1.4)))},
                "sg_total": {"amount": _money(0)},
            }
        )
        data["text"] = {
            k: {"text": texts.text("synth.text", name=k)}
            for k in ("duties", "change_reason", "sg_reason", "overall_goal", "measures")
        }
        return data

    def econ_rows(self, personnel: int, public: int, sg: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """表6's rows, and what each 三公 economic code holds of 基本支出 (at most its 三公 item)."""
        rng, ec = self.rng, self.ed.codes["economic"]
        bounded = {SAN_GONG[k]: sg[k] for k in ("reception", "vehicle_run", "abroad")}
        pers = [c for c in ec.entries if len(c) == 5 and c[:3] in ("301", "303")]
        pub = [c for c in ec.entries if len(c) == 5 and c[:3] == "302" and c not in bounded]
        leaves: dict[str, dict[str, int]] = {}
        codes = sorted(rng.sample(pers, rng.randint(1, 4)))
        for code, v in zip(codes, _split(rng, personnel, len(codes)), strict=True):
            leaves[code] = {"personnel": v}
        rest = public
        for code, cap in bounded.items():
            if cap and rng.random() < 0.5 and rest:
                v = min(cap, rest) // 2
                leaves[code] = {"public": v}
                rest -= v
        basic = {code: leaves[code]["public"] for code in bounded if code in leaves}
        for code, v in zip(sorted(rng.sample(pub, 3)), _split(rng, rest, 3), strict=True):
            leaves[code] = {"public": v}
        return self._econ_rollup(leaves, ("personnel", "public")), basic

    def _econ_rollup(self, leaves: dict[str, dict[str, int]], cols: tuple[str, ...]) -> list[dict[str, Any]]:
        acc: dict[str, dict[str, int]] = {}
        for code, vals in leaves.items():
            for c in (code[:3], code):
                slot = acc.setdefault(c, {k: 0 for k in cols})
                for k, v in vals.items():
                    slot[k] += v
        return [
            {"code": c, **{k: _money(v) for k, v in vals.items() if v}}
            for c, vals in sorted(acc.items())
            if any(vals.values())
        ]

    def project_econ(self, project: int, owed: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """项目支出经济分类's rows, paying first what the 三公 codes still owe (as far as the projects go), and
        what each of those codes got."""
        if not project:
            return [], {}
        ec = self.ed.codes["economic"]
        pool = [c for c in ec.entries if len(c) == 5 and c[:3] in ("302", "310")]
        codes = sorted(self.rng.sample(pool, self.rng.randint(1, 5)))
        covered: dict[str, int] = {}
        rest = project
        for code, v in sorted(owed.items()):
            if v > 0 and rest:
                covered[code] = min(v, rest)
                rest -= covered[code]
        leaves = {c: {"amount": v} for c, v in covered.items()}
        if rest:
            for c, v in zip(codes, _split(self.rng, rest, len(codes)), strict=True):
                leaves.setdefault(c, {"amount": 0})["amount"] += v
        return self._econ_rollup(leaves, ("amount",)), covered

    def projects(self, project: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if not project:
            return [], []
        rng = self.rng
        n = rng.randint(1, 4)
        projs, inds = [], []
        for i, total in enumerate(_split(rng, project, n)):
            other = int(total * rng.uniform(0, 0.3)) if rng.random() < 0.3 else 0
            q = sorted(rng.sample(range(0, 101, 5), 3))
            code = f"XM-{rng.randint(100, 999)}-{i:02d}"
            projs.append(
                {
                    "code": code,
                    "name": texts.text("synth.project.name", n=i + 1),
                    "fiscal": _money(total - other),
                    **({"other": _money(other)} if other else {}),
                    "purpose": texts.text("synth.project.purpose"),
                    "plan_q1": Decimal(q[0]),
                    "plan_h1": Decimal(q[1]),
                    "plan_oct": Decimal(q[2]),
                    "plan_dec": Decimal(100),
                    "target": texts.text("synth.project.target"),
                }
            )
            for lvl1, lvl2 in texts.raw("synth.indicator.levels"):
                inds.append(
                    {
                        "project": code,
                        "level1": lvl1,
                        "level2": lvl2,
                        "level3": texts.text("synth.indicator.level3"),
                        "value": texts.text("synth.indicator.value"),
                        "description": texts.text("synth.indicator.description"),
                        "basis": texts.text("synth.indicator.basis"),
                    }
                )
        return projs, inds


def department(ed: Edition, seed: int) -> dict[str, Any]:
    """Plain data of one valid department workbook, varied by seed."""
    return _Gen(ed, seed).build(seed)
