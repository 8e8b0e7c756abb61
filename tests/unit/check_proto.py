#!/usr/bin/env python3
"""check_proto.py — checks the wire contract under proto/ (stdlib only).

What it checks:
  1. every proto/schemas/*.json loads (json.load), declares JSON Schema 2020-12,
     uses only the keywords of the subset proto/README.md allows (no sibling
     next to $ref), and every $ref resolves;
  2. request schemas are closed (additionalProperties: false on every object)
     and every string has a maxLength and every array a maxItems;
  3. every proto/examples/*.json validates against its schema, closed-world
     (a member no schema declares is an error, even where the schema is open),
     and every payload schema has at least one example;
  4. a few invalid variants of the examples are refused (the schemas are as
     strict as the contract says);
  5. when PyYAML happens to be importable (optional, never required): the
     inline schema copies in proto/openapi.yaml equal the JSON Schemas after
     the documented translation, the examples embedded in openapi.yaml and
     asyncapi.yaml validate, and asyncapi.yaml documents the topics,
     partitions and keys of the contract. Without PyYAML these are skipped
     and not counted.

The validator is deliberately small: type, enum, const, properties, required,
additionalProperties, items, min/maxItems, uniqueItems, min/maxLength
(Unicode code points), pattern (Python re, close enough to ECMA 262 for the
patterns used), minimum/maximum, allOf/anyOf/oneOf/not, $ref.

Usage: check_proto.py [source dir]   (default: $RELAY48_SOURCE_DIR, else the
repository this file is in). Last line: "N passed, M failed"; exit 1 if M > 0.
"""
import copy
import json
import os
import re
import sys

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords the schemas may use: the subset that JSON Schema 2020-12, draft-07
# (AsyncAPI 2.6 tooling) and, after translation, OpenAPI 3.0 all read alike.
ALLOWED_KEYWORDS = {
    "$schema", "$ref", "$defs", "$comment", "title", "description", "type", "enum", "const",
    "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
    "uniqueItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "allOf",
    "anyOf", "oneOf", "not", "format", "default", "writeOnly", "readOnly",
}
# Schemas that describe what clients send: closed, bounded.
REQUEST_SCHEMAS = ("report_request", "report_transfer", "report_card")
# Schemas served over HTTP: openapi.yaml holds inline copies of these and of
# the common definitions they reach.
HTTP_SCHEMAS = ("report_request", "report_transfer", "report_card", "report_created_response",
                "problem", "health", "ready")
# Keys openapi.yaml may add to a copied schema (OpenAPI-only vocabulary).
OPENAPI_ONLY_KEYS = {"discriminator", "example", "externalDocs", "xml"}

TOPICS = {
    # topic: (partitions, message names = ce_types, payload schemas)
    "relay48.reports.v1": (6, ["report.accepted"], ["event_report_accepted"]),
    "relay48.escalations.bank.v1": (12, ["escalation.bank"], ["event_escalation_bank"]),
    "relay48.escalations.police.v1": (6, ["escalation.police"], ["event_escalation_police"]),
    "relay48.case-events.v1": (6, ["case.acknowledged", "case.resolved", "window.expired"],
                               ["event_case_acknowledged", "event_case_resolved",
                                "event_window_expired"]),
    "relay48.deliveries.dlq.v1": (3, ["delivery.failed"], ["event_dlq"]),
}


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, errors):
        if errors:
            self.failed += 1
            print("FAIL %s" % name)
            for e in errors[:20]:
                print("     %s" % e)
            if len(errors) > 20:
                print("     ... %d more" % (len(errors) - 20))
        else:
            self.passed += 1
            print("ok   %s" % name)


# ----------------------------------------------------------------------------- loading

