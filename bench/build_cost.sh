#!/usr/bin/env bash
# Build cost of the `weixin` crate: clean builds with one group feature vs `full`.
#
#   bench/build_cost.sh [debug|release|both] [one-group|full|all]      (default: both all)
#
# Every measurement is a clean `cargo build -p weixin ...` in a fresh target directory of its own
# (`mktemp -d` under $BUILD_COST_TMPDIR, else $TMPDIR, else /tmp), so nothing is shared with the
# workspace's target/ or with another measurement; the directory is deleted afterwards. A clean
# build needs about 1-2 GiB there; on a nearly full disk point BUILD_COST_TMPDIR at a tmpfs such
# as /dev/shm. The compilers' temporary files (TMPDIR) go into that target directory too. Builds
# run under `nice -n 10` so that other work on the machine keeps moving.
#
# For each build it records:
#   - wall time of the clean build (dependencies + weixin),
#   - wall time of rebuilding only weixin after `cargo clean -p weixin` (its build script is
#     compiled and run again, which regenerates the API from spec/, then the crate is compiled),
#   - from `--timings`: the seconds cargo spent on the weixin build script run (codegen) and
#     on compiling the weixin library itself,
#   - CPU time (user + system, all processes) of both builds and the peak RSS of the largest
#     process in the clean build (`/usr/bin/time -v`, when installed); with other work running,
#     CPU time is the steadier figure, wall time grows with the load,
#   - the size of the target directory.
# The logs and cargo's --timings HTML reports stay in a log directory printed at the start.
set -euo pipefail

cd "$(dirname "$0")/.."

profiles=${1:-both}
case "$profiles" in
    debug) profiles=(debug) ;;
    release) profiles=(release) ;;
    both) profiles=(debug release) ;;
    *)
        echo "usage: $0 [debug|release|both] [one-group|full|all]" >&2
        exit 2
        ;;
esac
only=${2:-all}
case "$only" in
    all | one-group | full) ;;
    *)
        echo "usage: $0 [debug|release|both] [one-group|full|all]" >&2
        exit 2
        ;;
esac

tmp_root=${BUILD_COST_TMPDIR:-${TMPDIR:-/tmp}}
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/build_cost_logs.XXXXXX")
min_free_kib=$((3 * 1024 * 1024))

# Feature sets measured: a name and the cargo arguments that select it.
# `full` (the default feature) includes `pay` and `push`.
configs=(
    "one-group|--no-default-features --features offiaccount-user"
    "full|"
)

have_gnu_time=0
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
    have_gnu_time=1
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "toolchain: $(cargo --version), $(rustc --version)"
echo "logs: $log_dir; target dirs under: $tmp_root"
echo

# Runs a command under `nice`, timing it; prints the wall seconds. `/usr/bin/time -v` output goes
# to "$2.time", and from it the peak RSS in KiB to "$2.rss" and the CPU seconds to "$2.cpu".
timed() {
    local log=$1 stats=$2
    shift 2
    local start end
    start=$(date +%s.%N)
    if ((have_gnu_time)); then
        nice -n 10 /usr/bin/time -v -o "$stats.time" "$@" >>"$log" 2>&1 || return 1
        sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$stats.time" >"$stats.rss"
        awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f\n", s }' \
            "$stats.time" >"$stats.cpu"
    else
        nice -n 10 "$@" >>"$log" 2>&1 || return 1
        echo "n/a" >"$stats.rss"
        echo "n/a" >"$stats.cpu"
    fi
    end=$(date +%s.%N)
    printf '%.1f\n' "$(echo "$end - $start" | bc)"
}

