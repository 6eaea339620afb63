#!/usr/bin/python3
"""Validate JSON documents against a JSON schema (draft 7), with formats.

usage: validate_json_schema.py SCHEMA DOCUMENT...

Every *.json file beside SCHEMA is loaded by its $id, so that a schema's
relative references (CycloneDX's spdx.schema.json, jsf-0.82.schema.json)
resolve offline. Prints one line per error; exit 0 only when all are valid.
Run with Debian's /usr/bin/python3 (python3-jsonschema)."""
import json
import pathlib
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_path = pathlib.Path(argv[1])
    store = {}
    for p in schema_path.parent.glob("*.json"):
        s = json.loads(p.read_text())
        if isinstance(s, dict) and "$id" in s:
            store[s["$id"]] = s
    schema = json.loads(schema_path.read_text())
    resolver = jsonschema.RefResolver(schema.get("$id", ""), schema, store=store)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER
                    if hasattr(cls, "FORMAT_CHECKER") else jsonschema.draft7_format_checker)
    bad = 0
    for doc_path in argv[2:]:
        doc = json.loads(pathlib.Path(doc_path).read_text())
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            where = "/".join(str(x) for x in err.absolute_path)
            print(f"{doc_path}: /{where}: {err.message}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