class Store:
    """The schema files, by file name, and $ref resolution between them."""

    def __init__(self, schema_dir):
        self.dir = schema_dir
        self.docs = {}
        self.load_errors = {}
        for name in sorted(os.listdir(schema_dir)):
            if not name.endswith(".json"):
                continue
            try:
                with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                    self.docs[name] = json.load(f)
            except (OSError, ValueError) as e:
                self.load_errors[name] = str(e)

    def resolve(self, ref, base):
        """(schema, base file) that ref names, from file base; KeyError if none."""
        file_part, _, fragment = ref.partition("#")
        target = file_part or base
        if "/" in target or target not in self.docs:
            raise KeyError("unresolvable $ref %r in %s" % (ref, base))
        node = self.docs[target]
        if fragment:
            if not fragment.startswith("/"):
                raise KeyError("unsupported $ref fragment %r in %s" % (ref, base))
            for tok in fragment[1:].split("/"):
                tok = tok.replace("~1", "/").replace("~0", "~")
                if isinstance(node, dict) and tok in node:
                    node = node[tok]
                elif isinstance(node, list) and tok.isdigit() and int(tok) < len(node):
                    node = node[int(tok)]
                else:
                    raise KeyError("unresolvable $ref %r in %s" % (ref, base))
        return node, target


# ----------------------------------------------------------------------------- validator

def _type_ok(value, t):
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "null":
        return value is None
    return False


