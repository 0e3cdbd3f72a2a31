#!/bin/sh
# Signs the demo personality sources (manifests/src/<driver>/[<profile>/]<name>.json) into
# manifests/<driver>/[<profile>/]<name>.dsse.json with the DEMO personalities key.
# Ed25519 signatures are deterministic and the payload is the source file byte for byte,
# so an unchanged source gives a byte-identical envelope (test/manifests/demo-manifests.test.ts
# checks that the committed envelopes are up to date). Real manifests are signed the same way,
# with a real key, on a machine that is not the car: see docs/manifests.md.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
npm run --silent build >/dev/null
key=manifests/keys/demo-personalities.private.pem
for src in $(find manifests/src -mindepth 1 -type d | sort); do
  set -- "$src"/*.json
  [ -e "$1" ] || continue
  node dist/src/cli/main.js manifest lint "$@"
  node dist/src/cli/main.js manifest sign --key "$key" --out-dir "manifests/${src#manifests/src/}" "$@"
done
