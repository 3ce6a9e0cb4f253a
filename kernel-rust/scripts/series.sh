#!/bin/sh
# Move the TIPC crossover series between this project and a kernel tree.
#
#   series.sh sync   KDIR   copy kernel-rust/net/tipc/*.rs into KDIR's net/tipc
#   series.sh resign KDIR   rewrite author and Signed-off-by of every commit
#                           of the series with the identity of series.conf
#   series.sh export KDIR   regenerate patches/*.patch from KDIR
#   series.sh apply  KDIR   make branch $BRANCH at the base and git am patches/
#
# KDIR is a git tree of Debian's linux-source-6.12 whose root commit is the
# pristine source (override with BASE=<commit>). Identity, subject prefix,
# version and branch come from patches/series.conf; the cover letter's
# subject and text from patches/cover-letter.in (first line: subject).
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
patches=$here/patches
# shellcheck source=/dev/null
. "$patches/series.conf"

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
kdir=$2
git -C "$kdir" rev-parse --git-dir >/dev/null
base=${BASE:-$(git -C "$kdir" rev-list --max-parents=0 "$BRANCH" 2>/dev/null ||
	git -C "$kdir" rev-list --max-parents=0 HEAD)}
ident="$AUTHOR_NAME <$AUTHOR_EMAIL>"

export GIT_AUTHOR_NAME="$AUTHOR_NAME" GIT_AUTHOR_EMAIL="$AUTHOR_EMAIL"
export GIT_COMMITTER_NAME="$AUTHOR_NAME" GIT_COMMITTER_EMAIL="$AUTHOR_EMAIL"

case $cmd in
sync)
	cp "$here"/kernel-rust/net/tipc/*.rs "$kdir/net/tipc/"
	git -C "$kdir" status --short -- net/tipc
	;;
resign)
	git -C "$kdir" checkout -q "$BRANCH"
	# Drop the old author's Signed-off-by, add the new one last.
	resign_commit='old=$(git log -1 --format="%an <%ae>"); git log -1 --format=%B | grep -vxF "Signed-off-by: $old" | git interpret-trailers --if-exists addIfDifferent --trailer "Signed-off-by: $SERIES_IDENT" | git commit -q --amend --reset-author -F -'
	SERIES_IDENT=$ident git -C "$kdir" rebase -q --exec "$resign_commit" "$base"
	git -C "$kdir" log --format='%h %an <%ae> %s' "$base..$BRANCH"
	;;
export)
	[ -f "$patches/cover-letter.in" ] || {
		echo "missing $patches/cover-letter.in" >&2
		exit 1
	}
	rm -f "$patches"/*.patch
	set -- --cover-letter --zero-commit --subject-prefix="$SUBJECT_PREFIX"
	[ "$VERSION" -gt 1 ] && set -- "$@" -v"$VERSION"
	git -C "$kdir" format-patch -q "$@" -o "$patches" "$base..$BRANCH"
	cover=$(ls "$patches"/*0000-cover-letter.patch)
	python3 - "$cover" "$patches/cover-letter.in" <<'EOF'
import sys
cover, source = sys.argv[1], sys.argv[2]
subject, _, blurb = open(source).read().partition("\n")
text = open(cover).read()
text = text.replace("*** SUBJECT HERE ***", subject.strip(), 1)
text = text.replace("*** BLURB HERE ***", blurb.strip("\n"), 1)
open(cover, "w").write(text)
EOF
	ls "$patches"/*.patch
	;;
apply)
	git -C "$kdir" checkout -q -b "$BRANCH" "$base"
	# The cover letter carries no diff: leave it out.
	git -C "$kdir" am -q $(ls "$patches"/*.patch | grep -v 0000-cover-letter)
	git -C "$kdir" log --oneline "$base..$BRANCH"
	;;
*)
	usage
	;;
esac
