#!/usr/bin/env bash
# scripts/root.sh: a Debian unstable build root for hosts whose own packages are
# too old for llama.cpp >= 0.7 and whisper.cpp >= 1.9.5 (Debian 12, say).
#
#   scripts/root.sh ensure          create the root once (cached; safe to interrupt)
#   scripts/root.sh path            print the root's directory (after ensure)
#   scripts/root.sh run CMD ARG...  run CMD inside the root, in the current directory
#
# The root lives in $PARLEY_ROOT_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/parley),
# keyed by a hash of the package list, so a change of packages builds a new one.
# It is built in a temporary directory and renamed into place only when complete:
# an interrupted run leaves nothing that a later run mistakes for a finished root.
# Every chroot runs in a private mount namespace (unshare -m), so its bind mounts
# vanish with the process, whatever way it ends, and runs may overlap safely.
set -euo pipefail

PKGS="cmake make gcc g++ pkg-config ca-certificates util-linux
libllama-dev libwhisper-dev libggml-dev llama.cpp-tools whisper.cpp-tools
libsqlite3-dev libavformat-dev libavcodec-dev libswresample-dev libavutil-dev
libcurl4-openssl-dev libyyjson-dev ffmpeg espeak-ng sox python3 iproute2
libpulse-dev pulseaudio pulseaudio-utils libspeexdsp-dev libmicrohttpd-dev
clang libclang-rt-dev strace tmux wrk chromium nodejs npm
mesa-vulkan-drivers libggml0-backend-vulkan"
ROOT_FORMAT=1   # bump when the way the root is made changes

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PARLEY_ROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}
key=$(printf '%s %s' "$ROOT_FORMAT" "$PKGS" | sha256sum | cut -c1-12)
root="$cache/sid-$key"
mirror=${PARLEY_DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() { echo "parley: $*" >&2; exit 1; }

need_root_tools() {
    [ "$(id -u)" = 0 ] || die "this host lacks llama.cpp >= 0.7 / whisper.cpp >= 1.9.5 packages, and making a Debian unstable build root needs root (or install the packages: see README)"
    command -v unshare >/dev/null || die "unshare (util-linux) is needed for the build root"
    if ! command -v debootstrap >/dev/null; then
        echo "parley: installing debootstrap on the host" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
            die "could not install debootstrap"
    fi
}

inner=$(cat <<'INNER'
set -e
r=$1 top=$2 shared=$3 cwd=$4; shift 4
mkdir -p "$r$top" "$r/proc" "$r/dev" "$r/sys"
mount --rbind /proc "$r/proc"; mount --rbind /dev "$r/dev"; mount --rbind /sys "$r/sys"
mount --bind "$top" "$r$top"
if [ -d "$shared" ]; then mkdir -p "$r$shared"; mount --bind "$shared" "$r$shared"; fi
cp -f /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
vars=()
while IFS= read -r -d '' kv; do
    case $kv in PARLEY_*|XDG_*|CTEST_*|FUZZ_*|CI=*|TERM=*|JOBS=*|CFLAGS=*|COLUMNS=*) vars+=("$kv") ;; esac
done < <(env -0)
exec chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    LANG=C.UTF-8 PARLEY_IN_ROOT=1 "${vars[@]}" \
    /bin/bash -c 'cd "$1" && shift && exec "$@"' bash "$cwd" "$@"
INNER
)

# Run a command chrooted into $1 inside a private mount namespace with the
# checkout, ../shared, /proc, /dev and /sys bind-mounted at the same paths.
chroot_run() {
    local r=$1; shift
    local shared
    shared=$(cd "$top/.." && pwd)/shared
    unshare -m --propagation private -- /bin/bash -c "$inner" bash "$r" "$top" "$shared" "$PWD" "$@"
}

ensure() {
    [ -f "$root/.parley-ready" ] && return 0
    need_root_tools
    mkdir -p "$cache"
    exec 9>"$cache/.lock"
    flock 9
    [ -f "$root/.parley-ready" ] && return 0
    # Leftovers of an interrupted run: its mounts died with its namespace.
    for d in "$cache"/sid-*.tmp; do [ -d "$d" ] && rm -rf --one-file-system "$d"; done
    local tmp="$root.tmp" t0=$SECONDS
    echo "parley: creating a Debian unstable build root in $root (once; about a minute)" >&2
    unshare -m --propagation private -- debootstrap --variant=minbase sid "$tmp" "$mirror" \
        >"$cache/debootstrap.log" 2>&1 || die "debootstrap failed: see $cache/debootstrap.log"
    echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99parley"
    echo 'APT::Install-Recommends "false";' >>"$tmp/etc/apt/apt.conf.d/99parley"
    # shellcheck disable=SC2086
    chroot_run "$tmp" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(echo $PKGS)" \
        >"$cache/apt.log" 2>&1 || die "installing packages in the build root failed: see $cache/apt.log"
    chroot "$tmp" apt-get clean
    touch "$tmp/.parley-ready"
    mv "$tmp" "$root"
    echo "parley: build root ready in $((SECONDS - t0)) s" >&2
    # Older roots (another package list) are no longer used.
    for d in "$cache"/sid-*; do
        [ "$d" = "$root" ] || [ ! -f "$d/.parley-ready" ] || rm -rf --one-file-system "$d"
    done
}

case "${1:-}" in
    ensure) ensure ;;
    path) echo "$root" ;;
    run) shift; ensure; chroot_run "$root" "$@" ;;
    *) echo "usage: $0 ensure | path | run CMD [ARG...]" >&2; exit 2 ;;
esac
