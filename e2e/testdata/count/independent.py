#!/usr/bin/env python3
"""An independent ranked counter written from e2e/SPEC.md §15 alone, with the
Python standard library. For every NAME.input.json in this directory it
recounts and compares with NAME.result.json byte for byte, and checks that
every altered result of must-fail.json differs from the recount.

    python3 e2e/testdata/count/independent.py
"""
import json
import os
import sys

UNIT = 10**9


def normalise(raw, n):
    """§15.1: returns (ranking of 0-based options, problem kind or None)."""
    if len(raw) == 0 or len(raw) > n or any(v < 0 or v > n for v in raw):
        return [], "invalid_ballot"
    out = []
    for i, v in enumerate(raw):
        if v == 0:
            if any(w != 0 for w in raw[i + 1:]):
                return out, "skipped_rank"
            return out, None
        if v - 1 in out:
            return out, "repeated_option"
        out.append(v - 1)
    return out, None


def value(u, scale):
    """§15.7: exact decimal of u units (scale units per vote)."""
    s = str(u // scale)
    f = u % scale
    if f:
        s += "." + ("%09d" % f).rstrip("0")
    return s


class Runoff:
    """§15.2–§15.4."""

    def __init__(self, n, ballots, scale):
        self.n, self.scale = n, scale
        self.ballots = []  # [ranking, position, weight]
        self.empty = 0
        for r in ballots:
            if r:
                self.ballots.append([r, 0, scale])
            else:
                self.empty += 1
        self.status = ["continuing"] * n
        self.tally = [0] * n
        for b in self.ballots:
            self.tally[b[0][0]] += scale
        self.exhausted = self.empty * scale
        self.lost = 0
        self.history = []
        self.rounds = []
        self.winners = []

    def begin(self):
        self.history.append(list(self.tally))
        rd = {"tallies": [value(t, self.scale) for t in self.tally],
              "exhausted": value(self.exhausted, self.scale)}
        if self.scale == UNIT:
            rd["lost"] = value(self.lost, self.scale)
        self.rounds.append(rd)

    def compare(self, a, b):
        """(sign of a - b, level): level 0 current round, 1 earlier, 2 precedence."""
        last = len(self.history) - 1
        for k in range(last, -1, -1):
            ta, tb = self.history[k][a], self.history[k][b]
            if ta != tb:
                return (1 if ta > tb else -1), (0 if k == last else 1)
        return 0, 2

    def before(self, a, b):
        """a goes before b in order of election."""
        s, _ = self.compare(a, b)
        return s > 0 or (s == 0 and a < b)

    @staticmethod
    def tie(level):
        return ["none", "previous_rounds", "precedence"][level]

    def choose(self, options, first):
        x = options[0]
        for o in options[1:]:
            if (self.before(o, x) if first else self.before(x, o)):
                x = o
        level = max([self.compare(x, o)[1] for o in options if o != x], default=0)
        return x, self.tie(level)

    def elect(self, options, seats):
        order = []
        for o in options:  # insertion sort by before()
            i = 0
            while i < len(order) and self.before(order[i], o):
                i += 1
            order.insert(i, o)
        level = max([self.compare(order[i - 1], order[i])[1] for i in range(1, len(order))], default=0)
        order = order[:seats - len(self.winners)]
        for o in order:
            self.status[o] = "elected"
            self.winners.append(o)
        self.rounds[-1]["action"] = {"kind": "elect", "options": [o + 1 for o in order], "tie": self.tie(level)}

    def move(self, kind, x, tie, num=None, den=None, keep=0):
        moved = [0] * self.n
        to_exhausted = total = 0
        for b in self.ballots:
            ranking, pos, w = b
            if pos >= len(ranking) or ranking[pos] != x:
                continue
            if num is not None:
                w = w * num // den
                b[2] = w
            total += w
            p = pos + 1
            while p < len(ranking) and self.status[ranking[p]] != "continuing":
                p += 1
            b[1] = p
            if p == len(ranking):
                to_exhausted += w
            else:
                self.tally[ranking[p]] += w
                moved[ranking[p]] += w
        self.exhausted += to_exhausted
        rd = self.rounds[-1]
        rd["action"] = {"kind": kind, "options": [x + 1], "tie": tie}
        if kind == "surplus":
            rd["action"]["surplus"] = value(num, self.scale)
        rd["transfers"] = [value(v, self.scale) for v in moved]
        rd["transferred_exhausted"] = value(to_exhausted, self.scale)
        if kind == "surplus":
            rd["transferred_lost"] = value(num - total, self.scale)
            self.lost += num - total
        self.tally[x] = keep

    def eliminate(self, x, tie):
        self.status[x] = "eliminated"
        self.move("eliminate", x, tie)


def irv(n, rankings):
    r = Runoff(n, rankings, 1)
    while True:
        r.begin()
        cont = [o for o in range(n) if r.status[o] == "continuing"]
        active = sum(r.tally[o] for o in cont)
        top = max(cont, key=lambda o: r.tally[o])
        if len(cont) == 1 or 2 * r.tally[top] > active:
            r.elect([top], 1)
            return r, None
        r.eliminate(*r.choose(cont, first=False))


def stv(n, seats, rankings):
    r = Runoff(n, rankings, UNIT)
    v = sum(1 for x in rankings if x)
    q = (v // (seats + 1) + 1) * UNIT
    while len(r.winners) < seats:
        cont = [o for o in range(n) if r.status[o] == "continuing"]
        if not cont:
            break
        r.begin()
        reached = [o for o in cont if r.tally[o] >= q]
        if reached:
            r.elect(reached, seats)
        elif len(cont) <= seats - len(r.winners):
            r.elect(cont, seats)
        else:
            pending = [o for o in r.winners if r.tally[o] > q]
            if pending:
                x, tie = r.choose(pending, first=True)
                t = r.tally[x]
                r.move("surplus", x, tie, t - q, t, q)
            else:
                r.eliminate(*r.choose(cont, first=False))
    return r, value(q, UNIT)


def schulze(n, rankings):
    """§15.5."""
    d = [[0] * n for _ in range(n)]
    for rk in rankings:
        place = {o: i for i, o in enumerate(rk)}
        for a in range(n):
            for b in range(n):
                if a != b and a in place and (b not in place or place[a] < place[b]):
                    d[a][b] += 1
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for k in range(n):
        for i in range(n):
            if i == k:
                continue
            for j in range(n):
                if j != i and j != k:
                    p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
    ranking, ties, left = [], [], list(range(n))
    for place in range(1, n + 1):
        unbeaten = [a for a in left if not any(p[b][a] > p[a][b] for b in left if b != a)]
        ranking.append(unbeaten[0] + 1)
        left.remove(unbeaten[0])
        if len(unbeaten) > 1:
            ties.append(place)
    return d, p, ranking, ties


def count(inp):
    n, seats, method = inp["options"], inp["seats"], inp["method"]
    problems = {"blank": 0}
    lists = {k: [] for k in ("invalid_ballot", "skipped_rank", "repeated_option")}
    rankings = []
    for i, raw in enumerate(inp["ballots"]):
        rk, problem = normalise(raw, n)
        if problem:
            lists[problem].append(i)
        elif not rk:
            problems["blank"] += 1
        rankings.append(rk)
    for k, pos in lists.items():
        problems[k] = {"count": len(pos), "positions": pos}
    res = {"version": "tabella/v1", "method": method, "options": n, "seats": seats,
           "ballots": len(inp["ballots"])}
    if method == "schulze":
        d, p, ranking, ties = schulze(n, rankings)
        res["winners"] = ranking[:min(seats, n)]
        res["problems"] = problems
        res["schulze"] = {"d": d, "p": p, "ranking": ranking}
        if ties:
            res["schulze"]["ties"] = ties
    else:
        r, quota = irv(n, rankings) if method == "irv" else stv(n, seats, rankings)
        if quota is not None:
            res["quota"] = quota
        res["winners"] = [o + 1 for o in r.winners]
        res["problems"] = problems
        res["rounds"] = r.rounds
    return json.dumps(res, separators=(",", ":"), ensure_ascii=False).encode()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    names = sorted(f[:-len(".input.json")] for f in os.listdir(here) if f.endswith(".input.json"))
    recounts, failures = {}, 0
    for name in names:
        with open(os.path.join(here, name + ".input.json"), "rb") as f:
            inp = json.load(f)
        with open(os.path.join(here, name + ".result.json"), "rb") as f:
            want = f.read()
        got = count(inp)
        recounts[name] = got
        if got != want:
            failures += 1
            print("MISMATCH", name)
            for i, (a, b) in enumerate(zip(got, want)):
                if a != b:
                    print("  first difference at byte", i, got[max(0, i - 60):i + 40], want[max(0, i - 60):i + 40])
                    break
        else:
            print("ok", name)
    with open(os.path.join(here, "must-fail.json"), "rb") as f:
        for line in f:
            m = json.loads(line)
            if m["result"].encode() == recounts[m["vector"]]:
                failures += 1
                print("MUST-FAIL ACCEPTED", m["vector"], m["what"])
            else:
                print("rejected", m["vector"] + ":", m["what"])
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