def _json_equal(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and (
        type(a) is type(b) or not isinstance(a, bool) and not isinstance(b, bool))


def _ptr(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path) or "(root)"


def _declared(schema, store, base, seen=None):
    """Member names a schema declares, following $ref and allOf/anyOf/oneOf."""
    names = set()
    if not isinstance(schema, dict):
        return names
    seen = seen or set()
    if "$ref" in schema:
        key = (schema["$ref"], base)
        if key in seen:
            return names
        seen.add(key)
        target, tbase = store.resolve(schema["$ref"], base)
        names |= _declared(target, store, tbase, seen)
    names |= set(schema.get("properties", {}))
    for kw in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(kw, []):
            names |= _declared(sub, store, base, seen)
    return names


def validate(value, schema, store, base, strict, path=()):
    """List of error strings; empty when value is valid. strict: closed world."""
    errs = []
    if schema is True or schema == {}:
        return errs
    if schema is False:
        return ["%s: no value is allowed here" % _ptr(path)]
    if "$ref" in schema:
        target, tbase = store.resolve(schema["$ref"], base)
        errs += validate(value, target, store, tbase, strict, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, t) for t in types):
            return errs + ["%s: expected %s, got %s" % (_ptr(path), "/".join(types),
                                                       type(value).__name__)]
    if "enum" in schema and not any(_json_equal(value, e) for e in schema["enum"]):
        errs.append("%s: %r is not one of %r" % (_ptr(path), value, schema["enum"]))
    if "const" in schema and not _json_equal(value, schema["const"]):
        errs.append("%s: %r is not %r" % (_ptr(path), value, schema["const"]))
    if isinstance(value, str):
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            errs.append("%s: longer than %d" % (_ptr(path), schema["maxLength"]))
        if "minLength" in schema and len(value) < schema["minLength"]:
            errs.append("%s: shorter than %d" % (_ptr(path), schema["minLength"]))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errs.append("%s: %r does not match %s" % (_ptr(path), value, schema["pattern"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: below %s" % (_ptr(path), schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: above %s" % (_ptr(path), schema["maximum"]))
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errs.append("%s: more than %d items" % (_ptr(path), schema["maxItems"]))
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append("%s: fewer than %d items" % (_ptr(path), schema["minItems"]))
        if schema.get("uniqueItems"):
            dumped = [json.dumps(v, sort_keys=True) for v in value]
            if len(set(dumped)) != len(dumped):
                errs.append("%s: items are not unique" % _ptr(path))
        if "items" in schema:
            for i, item in enumerate(value):
                errs += validate(item, schema["items"], store, base, strict, path + (i,))
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errs.append("%s: required member %r missing" % (_ptr(path), name))
        props = schema.get("properties", {})
        for name, sub in props.items():
            if name in value:
                errs += validate(value[name], sub, store, base, strict, path + (name,))
        extra = [n for n in value if n not in props]
        addl = schema.get("additionalProperties")
        if addl is False:
            for n in extra:
                errs.append("%s: member %r is not allowed" % (_ptr(path), n))
        elif isinstance(addl, dict):
            for n in extra:
                errs += validate(value[n], addl, store, base, strict, path + (n,))
        elif strict and "properties" in schema:
            declared = _declared(schema, store, base)
            for n in extra:
                if n not in declared:
                    errs.append("%s: member %r is declared by no schema" % (_ptr(path), n))
    for sub in schema.get("allOf", []):
        errs += validate(value, sub, store, base, strict, path)
    if "anyOf" in schema:
        if not any(not validate(value, sub, store, base, strict, path)
                   for sub in schema["anyOf"]):
            errs.append("%s: matches none of anyOf" % _ptr(path))
    if "oneOf" in schema:
        n = sum(1 for sub in schema["oneOf"] if not validate(value, sub, store, base, strict, path))
        if n != 1:
            detail = []
            for i, sub in enumerate(schema["oneOf"]):
                detail.append("branch %d: %s" % (i, "; ".join(
                    validate(value, sub, store, base, strict, path)[:3]) or "valid"))
            errs.append("%s: matches %d of oneOf, not 1 (%s)" % (_ptr(path), n,
                                                                  " | ".join(detail)))
    if "not" in schema and not validate(value, schema["not"], store, base, strict, path):
        errs.append("%s: matches a schema it must not (%s)" % (_ptr(path), schema["not"]))
    return errs


# ----------------------------------------------------------------------------- schema lint

def walk_schemas(node, path=()):
    """Yield (path, schema) for every subschema of a schema document."""
    if not isinstance(node, dict):
        return
    yield path, node
    for kw in ("properties", "$defs"):
        for name, sub in node.get(kw, {}).items():
            yield from walk_schemas(sub, path + (kw, name))
    for kw in ("items", "not"):
        if isinstance(node.get(kw), dict):
            yield from walk_schemas(node[kw], path + (kw,))
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk_schemas(node["additionalProperties"], path + ("additionalProperties",))
    for kw in ("allOf", "anyOf", "oneOf"):
        for i, sub in enumerate(node.get(kw, [])):
            yield from walk_schemas(sub, path + (kw, i))


def lint_document(name, doc, store):
    errs = []
    if doc.get("$schema") != DRAFT_2020_12:
        errs.append("$schema is not %s" % DRAFT_2020_12)
    if "$id" in doc:
        errs.append("$id is set: the files resolve each other by relative file name")
    for path, sub in walk_schemas(doc):
        where = _ptr(path)
        unknown = set(sub) - ALLOWED_KEYWORDS
        if unknown:
            errs.append("%s: keywords outside the allowed subset: %s" % (where, sorted(unknown)))
        if "$ref" in sub:
            siblings = set(sub) - {"$ref", "$comment"}
            if siblings:
                errs.append("%s: $ref with siblings %s (wrap in allOf)" % (where, sorted(siblings)))
            try:
                store.resolve(sub["$ref"], name)
            except KeyError as e:
                errs.append("%s: %s" % (where, e.args[0]))
        if isinstance(sub.get("type"), list):
            errs.append("%s: type arrays do not translate to OpenAPI 3.0" % where)
        if sub.get("type") == "string" and "maxLength" not in sub and not (
                "enum" in sub or "const" in sub):
            errs.append("%s: string without maxLength" % where)
        if sub.get("type") == "array" and "maxItems" not in sub:
            errs.append("%s: array without maxItems" % where)
        if "pattern" in sub:
            try:
                re.compile(sub["pattern"])
            except re.error as e:
                errs.append("%s: pattern does not compile: %s" % (where, e))
    return errs


def reachable(store, roots):
    """(file, pointer-ish name) of every schema node reachable by $ref from roots."""
    seen = set()
    todo = [(r, "") for r in roots]
    while todo:
        file, frag = todo.pop()
        if (file, frag) in seen:
            continue
        seen.add((file, frag))
        try:
            node, _ = store.resolve(file + ("#" + frag if frag else ""), file)
        except KeyError:
            continue  # reported by lint_document
        for _, sub in walk_schemas(node):
            if "$ref" in sub:
                f, _, fr = sub["$ref"].partition("#")
                todo.append((f or file, fr))
    return seen


def lint_request_closed(store):
    errs = []
    for file, frag in sorted(reachable(store, [s + ".json" for s in REQUEST_SCHEMAS])):
        node, _ = store.resolve(file + ("#" + frag if frag else ""), file)
        for path, sub in walk_schemas(node):
            where = "%s#%s%s" % (file, frag, _ptr(path) if path else "")
            if sub.get("type") == "object" or "properties" in sub:
                if sub.get("additionalProperties") is not False:
                    errs.append("%s: request object not closed (additionalProperties: false)"
                                % where)
    return errs


# ----------------------------------------------------------------------------- examples

def schema_for_example(stem, schema_names):
    if stem in schema_names:
        return stem
    best = None
    for s in schema_names:
        if stem.startswith(s + "_") and (best is None or len(s) > len(best)):
            best = s
    return best


def mutate(doc, path, op, value=None):
    """Copy of doc with path set to value (op 'set') or removed (op 'del')."""
    doc = copy.deepcopy(doc)
    node = doc
    for p in path[:-1]:
        node = node[p]
    if op == "del":
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


NEGATIVE = [
    # (name, example stem, path, op, value)
    ("unknown top-level member", "report_transfer", ("comment",), "set", "hi"),
    ("unknown member in victim", "report_transfer", ("victim", "nickname"), "set", "x"),
    ("missing debtor", "report_transfer", ("debtor",), "del", None),
    ("missing victim name", "report_transfer", ("victim", "name"), "del", None),
    ("amount as a JSON number", "report_transfer", ("amount", "value"), "set", 12500.0),
    ("amount with a comma", "report_transfer", ("amount", "value"), "set", "12500,00"),
    ("amount zero", "report_transfer", ("amount", "value"), "set", "0.00"),
    ("amount with 5 decimals", "report_transfer", ("amount", "value"), "set", "1.00000"),
    ("lower-case currency", "report_transfer", ("amount", "currency"), "set", "eur"),
    ("executed_at without offset", "report_transfer", ("executed_at",), "set",
     "2026-03-28T10:00:00"),
    ("executed_at leap second", "report_transfer", ("executed_at",), "set",
     "2026-03-28T10:00:60Z"),
    ("IBAN with a hyphen", "report_transfer", ("debtor", "iban"), "set",
     "FR76-3000-4008-1900-0123-4567-879"),
    ("IBAN of 43 characters", "report_transfer", ("debtor", "iban"), "set", "FR76" + " 1" * 19 + "1"),
    ("BIC of 9 characters", "report_transfer", ("creditor", "bic"), "set", "QNTOFRP1X"),
    ("unknown scenario", "report_transfer", ("scenario",), "set", "phishing"),
    ("unknown rail", "report_transfer", ("rail",), "set", "ach"),
    ("UETR version 1", "report_transfer", ("uetr",), "set",
     "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
    ("narrative of 4001 characters", "report_transfer", ("narrative",), "set", "é" * 4001),
    ("NUL in victim name", "report_transfer", ("victim", "name"), "set", "Jean\u0000Dupont"),
    ("21 evidence items", "report_transfer", ("evidence",), "set",
     [{"file_name": "a.eml", "sha256": "0" * 64}] * 21),
    ("upper-case sha256", "report_transfer", ("evidence", 0, "sha256"), "set", "A" * 64),
    ("4-digit postal code", "report_transfer", ("victim", "postal_code"), "set", "6929"),
    ("e-mail without domain dot", "report_transfer", ("victim", "email"), "set", "a@b"),
    ("kind card with transfer fields", "report_transfer", ("kind",), "set", "card"),
    ("card with bin and pan", "report_card", ("card", "pan"), "set", "4970101234564821"),
    ("card with 7-digit bin", "report_card", ("card", "bin"), "set", "4970101"),
    ("card without last4", "report_card", ("card", "last4"), "del", None),
    ("no operations", "report_card", ("operations",), "set", []),
    ("101 operations", "report_card", ("operations",), "set", None),  # filled below
    ("unknown card channel", "report_card", ("operations", 0, "channel"), "set", "nfc"),
    ("receipt with a slash", "report_card", ("receipt",), "set", "PCV/2026"),
    ("three milestones", "report_created_response", ("milestones",), "set", None),  # below
    ("ref not Crockford", "report_created_response", ("ref",), "set", "R48-7K2M-9QXD-4HVU"),
    ("received_at with offset", "report_created_response", ("received_at",), "set",
     "2026-03-28T10:42:17+01:00"),
    ("received_at with fraction", "report_created_response", ("received_at",), "set",
     "2026-03-28T09:42:17.5Z"),
    ("unknown flag", "report_created_response", ("flags",), "set", ["vip"]),
    ("problem type not urn", "problem_invalid", ("type",), "set", "about:blank"),
    ("raw IBAN token", "event_report_accepted", ("debtor_iban_token",), "set",
     "FR7630004008190001234567879"),
    ("bank escalation without ack_url", "event_escalation_bank", ("ack_url",), "del", None),
    ("bank escalation unknown role", "event_escalation_bank", ("role",), "set", "bank"),
    ("police escalation no reasons", "event_escalation_police", ("reasons",), "set", []),
    ("police departement 20", "event_escalation_police", ("departement",), "set", "20"),
    ("ack unknown status", "event_case_acknowledged", ("status",), "set", "done"),
    ("dlq destination as URL", "event_dlq", ("destination",), "set",
     "https://fraud.bank.example/hook"),
    ("headers wrong specversion", "kafka_headers", ("ce_specversion",), "set", "0.3"),
]


def run_examples(res, store, proto, schema_names):
    ex_dir = os.path.join(proto, "examples")
    examples = {}
    for name in sorted(os.listdir(ex_dir)):
        if not name.endswith(".json"):
            continue
        stem = name[:-5]
        try:
            with open(os.path.join(ex_dir, name), encoding="utf-8") as f:
                examples[stem] = json.load(f)
        except (OSError, ValueError) as e:
            res.check("example %s loads" % name, [str(e)])
            continue
        target = schema_for_example(stem, schema_names)
        if target is None:
            res.check("example %s has a schema" % name, ["no schema named like it"])
            continue
        res.check("example %s valid against %s.json" % (name, target),
                  validate(examples[stem], {"$ref": target + ".json"}, store, target + ".json",
                           strict=True))
        if target in ("report_transfer", "report_card"):
            res.check("example %s valid against report_request.json" % name,
                      validate(examples[stem], {"$ref": "report_request.json"}, store,
                               "report_request.json", strict=True))
    covered = {schema_for_example(s, schema_names) for s in examples}
    missing = [s for s in schema_names if s not in covered and s != "common"
               and s != "report_request"]
    res.check("every payload schema has an example",
              ["no example for %s.json" % m for m in missing])

    for label, stem, path, op, value in NEGATIVE:
        if stem not in examples:
            res.check("refuses: %s" % label, ["example %s.json missing" % stem])
            continue
        if label == "101 operations":
            value = [examples[stem]["operations"][0]] * 101
        if label == "three milestones":
            value = examples[stem]["milestones"][:3]
        bad = mutate(examples[stem], path, op, value)
        target = schema_for_example(stem, schema_names)
        errs = validate(bad, {"$ref": target + ".json"}, store, target + ".json", strict=True)
        res.check("refuses: %s" % label, [] if errs else ["accepted an invalid document"])
    return examples


# ----------------------------------------------------------------------------- YAML side

def to_openapi(node, file):
    """The documented translation of a JSON Schema node into an OpenAPI 3.0 schema."""
    if isinstance(node, list):
        return [to_openapi(n, file) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("$schema", "$id", "$defs", "$comment"):
            continue
        if k == "const":
            out["enum"] = [v]
        elif k == "$ref":
            f, _, frag = v.partition("#")
            if frag.startswith("/$defs/"):
                out["$ref"] = "#/components/schemas/" + frag[len("/$defs/"):]
            else:
                out["$ref"] = "#/components/schemas/" + (f or file)[:-len(".json")]
        elif k in ("properties", "$defs"):
            out[k] = {name: to_openapi(sub, file) for name, sub in v.items()}
        else:
            out[k] = to_openapi(v, file)
    return out


def strip_openapi_only(node):
    if isinstance(node, list):
        return [strip_openapi_only(n) for n in node]
    if not isinstance(node, dict):
        return node
    return {k: (strip_openapi_only(v) if k != "properties" else
                {n: strip_openapi_only(s) for n, s in v.items()})
            for k, v in node.items() if k not in OPENAPI_ONLY_KEYS}


def diff(a, b, path=""):
    """First few differences between two JSON-like values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s/%s: only in openapi.yaml" % (path, k))
            elif k not in b:
                out.append("%s/%s: missing in openapi.yaml" % (path, k))
            else:
                out += diff(a[k], b[k], "%s/%s" % (path, k))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, "%s/%d" % (path, i))
        return out
    return [] if _json_equal(a, b) else ["%s: %r (schema) != %r (openapi.yaml)" % (path, a, b)]


def local_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                yield v
            else:
                yield from local_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from local_refs(v)


def resolve_pointer(doc, ref):
    node = doc
    for tok in ref[2:].split("/"):
        tok = tok.replace("~1", "/").replace("~0", "~")
        node = node[tok]
    return node


def run_openapi(res, yaml, store, proto):
    path = os.path.join(proto, "openapi.yaml")
    try:
        with open(path, encoding="utf-8") as f:
            api = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        res.check("openapi.yaml loads", [str(e)])
        return
    res.check("openapi.yaml is OpenAPI 3.0.3",
              [] if api.get("openapi") == "3.0.3" else ["openapi: %r" % api.get("openapi")])
    bad = []
    for r in local_refs(api):
        if not r.startswith("#/"):
            bad.append("non-local $ref %s" % r)
            continue
        try:
            resolve_pointer(api, r)
        except (KeyError, TypeError):
            bad.append("unresolvable $ref %s" % r)
    res.check("openapi.yaml $refs resolve", bad)

    comps = api.get("components", {}).get("schemas", {})
    expected = {}
    for s in HTTP_SCHEMAS:
        expected[s] = to_openapi(store.docs[s + ".json"], s + ".json")
    for file, frag in reachable(store, [s + ".json" for s in HTTP_SCHEMAS]):
        if frag.startswith("/$defs/"):
            name = frag[len("/$defs/"):]
            expected[name] = to_openapi(store.resolve(file + "#" + frag, file)[0], file)
    errs = ["components/schemas/%s missing" % n for n in sorted(set(expected) - set(comps))]
    errs += ["components/schemas/%s is not a copy of a JSON Schema" % n
             for n in sorted(set(comps) - set(expected))]
    for n in sorted(set(expected) & set(comps)):
        errs += ["%s%s" % (n, d) for d in diff(expected[n], strip_openapi_only(comps[n]))]
    res.check("openapi.yaml components equal proto/schemas (translated)", errs)

    # Embedded examples: each must validate against the schema its media type names.
    errs = []
    count = 0
    for p, item in api.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            media = []
            if "requestBody" in op:
                media += list(op["requestBody"].get("content", {}).items())
            for code, resp in op.get("responses", {}).items():
                if "$ref" in resp:
                    resp = resolve_pointer(api, resp["$ref"])
                media += list(resp.get("content", {}).items())
            for mtype, m in media:
                sref = m.get("schema", {}).get("$ref", "")
                if not sref.startswith("#/components/schemas/"):
                    continue
                cname = sref.rsplit("/", 1)[1]
                if cname + ".json" in store.docs:
                    target, base = {"$ref": cname + ".json"}, cname + ".json"
                else:
                    target, base = {"$ref": "common.json#/$defs/" + cname}, "common.json"
                values = []
                if "example" in m:
                    values.append(("example", m["example"]))
                for ename, e in m.get("examples", {}).items():
                    if "$ref" in e:
                        e = resolve_pointer(api, e["$ref"])
                    values.append((ename, e.get("value")))
                for ename, v in values:
                    count += 1
                    errs += ["%s %s %s %s: %s" % (method.upper(), p, mtype, ename, x)
                             for x in validate(v, target, store, base, strict=True)]
    if count == 0:
        errs.append("no embedded examples found")
    res.check("openapi.yaml embedded examples validate (%d)" % count, errs)


def run_asyncapi(res, yaml, store, proto):
    path = os.path.join(proto, "asyncapi.yaml")
    try:
        with open(path, encoding="utf-8") as f:
            api = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        res.check("asyncapi.yaml loads", [str(e)])
        return
    res.check("asyncapi.yaml is AsyncAPI 2.6.0",
              [] if api.get("asyncapi") == "2.6.0" else ["asyncapi: %r" % api.get("asyncapi")])
    bad = []
    for r in local_refs(api):
        if r.startswith("#/"):
            try:
                resolve_pointer(api, r)
            except (KeyError, TypeError):
                bad.append("unresolvable $ref %s" % r)
        else:
            f, _, frag = r.partition("#")
            name = os.path.basename(f)
            if not f.startswith("schemas/") or name not in store.docs:
                bad.append("$ref to a file that is not in proto/schemas: %s" % r)
            elif frag:
                try:
                    store.resolve("#" + frag, name)
                except KeyError:
                    bad.append("unresolvable $ref %s" % r)
    res.check("asyncapi.yaml $refs resolve", bad)

    channels = api.get("channels", {})
    errs = ["topic %s missing" % t for t in TOPICS if t not in channels]
    errs += ["channel %s is not a topic of the contract" % c for c in channels if c not in TOPICS]
    res.check("asyncapi.yaml documents exactly the five topics", errs)

    for topic, (partitions, types, payloads) in TOPICS.items():
        ch = channels.get(topic)
        if not ch:
            continue
        errs = []
        kb = ch.get("bindings", {}).get("kafka", {})
        if kb.get("partitions") != partitions:
            errs.append("partitions %r, contract says %d" % (kb.get("partitions"), partitions))
        if kb.get("replicas") != 3:
            errs.append("replicas %r, contract says 3" % kb.get("replicas"))
        if kb.get("topic") != topic:
            errs.append("binding topic %r" % kb.get("topic"))
        op = ch.get("subscribe") or ch.get("publish") or {}
        msg = op.get("message", {})
        msgs = msg.get("oneOf", [msg])
        seen_types, seen_payloads = [], []
        for m in msgs:
            if "$ref" in m:
                m = resolve_pointer(api, m["$ref"])
            seen_types.append(m.get("name"))
            pref = m.get("payload", {}).get("$ref", "")
            stem = os.path.basename(pref)[:-len(".json")] if pref.endswith(".json") else None
            seen_payloads.append(stem)
            if "key" not in m.get("bindings", {}).get("kafka", {}):
                errs.append("message %s has no kafka key binding" % m.get("name"))
            for i, ex in enumerate(m.get("examples", [])):
                if stem and "payload" in ex:
                    errs += ["message %s example %d: %s" % (m.get("name"), i, x) for x in
                             validate(ex["payload"], {"$ref": stem + ".json"}, store,
                                      stem + ".json", strict=True)]
                if "headers" in ex:
                    hdr = ex["headers"]
                    errs += ["message %s example %d headers: %s" % (m.get("name"), i, x) for x in
                             validate(hdr, {"$ref": "kafka_headers.json"}, store,
                                      "kafka_headers.json", strict=True)]
                    if hdr.get("ce_type") != m.get("name"):
                        errs.append("message %s example %d: ce_type %r" % (
                            m.get("name"), i, hdr.get("ce_type")))
            if not m.get("examples"):
                errs.append("message %s has no example" % m.get("name"))
        if sorted(seen_types) != sorted(types):
            errs.append("message names %r, contract says %r" % (seen_types, types))
        if sorted(p or "" for p in seen_payloads) != sorted(payloads):
            errs.append("payloads %r, expected %r" % (seen_payloads, payloads))
        res.check("asyncapi.yaml topic %s" % topic, errs)


# ----------------------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = (sys.argv[1] if len(sys.argv) > 1 else
            os.environ.get("RELAY48_SOURCE_DIR") or os.path.dirname(os.path.dirname(here)))
    proto = os.path.join(root, "proto")
    res = Results()

    store = Store(os.path.join(proto, "schemas"))
    for name, err in sorted(store.load_errors.items()):
        res.check("schema %s loads" % name, [err])
    for name in sorted(store.docs):
        res.check("schema %s loads" % name, [])
        res.check("schema %s lint" % name, lint_document(name, store.docs[name], store))
    schema_names = [n[:-5] for n in sorted(store.docs)]
    missing = [s for s in HTTP_SCHEMAS + ("common", "kafka_headers") if s not in schema_names]
    res.check("expected schema files present", ["%s.json missing" % m for m in missing])
    if missing or store.load_errors:
        print("%d passed, %d failed" % (res.passed, res.failed + 1))
        return 1

    def stage(name, fn, *args):
        # A broken file must give a FAIL line, not a traceback.
        try:
            fn(*args)
        except Exception as e:  # noqa: BLE001
            res.check(name, ["stopped: %s: %s" % (type(e).__name__, e)])

    stage("request schemas closed",
          lambda: res.check("request schemas closed", lint_request_closed(store)))
    stage("examples", run_examples, res, store, proto, schema_names)

    try:
        import yaml  # optional: never installed for this script's sake
    except ImportError:
        yaml = None
        print("note: PyYAML not importable; openapi.yaml/asyncapi.yaml cross-checks skipped")
    if yaml is not None:
        stage("openapi.yaml", run_openapi, res, yaml, store, proto)
        stage("asyncapi.yaml", run_asyncapi, res, yaml, store, proto)

    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
