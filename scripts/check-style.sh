#!/usr/bin/env bash
# Reports clang-format and clang-tidy findings for the whole tree (or the given paths) and exits 1 if any.
#
#   scripts/check-style.sh                   both checks over every tracked C++ file
#   scripts/check-style.sh --format          formatting only (no build needed)
#   scripts/check-style.sh --tidy -p build   clang-tidy only, with build/compile_commands.json
#   scripts/check-style.sh --fix             apply clang-format in place (tidy fixes stay manual)
#   scripts/check-style.sh src/ops           limit both checks to paths under src/ops
#
# Tidy runs on the .cpp files of the compilation database (headers are checked through them, see
# HeaderFilterRegex in .clang-tidy); each finding is printed once even when several files include its header.
set -uo pipefail

cd "$(git rev-parse --show-toplevel)"

do_format=0
do_tidy=0
fix=0
build=build
jobs=$(nproc)
paths=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --format) do_format=1 ;;
    --tidy) do_tidy=1 ;;
    --fix) fix=1 ;;
    -p) build="$2"; shift ;;
    -j) jobs="$2"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) paths+=("$1") ;;
  esac
  shift
done
if [[ $do_format -eq 0 && $do_tidy -eq 0 ]]; then
  do_format=1
  do_tidy=1
fi

# Tracked and new (not ignored) C++ files under the given paths (default: the whole tree).
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- "${paths[@]:-.}" | grep -E '\.(h|hpp|cpp|cc)$')
status=0

if [[ $do_format -eq 1 ]]; then
  command -v clang-format >/dev/null || { echo "check-style: clang-format not found" >&2; exit 2; }
  if [[ $fix -eq 1 ]]; then
    printf '%s\n' "${files[@]}" | xargs -r clang-format -i
    echo "format: applied clang-format to ${#files[@]} files"
  else
    bad=()
    for f in "${files[@]}"; do
      n=$(clang-format "$f" | diff "$f" - | grep -c '^[<>]')
      [[ $n -gt 0 ]] && bad+=("$f ($n changed lines)")
    done
    if [[ ${#bad[@]} -gt 0 ]]; then
      echo "format: ${#bad[@]} of ${#files[@]} files need clang-format (fix: make format):"
      printf '  %s\n' "${bad[@]}"
      status=1
    else
      echo "format: clean (${#files[@]} files)"
    fi
  fi
fi

if [[ $do_tidy -eq 1 ]]; then
  command -v clang-tidy >/dev/null || { echo "check-style: clang-tidy not found" >&2; exit 2; }
  db="$build/compile_commands.json"
  if [[ ! -f "$db" ]]; then
    echo "check-style: $db not found; configure first (cmake -S . -B $build)" >&2
    exit 2
  fi
  # Only translation units that the build knows (pending files excluded by CMake have no flags).
  tus=()
  for f in "${files[@]}"; do
    [[ "$f" == *.cpp || "$f" == *.cc ]] || continue
    grep -q "\"file\": \"$PWD/$f\"" "$db" && tus+=("$f")
  done
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  printf '%s\n' "${tus[@]}" | xargs -r -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$log" 2>/dev/null
  # One line per finding, paths relative to the repository, each once.
  findings=$(grep -E '^/.*: (warning|error): ' "$log" | sed "s|^$PWD/||" | sort -u)
  if [[ -n "$findings" ]]; then
    echo "tidy: $(wc -l <<<"$findings") findings in ${#tus[@]} translation units:"
    sed 's/^/  /' <<<"$findings"
    status=1
  else
    echo "tidy: clean (${#tus[@]} translation units)"
  fi
fi

exit $status
