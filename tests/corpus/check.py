#!/usr/bin/env python3
"""Validate the extraction corpus (en.toml, zh.toml) against the format in README.md and print counts.

Usage: python3 tests/corpus/check.py [--min-en N] [--min-zh N]
Exits 1 and lists every problem (file, case id, reason) when a case is malformed.
"""
import csv
import datetime
import pathlib
import re
import sys
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
CRM = HERE.parent / "fixtures" / "crm"
FIELDS = ("asset", "customer", "fault", "action", "parts", "labor_hours", "status", "follow_up")
STATUSES = {"open", "closed", "pending_parts"}
CASE_KEYS = {"id", "lang", "reference_date", "note", "text", "expect"}
REQUIRED = {"id", "lang", "text", "expect"}
DEFAULT_REFERENCE = datetime.date(2026, 11, 20)
# Words a free-text value must not start with: cues are dropped, fillers are dropped by the comparison.
LEADING_CUES = {
    "fault", "found", "problem", "issue", "action", "parts", "used", "status", "labor",
    "故障", "问题是", "处理", "配件", "用了", "状态", "工时", "发现",
}


def load_crm():
    with open(CRM / "assets.csv", newline="", encoding="utf-8") as f:
        assets = {row["tag"]: row["customer"] for row in csv.DictReader(f)}
    with open(CRM / "customers.csv", newline="", encoding="utf-8") as f:
        customers = {row["name"] for row in csv.DictReader(f)}
    return assets, customers


def iso_date(value):
    """Return the date for a YYYY-MM-DD string, or None."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def check_text_value(field, value, err):
    if not isinstance(value, str) or not value.strip():
        err(f"{field} must be a non-empty string")
        return
    if value != value.strip() or "  " in value:
        err(f"{field} has stray spaces: {value!r}")
    first = value.split()[0].lower().strip(",.:;，。：")
    if first in LEADING_CUES or any(value.startswith(c) for c in LEADING_CUES if not c.isascii()):
        err(f"{field} starts with a cue word: {value!r}")


def plain(text):
    """Lower-case, punctuation removed, spaces collapsed: the README's free-text comparison, minus leading words."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def check_verbatim(field, value, text, err):
    """Each '; '-joined piece of a free-text value must be words the speaker said, in order."""
    if not isinstance(value, str):
        return
    said = f" {plain(text)} "
    for piece in value.split("; "):
        if piece.isascii():
            found = f" {plain(piece)} " in said
        else:  # Mandarin has no spaces between words; the text's punctuation became spaces
            found = plain(piece).replace(" ", "") in said.replace(" ", "")
        if not found:
            err(f"{field} piece {piece!r} is not in the text as said")


def check_parts(value, err):
    if not isinstance(value, list) or not value:
        err("parts must be a non-empty list")
        return
    for item in value:
        if not isinstance(item, dict) or set(item) != {"quantity", "name"}:
            err(f"part must be {{quantity, name}}: {item!r}")
            continue
        qty, name = item["quantity"], item["name"]
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            err(f"part quantity must be a positive integer: {item!r}")
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            err(f"part name must be a trimmed non-empty string: {item!r}")
        elif name != name.lower():
            err(f"part name must be lower case: {name!r}")
        elif name.isascii() and re.search(r"[^s]s$", name) and not name.endswith(("ss", "us", "is")):
            err(f"part name looks plural: {name!r}")


