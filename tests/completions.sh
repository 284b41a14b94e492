#!/bin/bash
# SPDX-License-Identifier: MIT
# The shell completions (contrib/completions/) complete what pmgen takes: commands, each command's options,
# option values (--to, --env profiles read from the declaration on the line), declaration files. bash through
# bash-completion as it loads them; zsh through a real interactive zsh in a pseudo-terminal (zsh/zpty) with
# compinit. App names are checked where there are units to find them in: tests/integration/test-package.sh,
# with the packaged completions in a sandbox.
#
#   tests/completions.sh [DIR]     DIR holds pmgen.bash and _pmgen (default: contrib/completions)
#   tests/completions.sh --installed bash|zsh LINE
#                                  the candidates for LINE (in the current directory) from the completions
#                                  where an installed pmgen put them: bash-completion's loader finds
#                                  pmgen, zsh's default $fpath finds _pmgen (the package test uses it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# bash: one line per case, "LINE|expected candidates" (sorted, space-separated; LINE ends where the cursor is).
bash_cases='pmgen |apply check convert delete deploy-export describe diff env generate generator help import logs ls monit reload reset restart scale start status stop
pmgen re|reload reset restart
pmgen --|--help --quiet --user --version
pmgen logs --|--err --follow --json --lines --quiet --time --user
pmgen restart --|--quiet --update-env --user
pmgen apply --|--dry-run --env --json --prune --quiet --user
pmgen deploy-export --|--output --quiet
pmgen deploy-export |ecosystem.config.js out.d
pmgen deploy-export ecosystem.config.js production -o |out.d
pmgen import --|--all-env --apply --dry-run --env --output --quiet --to --user
pmgen convert --to |ini js json
pmgen convert --to=j|js json
pmgen apply --env |production
pmgen apply apps.ini --env |live staging
pmgen apply apps.ini -e l|live
pmgen apply |apps.ini ecosystem.config.js out.d
pmgen generate apps.ini -o |out.d
pmgen scale api |+1 -1
pmgen ls |
pmgen help st|start status stop
pmgen start --na|--name
pmgen start --i|--instances --interpreter
pmgen start --cwd |out.d
pmgen start a|all apps.ini
pmgen monit --|--user'