# Seconds of one unit in cargo's --timings report: `timing_unit <html> <crate> <mode> <target>`,
# where mode is `todo` (compile) or `run-custom-build`, and target is e.g. "" (the library) or
# " build-script (run)". Prints "n/a" if the report or the unit is missing.
timing_unit() {
    python3 - "$@" <<'EOF' 2>/dev/null || echo "n/a"
import json, re, sys
html, name, mode, target = sys.argv[1:5]
text = open(html, encoding="utf-8").read()
data = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", text, re.S).group(1))
units = [
    u for u in data
    if u["name"] == name and u.get("mode") == mode and u.get("target", "") == target
]
print(f"{sum(u['duration'] for u in units):.1f}" if units else "n/a")
EOF
}

results=()
for profile in "${profiles[@]}"; do
    for config in "${configs[@]}"; do
        name=${config%%|*}
        [[ $only == all || $only == "$name" ]] || continue
        read -r -a feature_args <<<"${config#*|}"
        profile_args=()
        [[ $profile == release ]] && profile_args=(--release)
        tag="$profile-$name"

        free_kib=$(df -Pk "$tmp_root" | awk 'NR == 2 { print $4 }')
        if ((free_kib < min_free_kib)); then
            echo "$tag: skipped, only $((free_kib / 1024)) MiB free under $tmp_root (need 3 GiB)" >&2
            results+=("| $profile | $name | skipped: disk | | | | | | | |")
            continue
        fi

        target=$(mktemp -d "$tmp_root/build_cost_target.XXXXXX")
        mkdir "$target/tmp"
        log="$log_dir/$tag.log"
        cmd=(cargo build -p weixin "${feature_args[@]}" "${profile_args[@]}")
        echo "$tag: CARGO_TARGET_DIR=$target ${cmd[*]} --timings"

        if ! clean_s=$(CARGO_TARGET_DIR=$target TMPDIR=$target/tmp timed "$log" "$log_dir/$tag" "${cmd[@]}" --timings); then
            echo "$tag: build failed, see $log" >&2
            results+=("| $profile | $name | failed | | | | | | | |")
            rm -rf "$target"
            continue
        fi
        rss_kib=$(cat "$log_dir/$tag.rss")
        clean_cpu=$(cat "$log_dir/$tag.cpu")
        html=$(ls -t "$target"/cargo-timings/cargo-timing-*.html 2>/dev/null | head -n1 || true)
        codegen_s="n/a"
        lib_s="n/a"
        if [[ -n $html ]]; then
            cp "$html" "$log_dir/$tag.timings.html"
            codegen_s=$(timing_unit "$html" weixin run-custom-build " build-script (run)")
            lib_s=$(timing_unit "$html" weixin todo "")
        fi
        size=$(du -sh "$target" | cut -f1)

        CARGO_TARGET_DIR=$target cargo clean -p weixin "${profile_args[@]}" >>"$log" 2>&1
        echo "$tag: after cargo clean -p weixin: ${cmd[*]}"
        if ! own_s=$(CARGO_TARGET_DIR=$target TMPDIR=$target/tmp timed "$log" "$log_dir/$tag.own" "${cmd[@]}"); then
            own_s="failed"
        fi
        own_cpu=$(cat "$log_dir/$tag.own.cpu" 2>/dev/null || echo "n/a")
        rm -rf "$target"

        rss_mib="n/a"
        [[ $rss_kib =~ ^[0-9]+$ ]] && rss_mib=$(((rss_kib + 512) / 1024))
        printf '%s: clean %s s (CPU %s s), weixin only %s s (CPU %s s), codegen run %s s, weixin lib %s s, peak RSS %s MiB, target %s\n' \
            "$tag" "$clean_s" "$clean_cpu" "$own_s" "$own_cpu" "$codegen_s" "$lib_s" "$rss_mib" "$size"
        results+=("| $profile | $name | $clean_s | $clean_cpu | $own_s | $own_cpu | $codegen_s | $lib_s | $rss_mib | $size |")
    done
done

echo
echo "| Profile | Features | Clean build, wall (s) | CPU (s) | weixin only, wall (s) | CPU (s) | codegen run (s) | weixin lib compile (s) | Peak RSS (MiB) | Target dir |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