def check_case(case, lang, assets, err):
    keys = set(case)
    for k in sorted(REQUIRED - keys):
        err(f"missing key {k}")
    for k in sorted(keys - CASE_KEYS):
        err(f"unknown key {k}")
    if case.get("lang") != lang:
        err(f"lang must be {lang!r}, got {case.get('lang')!r}")
    if not isinstance(case.get("text"), str) or not case.get("text", "").strip():
        err("text must be a non-empty string")
    if "note" in case and (not isinstance(case["note"], str) or not case["note"].strip()):
        err("note must be a non-empty string")
    reference = DEFAULT_REFERENCE
    if "reference_date" in case:
        reference = iso_date(case["reference_date"])
        if reference is None:
            err(f"reference_date must be an ISO date string: {case['reference_date']!r}")
            reference = DEFAULT_REFERENCE
    expect = case.get("expect")
    if not isinstance(expect, dict):
        err("expect must be a table")
        return
    for k in sorted(set(expect) - set(FIELDS)):
        err(f"unknown field {k}")
    for field, value in expect.items():
        if field == "asset":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z0-9]+", value):
                err(f"asset must be upper case letters and digits: {value!r}")
        elif field == "customer":
            if not isinstance(value, str) or not value.strip() or value != value.strip():
                err(f"customer must be a trimmed non-empty string: {value!r}")
        elif field in ("fault", "action"):
            check_text_value(field, value, err)
            check_verbatim(field, value, case.get("text", ""), err)
        elif field == "parts":
            check_parts(value, err)
        elif field == "labor_hours":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 24:
                err(f"labor_hours must be a number in (0, 24]: {value!r}")
        elif field == "status":
            if value not in STATUSES:
                err(f"status must be one of {sorted(STATUSES)}: {value!r}")
        elif field == "follow_up":
            day = iso_date(value)
            if day is None:
                err(f"follow_up must be an ISO date string: {value!r}")
            elif day < reference:
                err(f"follow_up {value} is before the reference date {reference}")
    # A tag known to the CRM always brings a customer (said or implied).
    if expect.get("asset") in assets and "customer" not in expect:
        err(f"asset {expect['asset']} is in the CRM, so customer {assets[expect['asset']]!r} is expected")
    if not expect:
        err("expect is empty")


def main(argv):
    mins = {"en": 90, "zh": 50}
    args = list(argv)
    while args:
        flag = args.pop(0)
        if flag in ("--min-en", "--min-zh") and args:
            mins[flag[-2:]] = int(args.pop(0))
        else:
            print(f"unknown argument {flag!r}", file=sys.stderr)
            return 2
    assets, customers = load_crm()
    problems = []
    seen = {}
    totals = {}
    for lang in ("en", "zh"):
        path = HERE / f"{lang}.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            problems.append(f"{path.name}: cannot load: {e}")
            continue
        for k in sorted(set(data) - {"case"}):
            problems.append(f"{path.name}: unknown top-level key {k}")
        cases = data.get("case", [])
        per_field = dict.fromkeys(FIELDS, 0)
        stats = {"cases": len(cases), "fields": 0, "with_date": 0, "own_reference": 0,
                 "off_crm_customer": 0, "off_crm_asset": 0, "mismatch": 0}
        for i, case in enumerate(cases):
            cid = case.get("id", f"#{i + 1}") if isinstance(case, dict) else f"#{i + 1}"

            def err(msg, cid=cid, name=path.name):
                problems.append(f"{name}: {cid}: {msg}")

            if not isinstance(case, dict):
                err("case must be a table")
                continue
            if not isinstance(cid, str) or not re.fullmatch(rf"{lang}-\d{{3}}", cid):
                err(f"id must look like {lang}-001")
            elif cid in seen:
                err(f"duplicate id (also in {seen[cid]})")
            else:
                seen[cid] = path.name
            check_case(case, lang, assets, err)
            expect = case.get("expect") if isinstance(case.get("expect"), dict) else {}
            for field in expect:
                if field in per_field:
                    per_field[field] += 1
                    stats["fields"] += 1
            stats["with_date"] += "follow_up" in expect
            stats["own_reference"] += "reference_date" in case
            cust, tag = expect.get("customer"), expect.get("asset")
            stats["off_crm_customer"] += cust is not None and cust not in customers
            stats["off_crm_asset"] += tag is not None and tag not in assets
            stats["mismatch"] += tag in assets and cust is not None and cust != assets[tag]
        totals[lang] = stats
        print(f"{path.name}: {stats['cases']} cases, {stats['fields']} expected fields "
              f"({', '.join(f'{k} {v}' for k, v in per_field.items())})")
        print(f"  follow_up cases {stats['with_date']}, own reference_date {stats['own_reference']}, "
              f"customer not in CRM {stats['off_crm_customer']}, asset not in CRM {stats['off_crm_asset']}, "
              f"customer does not own asset {stats['mismatch']}")
        if stats["cases"] < mins[lang]:
            problems.append(f"{path.name}: {stats['cases']} cases, fewer than {mins[lang]}")
    for p in problems:
        print(p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
