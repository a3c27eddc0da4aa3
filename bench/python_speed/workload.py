# A handler-shaped Python 2.7 workload: what Lambda handlers spend their time on. One invocation parses a
# JSON event, validates and normalises its records with regular expressions and pure-Python loops, prices
# them with decimal, formats a report with % and str.format, and returns JSON.
#
#   python2.7 workload.py [--iterations N] [--part all|loops|json|re|format|decimal]
#
# Prints one line: "<part> <seconds> <checksum>" (seconds for N invocations, checksum to check that every
# interpreter computed the same thing). bench/python_speed/run.sh runs it under two interpreters.
import decimal
import json
import re
import sys
import time

EVENT = json.dumps({
    "source": "aws.orders", "region": "eu-west-1",
    "records": [{"id": "ORD-%05d" % i, "customer": {"name": u"Cust\u00f3mer %d" % i, "email": "c%d@example.com" % i},
                 "items": [{"sku": "SKU-%03d-%s" % (j, "ABCDEFGH"[j % 8]), "qty": (i + j) % 7 + 1,
                            "price": "%d.%02d" % (3 + (i * j) % 40, (i * 7 + j) % 100)} for j in range(6)],
                 "note": "deliver between 09:%02d and 17:%02d, gate %d" % (i % 60, (i * 3) % 60, i % 12),
                 "ts": "2026-11-%02dT%02d:%02d:%02dZ" % (i % 28 + 1, i % 24, i % 60, (i * 11) % 60)}
                for i in range(40)]})

SKU = re.compile(r'^SKU-(\d{3})-([A-H])$')
EMAIL = re.compile(r'^[\w.+-]+@([\w-]+\.)+[a-z]{2,}$')
TS = re.compile(r'(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z')
WINDOW = re.compile(r'between (\d\d):(\d\d) and (\d\d):(\d\d)(?:, gate (\d+))?')
CENTS = decimal.Decimal('0.01')
TAX = decimal.Decimal('0.21')


def part_loops(records):
    # Pure-Python bookkeeping: dict/list building, sorting, string keys, integer arithmetic.
    totals = {}
    seen = set()
    for r in records:
        for it in r["items"]:
            key = it["sku"][:7]
            totals[key] = totals.get(key, 0) + it["qty"]
            seen.add(it["sku"])
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    acc = 0
    for i in xrange(12000):
        acc = (acc * 31 + i ^ (i >> 3)) & 0xFFFFFF
    return len(seen) + sum(v for _, v in ranked) + acc


def part_re(records):
    n = 0
    for r in records:
        for it in r["items"]:
            m = SKU.match(it["sku"])
            n += int(m.group(1)) + ord(m.group(2))
        if EMAIL.match(r["customer"]["email"]):
            n += 1
        n += sum(int(g) for g in TS.search(r["ts"]).groups())
        w = WINDOW.search(r["note"])
        n += int(w.group(2)) + int(w.group(5) or 0)
        n += len(re.sub(r'\s+', ' ', r["note"]).split(' '))
    return n


def part_decimal(records):
    grand = decimal.Decimal(0)
    for n, r in enumerate(records):
        if n % 4:  # a quarter of the orders are priced exactly; the others with floats
            r["net"] = sum(float(it["price"]) * it["qty"] for it in r["items"])
            r["gross"] = round(r["net"] * 1.21, 2)
            continue
        net = decimal.Decimal(0)
        for it in r["items"]:
            net += decimal.Decimal(it["price"]) * it["qty"]
        tax = (net * TAX).quantize(CENTS, rounding=decimal.ROUND_HALF_UP)
        r["net"] = net
        r["gross"] = net + tax
        grand += r["gross"]
    return grand


def part_format(records):
    lines = []
    for r in records:
        lines.append("%-10s %-20s %8s %8s" % (r["id"], r["customer"]["name"][:20],
                                              r.get("net", 0), r.get("gross", 0)))
        lines.append("{0}: {1} items, first {2[0][sku]}, {3:>6.2f} avg qty".format(
            r["id"], len(r["items"]), r["items"], sum(i["qty"] for i in r["items"]) / 6.0))
        lines.append(", ".join("%s x%d" % (i["sku"], i["qty"]) for i in r["items"]))
    return "\n".join(lines)


def handler(event, context=None):
    data = json.loads(event)                                  # json
    records = data["records"]
    score = part_loops(records) + part_re(records)            # loops, re
    grand = part_decimal(records)                             # decimal
    report = part_format(records)                             # string formatting
    return json.dumps({"count": len(records), "score": score, "total": str(grand),
                       "report_len": len(report), "records": [{"id": r["id"], "gross": str(r["gross"])}
                                                              for r in records]})


def run_part(part, n):
    records = json.loads(EVENT)["records"]
    part_decimal(records)  # parts after decimal read net/gross
    fn = {"loops": lambda: part_loops(records), "re": lambda: part_re(records),
          "decimal": lambda: part_decimal(records), "format": lambda: part_format(records),
          "json": lambda: json.dumps(json.loads(EVENT)), "all": lambda: handler(EVENT)}[part]
    out = None
    t0 = time.time()
    for _ in xrange(n):
        out = fn()
    return time.time() - t0, out


def main(argv):
    n, part = 200, "all"
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--iterations":
            n = int(args.pop(0))
        elif a == "--part":
            part = args.pop(0)
        else:
            sys.stderr.write("usage: workload.py [--iterations N] [--part all|loops|json|re|format|decimal]\n")
            return 2
    handler(EVENT)  # warm-up: imports, regex compilation caches
    seconds, out = run_part(part, n)
    checksum = json.loads(out)["total"] if part == "all" else len(out) if hasattr(out, "__len__") else out
    print("%s %.6f %s" % (part, seconds, checksum))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
