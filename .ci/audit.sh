#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies: pip-audit against requirements.lock,
# from a throwaway venv so that the auditor's own dependencies stay out of the project's.
# This machine's PyPI answers project pages but not version pages, so pip-audit finds
# nothing to look up; for those packages, PyPI's project page lists the advisories of the
# newest release, which is the locked one when the lock is current. Fails on any known
# vulnerability not reviewed in .ci/audit-accepted.txt; what neither source covers is listed.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check pip-audit==2.10.1 2>/dev/null
"$work/venv/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --progress-spinner off \
  -f json -o "$work/audit.json" 2>/dev/null || true
"$work/venv/bin/python" - "$work/audit.json" .ci/audit-accepted.txt <<'PY'
import json
import sys
import urllib.request

accepted = {
    line.split()[0]: line
    for line in open(sys.argv[2])
    if line.strip() and not line.startswith("#")
}
deps = json.load(open(sys.argv[1]))["dependencies"]
found = [(d["name"], d.get("version"), v["id"]) for d in deps for v in d.get("vulns", [])]
audited, behind = len([d for d in deps if "skip_reason" not in d]), []
for dep in (d for d in deps if "skip_reason" in d):
    url = f"https://pypi.org/pypi/{dep['name']}/json"
    if "version" not in dep:  # pip-audit left it without one: read it from the lock's pin
        dep["version"] = dep["skip_reason"].rsplit("(", 1)[-1].rstrip(")")
    try:
        page = json.load(urllib.request.urlopen(url, timeout=20))
    except OSError:
        behind.append(f"{dep['name']} (not on PyPI)")
        continue
    newest, locked = page["info"]["version"], dep.get("version", "?").split("+")[0]
    if newest != locked:
        behind.append(f"{dep['name']} {locked} (newest {newest})")
        continue
    audited += 1
    found += [(dep["name"], locked, v["id"]) for v in page.get("vulnerabilities", [])]
open_ = [f for f in found if f[2] not in accepted]
print(f"audit: {len(deps)} locked packages, {audited} checked against PyPI's advisories, "
      f"{len(found)} known vulnerabilities, {len(found) - len(open_)} of them reviewed and accepted")
for name, version, vuln in found:
    print(f"  {'accepted' if vuln in accepted else 'VULNERABLE'} {name} {version}: {vuln}")
if behind:
    print(f"  not covered ({len(behind)}): {', '.join(behind)}")
sys.exit(1 if open_ else 0)
PY
