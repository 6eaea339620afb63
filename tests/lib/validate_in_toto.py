#!/usr/bin/python3
"""Validate an in-toto v1 Statement carrying a SLSA Provenance v1 predicate.

usage: validate_in_toto.py PROTO_DIR STATEMENT.json

The shape is checked by the in-toto project's own protobuf definitions
(PROTO_DIR: in_toto_attestation/v1/statement.proto, resource_descriptor.proto,
predicates/provenance/v1/provenance.proto, compiled here with protoc), parsed
by protobuf's strict JSON parser: an unknown or misspelt field, a wrong
type, a timestamp that is not RFC 3339 is refused. proto3 has no required
fields, so what the specifications require is checked after it:
  in-toto Statement v1: _type is https://in-toto.io/Statement/v1, subject is
    not empty and each subject has a digest, predicateType is set;
  ResourceDescriptor: at least one of uri, digest, content; digests hex;
  SLSA Provenance v1: buildDefinition.buildType, .externalParameters and
    runDetails.builder.id present.
Prints "valid" or one line per problem on stderr, exit 1."""
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile

from google.protobuf import json_format

HEX_DIGESTS = {"sha256": 64, "sha384": 96, "sha512": 128, "sha1": 40, "gitCommit": 40}


def load_modules(proto_dir, out):
    protos = ["in_toto_attestation/v1/resource_descriptor.proto",
              "in_toto_attestation/v1/statement.proto",
              "in_toto_attestation/predicates/provenance/v1/provenance.proto"]
    subprocess.run(["protoc", "-I", proto_dir, "-I", "/usr/include", "--python_out", out] + protos, check=True)
    sys.path.insert(0, out)
    st = importlib.import_module("in_toto_attestation.v1.statement_pb2")
    pv = importlib.import_module("in_toto_attestation.predicates.provenance.v1.provenance_pb2")
    return st, pv


def check_descriptor(d, where, problems):
    if not (d.uri or d.digest or d.content):
        problems.append(f"{where}: none of uri, digest, content")
    for alg, value in d.digest.items():
        n = HEX_DIGESTS.get(alg)
        if n is not None and not re.fullmatch("[0-9a-f]{%d}" % n, value):
            problems.append(f"{where}: digest {alg} is not {n} lower-case hex digits")


def main():
    proto_dir, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    with tempfile.TemporaryDirectory() as out:
        st, pv = load_modules(proto_dir, out)
        problems = []
        try:
            s = json_format.Parse(text, st.Statement())
            pred = json.loads(text).get("predicate", {})
            p = json_format.ParseDict(pred, pv.Provenance())
        except json_format.ParseError as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 1
        if s.type != "https://in-toto.io/Statement/v1":
            problems.append(f"_type is {s.type!r}")
        if not s.subject:
            problems.append("subject is empty")
        for i, sub in enumerate(s.subject):
            if not sub.digest:
                problems.append(f"subject[{i}] has no digest")
            check_descriptor(sub, f"subject[{i}]", problems)
        if s.predicate_type != "https://slsa.dev/provenance/v1":
            problems.append(f"predicateType is {s.predicate_type!r}")
        if not p.HasField("build_definition") or not p.build_definition.build_type:
            problems.append("predicate.buildDefinition.buildType is missing")
        if not p.build_definition.HasField("external_parameters"):
            problems.append("predicate.buildDefinition.externalParameters is missing")
        for i, d in enumerate(p.build_definition.resolved_dependencies):
            check_descriptor(d, f"resolvedDependencies[{i}]", problems)
        if not p.HasField("run_details") or not p.run_details.builder.id:
            problems.append("predicate.runDetails.builder.id is missing")
        for i, d in enumerate(p.run_details.builder.builder_dependencies):
            check_descriptor(d, f"builderDependencies[{i}]", problems)
        for i, d in enumerate(p.run_details.byproducts):
            check_descriptor(d, f"byproducts[{i}]", problems)
        for msg in problems:
            print(f"{path}: {msg}", file=sys.stderr)
        if problems:
            return 1
        print("valid")
        return 0


if __name__ == "__main__":
    sys.exit(main())