# FILE: the completion file to source, or "-" for bash-completion's own loader (as an interactive bash does).
bash_complete() { # FILE LINE → candidates
        # shellcheck disable=SC2016
        bash --norc --noprofile -c '
                . /usr/share/bash-completion/bash_completion
                if [[ $1 == - ]]; then _completion_loader pmgen; else . "$1"; fi
                declare -F _pmgen >/dev/null || { echo "(no _pmgen function)"; exit 0; }
                line=$2
                COMP_LINE=$line COMP_POINT=${#line}
                # Words as readline splits them (COMP_WORDBREAKS): "--to=j" is "--to" "=" "j".
                COMP_WORDS=()
                rest=$line
                while [[ -n $rest ]]; do
                        rest=${rest#"${rest%%[! ]*}"}
                        [[ -z $rest ]] && break
                        if [[ $rest == =* ]]; then COMP_WORDS+=("="); rest=${rest#=}; continue; fi
                        w=${rest%%[ =]*}
                        COMP_WORDS+=("$w")
                        rest=${rest#"$w"}
                done
                [[ $line == *[\ =] ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMPREPLY=()
                _pmgen pmgen "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sed "s|/\$||" | sort -u | paste -sd " " -
        ' bash "$1" "$2"
}

# zsh: an interactive zsh -f in a pseudo-terminal, compinit with our directory first in $fpath, and compadd
# wrapped to print what each call adds; TAB on LINE.
# DIR: put first in $fpath, or "-" for zsh's default $fpath.
zsh_complete() { # DIR LINE → candidates
        # shellcheck disable=SC2016 # zsh code, expanded by zsh
        COMPDIR=$1 LINE=$2 timeout 20 zsh -f -c '
                zmodload zsh/zpty || exit 2
                zpty z zsh -f -i
                zpty -w z "PROMPT= ; RPROMPT= ; unsetopt beep"
                [[ $COMPDIR != - ]] && zpty -w z "fpath=(${(q)COMPDIR} \$fpath)"
                zpty -w z "autoload -Uz compinit; compinit -u -D"
                zpty -w z "zstyle \":completion:*\" list-grouped false; bindkey \"^I\" complete-word"
                zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi;
                        local -a __h; local h; builtin compadd -A __h \"\$@\";
                        for h in \$__h; do print -r -- \"<\"\"<\$h>\"\">\"; done; builtin compadd \"\$@\"; }"
                zpty -w z "comppostfuncs=(__end); __end() { print -r -- \"<\"\"<END>\"\">\"; exit; }"
                zpty -w z "$LINE"$'"'"'\t'"'"'
                integer n=0
                while zpty -r z line; do
                        [[ $line == *"<<END>>"* ]] && break
                        if [[ $line == *"<<"*">>"* ]]; then line=${line#*<<}; print -r -- ${line%%>>*}; fi
                        (( ++n > 5000 )) && break
                done
                zpty -d z
        ' | tr -d '\r' | sed 's|/$||' | sort -u | paste -sd ' ' -
}

if [ "${1:-}" = --installed ]; then
        [ "$#" = 3 ] || { echo "usage: $0 --installed bash|zsh LINE" >&2; exit 2; }
        case $2 in
        bash) bash_complete - "$3" ;;
        zsh) zsh_complete - "$3" ;;
        *) echo "$0: bash or zsh, not '$2'" >&2; exit 2 ;;
        esac
        exit 0
fi

dir=$(cd "${1:-$root/contrib/completions}" && pwd)
fail=0
checks=0

for need in bash zsh; do
        command -v "$need" >/dev/null || { echo "FAIL: $need is not installed (tests/deps.sh)"; exit 1; }
done
[ -f /usr/share/bash-completion/bash_completion ] ||
        { echo "FAIL: bash-completion is not installed (tests/deps.sh)"; exit 1; }

work=$(mktemp -d /tmp/pmgen-completions.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$root/contrib/examples/ecosystem.config.js" "$work/"
printf '[api]\nscript = a.js\n[api env_staging]\nX = 1\n[api env_live]\nX = 2\n' >"$work/apps.ini"
mkdir "$work/out.d"
: >"$work/notes.txt"
cd "$work"

check() { # SHELL LINE EXPECTED GOT
        checks=$((checks + 1))
        if [ "$3" = "$4" ]; then
                printf 'ok   %-5s %-36s %s\n' "$1" "'$2'" "$4"
        else
                printf 'FAIL %-5s %-36s expected [%s], got [%s]\n' "$1" "'$2'" "$3" "$4"
                fail=$((fail + 1))
        fi
}

while IFS='|' read -r line want; do
        check bash "$line" "$want" "$(bash_complete "$dir/pmgen.bash" "$line")"
done <<<"$bash_cases"

# zsh offers the same, bar bash's -x short forms it lists separately and aliases it hides.
zsh_cases='pmgen |apply check convert delete deploy-export describe diff env generate generator help import logs ls monit reload reset restart scale start status stop
pmgen re|reload reset restart
pmgen logs --|--err --follow --json --lines --quiet --time --user
pmgen restart --|--quiet --update-env --user
pmgen apply --|--dry-run --env --json --prune --quiet --user
pmgen deploy-export --|--output --quiet
pmgen deploy-export |ecosystem.config.js out.d
pmgen convert --to=|ini js json
pmgen apply --env |production
pmgen apply apps.ini --env |live staging
pmgen apply |apps.ini ecosystem.config.js out.d
pmgen scale api |+1 -1
pmgen restart |all
pmgen start --na|--name
pmgen start a|all apps.ini'
while IFS='|' read -r line want; do
        check zsh "$line" "$want" "$(zsh_complete "$dir" "$line")"
done <<<"$zsh_cases"

# App names: the targets pmgen's generator wrote for the user manager ($XDG_RUNTIME_DIR/systemd/generator),
# with --user before or after the command; other targets are not apps.
mkdir -p "$work/xdg/systemd/generator"
printf '[Unit]\nDescription=pmgen app web (2 instances)\n' >"$work/xdg/systemd/generator/web.target"
printf '[Unit]\nDescription=pmgen app api (1 instance)\n' >"$work/xdg/systemd/generator/api.target"
printf '[Unit]\nDescription=Something else\n' >"$work/xdg/systemd/generator/other.target"
export XDG_RUNTIME_DIR=$work/xdg
app_cases='pmgen --user restart |all api web
pmgen restart --user |all api web
pmgen logs --user w|web
pmgen describe --user |api web
pmgen start --user w|web
pmgen restart |all'
while IFS='|' read -r line want; do
        check bash "$line" "$want" "$(bash_complete "$dir/pmgen.bash" "$line")"
        check zsh "$line" "$want" "$(zsh_complete "$dir" "$line")"
done <<<"$app_cases"

# Neither prints anything but candidates when there is nothing to find (no units, no declaration here).
checks=$((checks + 1))
noise=$(cd / && bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion; . "$1"
        COMP_WORDS=(pmgen describe ""); COMP_CWORD=2; COMP_LINE="pmgen describe "; COMP_POINT=15
        XDG_RUNTIME_DIR=/nonexistent _pmgen; COMP_WORDS=(pmgen apply --env ""); COMP_CWORD=3; _pmgen' bash "$dir/pmgen.bash" 2>&1)
if [ -z "$noise" ]; then
        echo "ok   bash  quiet without units or declarations"
else
        echo "FAIL bash  printed: $noise"
        fail=$((fail + 1))
fi

echo "completions: $((checks - fail)) passed, $fail failed"
[ "$fail" = 0 ]
