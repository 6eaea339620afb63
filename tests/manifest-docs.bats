#!/usr/bin/env bats
# docs/manifest.md documents every manifest key with an example: every key
# its tables list (and every field of a list's entries) appears in one of
# its YAML examples, which tests/unit/test_manifest.c parses.
load lib/common

@test "docs/manifest.md: every key of its tables is used in an example" {
    run /usr/bin/python3 - "$ROOT/docs/manifest.md" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
examples = "\n".join(re.findall(r"```yaml\n(.*?)```", text, re.S))
keys, table = set(), False
for line in text.splitlines():
    if line.startswith("| key |"):
        table = True
        continue
    if not line.startswith("|"):
        table = False
        continue
    cells = [c.strip() for c in line.strip("|").split("|")]
    if not table or cells[0].startswith("---"):
        continue
    keys.update(k.split(".")[-1] for k in re.findall(r"`([a-z][a-z.-]*)`", cells[0]))
    for fields in re.findall(r"\{(.*?)\}", cells[1]):
        keys.update(re.findall(r"`([a-z][a-z-]*)`", fields))
missing = sorted(k for k in keys if not re.search(r"(^|[\s{,])" + re.escape(k) + r":", examples, re.M))
print(len(keys), "keys;", "missing from the examples:", " ".join(missing) or "none")
sys.exit(1 if missing or len(keys) < 35 else 0)
PY
    echo "$output"
    [ "$status" -eq 0 ]
}
