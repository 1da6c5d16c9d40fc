#!/bin/sh
# `make demo`: arcverify on bundled sample messages with bundled keys, no network.
# Each step prints the command first, so it can be copied.
set -u
cd "$(dirname "$0")/.."
keys="--keys testdata/keys.zone"
[ -f testdata/keys-arc.zone ] && keys="$keys --keys testdata/keys-arc.zone"
now="--now 1764003600"

step() {
	printf '\n\033[1m$ %s\033[0m\n' "$*"
	"$@"
	printf '(exit status %s)\n' "$?"
}

echo "arcverify demo: every key comes from testdata/*.zone, so nothing touches the network."

echo; echo "== 1. Two signatures on one message, Ed25519 (RFC 8463) and RSA, both verify"
step ./arcverify $keys $now testdata/dkim/two-sigs-ed25519-rsa.eml

echo; echo "== 2. The empty-body rule that started it all: simple hashes one CRLF, relaxed zero bytes"
step ./arcverify -v $keys $now testdata/dkim/body-nobody-simple.eml testdata/dkim/body-nobody-relaxed.eml

echo; echo "== 3. A body changed after signing: body hash mismatch, with both hashes shown"
step ./arcverify -v $keys $now testdata/dkim/fail-body-modified.eml

echo; echo "== 4. Key problems are permerror with a reason"
step ./arcverify $keys $now testdata/dkim/key-revoked.eml testdata/dkim/key-missing.eml testdata/dkim/alg-rsa512.eml

echo; echo "== 5. RFC 8301: rsa-sha1 is refused unless --allow-sha1"
step ./arcverify $keys $now testdata/dkim/alg-rsa-sha1.eml
step ./arcverify $keys $now --allow-sha1 testdata/dkim/alg-rsa-sha1.eml

echo; echo "== ARC: a three-hop chain, as a hop table, newest first"
step ./arcverify $keys $now testdata/arc/chain-3hop.eml

echo; echo "== ARC: a mailing list appended a footer; the chain still passes, the older AMS does not"
echo "   (--explain finds the exact byte counts; the hops' own records are set beside the verdicts)"
step ./arcverify --explain $keys $now testdata/arc/list-footer.eml

echo; echo "== ARC: a hop sealed cv=fail; structural rules name the instance and the RFC section"
step ./arcverify --arc-only $keys $now testdata/arc/cv-fail.eml testdata/arc/struct-instance-gap.eml

echo; echo "== The bug behind this tool: hop 2's sealer hashed an empty relaxed body as one CRLF"
step ./arcverify --explain $keys $now testdata/forensics/arc-empty-body-relaxed-crlf.eml

echo; echo "== Whose bug is it: the same empty body, two declared canonicalizations, two verdicts"
echo "   (c=relaxed/simple: CRLF is right, the receiver's verifier is at fault;"
echo "    c=relaxed/relaxed: zero bytes is right, the forwarder's sealer is)"
step ./arcverify --explain $keys $now testdata/diagnosis/seed-forwarder-relaxed-simple.eml
step ./arcverify --explain $keys $now testdata/diagnosis/seed-forwarder-relaxed-relaxed.eml

echo; echo "== A whole Maildir: one line per message, in order, and the totals"
md=$(mktemp -d)
mkdir -p "$md/cur" "$md/new" "$md/tmp"
cp testdata/arc/*.eml "$md/cur/"
step ./arcverify $keys $now --summary "$md"
rm -rf "$md"

echo; echo "== Evidence for a ticket: a bundle that re-verifies offline"
bundle=$(mktemp -d)
step ./arcverify $keys $now --bundle "$bundle" testdata/arc/list-footer.eml
step ls "$bundle"
step ./arcverify --keys "$bundle/keys.zone" $now "$bundle/message.eml"
rm -rf "$bundle"

echo; echo "== Two copies of one message: what changed, and whether it explains each failure"
step ./arcverify $keys --keys testdata/compare/hop.zone $now --compare testdata/compare/list-footer.sent.eml testdata/compare/list-footer.received.eml

echo; echo "== 6. JSON Lines for scripts, and an Authentication-Results field for tickets"
step ./arcverify --json $keys $now testdata/dkim/canon-simple-simple.eml
step ./arcverify --format ar $keys $now testdata/dkim/two-sigs-one-fails.eml
exit 0
