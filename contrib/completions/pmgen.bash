# SPDX-License-Identifier: MIT
# bash completion for pmgen(1). Installed as $(DATADIR)/bash-completion/completions/pmgen, where
# bash-completion loads it on the first `pmgen <TAB>`; or source it from ~/.bashrc.
#
# Completes commands, each command's options, declaration files, --env profiles (the env_NAME keys of
# the files on the line, or of ./ecosystem.config.js when there is none) and app names. App names come from
# the targets pmgen's generator (or `pmgen generate`) wrote: a few files read, no D-Bus call, no pmgen run,
# so it is instant, and it prints nothing when there is nothing to read.
# shellcheck shell=bash disable=SC2053 # `== $valued` below: an extglob pattern on purpose

# The app names: targets with pmgen's description in the directories where the units are (--user: the
# user manager's).
_pmgen_apps() { # USER(0|1)
        local -a dirs files=()
        local d f
        if [[ $1 == 1 ]]; then
                dirs=("${XDG_RUNTIME_DIR:-/run/user/$UID}/systemd/generator" "${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user")
        else
                dirs=(/run/systemd/generator /etc/systemd/system /run/systemd/system)
        fi
        for d in "${dirs[@]}"; do
                for f in "$d"/*.target; do
                        [[ -f $f ]] && files+=("$f")
                done
        done
        ((${#files[@]})) || return 0
        grep -ls -m1 '^Description=pmgen app ' -- "${files[@]}" 2>/dev/null | while IFS= read -r f; do
                f=${f##*/}
                printf '%s\n' "${f%.target}"
        done
}

# The profiles NAME of env_NAME in the declaration files given (or the default one in the current directory).
_pmgen_profiles() { # FILE…
        local -a files=()
        local f
        for f in "$@"; do
                [[ -f $f && -r $f ]] && files+=("$f")
        done
        if ((${#files[@]} == 0)); then
                for f in ecosystem.config.js ecosystem.config.cjs ecosystem.config.mjs ecosystem.json \
                        ecosystem.config.json pmgen.ini; do
                        if [[ -f $f && -r $f ]]; then
                                files=("$f")
                                break
                        fi
                done
        fi
        ((${#files[@]})) || return 0
        grep -hos 'env_[A-Za-z0-9_-]*' -- "${files[@]}" 2>/dev/null | sed 's/^env_//' | sort -u
}

# COMPREPLY from compgen ARG… (one candidate a line: names with blanks stay whole).
_pmgen_reply() {
        mapfile -t COMPREPLY < <(compgen "$@")
}

# Files (bash-completion's _filedir, which knows about quoting and ~, when it is there).
_pmgen_files() { # PATTERN (extglob, without the leading dot), or empty for any file
        if declare -F _filedir >/dev/null; then
                _filedir "$1"
        else
                _pmgen_reply -f -- "$cur"
        fi
}

_pmgen_dirs() {
        if declare -F _filedir >/dev/null; then
                _filedir -d
        else
                _pmgen_reply -d -- "$cur"
        fi
}

_pmgen() {
        local cur prev words cword
        if declare -F _init_completion >/dev/null; then
                _init_completion -n = || return
        else
                words=("${COMP_WORDS[@]}")
                cword=$COMP_CWORD
                cur=${COMP_WORDS[COMP_CWORD]}
                prev=${COMP_WORDS[COMP_CWORD - 1]}
        fi
        COMPREPLY=()

        local commands="check generate convert apply diff ls status logs start stop restart reload reset scale delete describe env
                monit import generator deploy-export help"
        # Options that take a value (as separate word or after =).
        local valued='@(-e|--env|-o|--output|-n|--lines|--to|--shim|--node-preload|--bind-preload|-i|--instances|--name|--port|--cwd|--interpreter|--node-args|--max-memory-restart|-c|--cron|--only)'

        # The command, the positional arguments before the cursor, and --user.
        local cmd='' i w user=0 npos=0
        local -a pos=()
        shopt -s extglob
        for ((i = 1; i < cword; i++)); do
                w=${words[i]}
                if [[ $w == $valued ]]; then
                        ((i++))
                        [[ ${words[i]} == = ]] && ((i++))
                        continue
                fi
                case $w in
                --user) user=1 ;;
                -*) ;;
                *)
                        if [[ -z $cmd ]]; then
                                cmd=$w
                        else
                                pos+=("$w")
                        fi
                        ;;
                esac
        done
        npos=${#pos[@]}

        # The value of an option: --opt=VALUE or --opt VALUE.
        local opt='' val=$cur
        if [[ $cur == --*=* ]]; then
                opt=${cur%%=*}
                val=${cur#*=}
        elif [[ $cur == = && $prev == $valued ]]; then # without bash-completion, "--env=" is "--env" "="
                opt=$prev
                val=
        elif [[ $prev == $valued ]]; then
                opt=$prev
        elif [[ $prev == = && ${words[cword - 2]} == $valued ]]; then # and "--env=pro" is "--env" "=" "pro"
                opt=${words[cword - 2]}
        fi
        if [[ -n $opt ]]; then
                local -a vals=()
                case $opt in
                -e | --env) mapfile -t vals < <(_pmgen_profiles "${pos[@]}") ;;
                --to) vals=(ini js json) ;;
                -n | --lines | -i | --instances | --name | --port | --interpreter | --node-args | --max-memory-restart | \
                        -c | --cron | --only) return 0 ;;
                --cwd)
                        _pmgen_dirs
                        return 0
                        ;;
                -o | --output | --shim | --node-preload | --bind-preload)
                        if [[ $cur == --*=* ]]; then
                                if [[ $cmd == generate || $cmd == deploy-export ]]; then
                                        _pmgen_reply -d -- "$val"
                                else
                                        _pmgen_reply -f -- "$val"
                                fi
                        elif [[ $cmd == generate || $cmd == deploy-export ]]; then
                                _pmgen_dirs
                        else
                                _pmgen_files ''
                        fi
                        return 0
                        ;;
                esac
                _pmgen_reply -W "${vals[*]}" -- "$val"
                return 0
        fi

        local opts
        case $cmd in
        '') opts="-h --help --version -q --quiet --user" ;;
        check) opts="-e --env --eval --shim --node-preload --bind-preload -q --quiet" ;;
        generate) opts="-e --env --eval --shim --node-preload --bind-preload -o --output --user -q --quiet" ;;
        convert) opts="-e --env --eval --to -q --quiet" ;;
        apply) opts="-e --env --user --dry-run --prune --json -q --quiet" ;;
        diff) opts="-e --env --user --prune -q --quiet" ;;
        ls | status | list) opts="--json --user -q --quiet" ;;
        logs | log) opts="-n --lines -f --follow --err --time --json --user -q --quiet" ;;
        start) opts="-i --instances -n --name --port --env --cwd --interpreter --node-args --max-memory-restart -c --cron
                --watch --only --dry-run --user -q --quiet" ;;
        stop | reload | reset) opts="--user -q --quiet" ;;
        restart) opts="--update-env --user -q --quiet" ;;
        scale | delete | del) opts="--dry-run --user -q --quiet" ;;
        describe | show | env) opts="--user -q --quiet" ;;
        monit) opts="--user" ;;
        import) opts="-o --output --to --apply -e --env --dry-run --all-env --user -q --quiet" ;;
        generator) opts="--user -q --quiet" ;;
        deploy-export) opts="-o --output -q --quiet" ;;
        *) opts="" ;;
        esac
        if [[ $cur == -* ]]; then
                _pmgen_reply -W "$opts" -- "$cur"
                [[ ${COMPREPLY[*]} == *= ]] && declare -F compopt >/dev/null && compopt -o nospace
                return 0
        fi

        local -a apps
        case $cmd in
        '')
                _pmgen_reply -W "$commands" -- "$cur"
                ;;
        check | generate | convert | apply | diff)
                [[ $cmd == convert ]] && ((npos >= 1)) && return 0
                _pmgen_files '@(js|cjs|mjs|json|ini)'
                ;;
        start)
                # pmgen start SCRIPT|FILE|APP: files, then the apps and all
                ((npos == 0)) || return 0
                _pmgen_files '@(js|cjs|mjs|ts|py|rb|sh|php|pl|json|ini)'
                mapfile -t apps < <(_pmgen_apps "$user")
                apps+=(all)
                local -a more
                mapfile -t more < <(compgen -W "${apps[*]}" -- "$cur")
                COMPREPLY+=("${more[@]}")
                ;;
        logs | log | stop | restart | reload | reset | delete | del | describe | show | env | scale)
                if ((npos == 0)); then
                        mapfile -t apps < <(_pmgen_apps "$user")
                        case $cmd in
                        logs | log | describe | show | env | scale) ;;
                        *) apps+=(all) ;;
                        esac
                        _pmgen_reply -W "${apps[*]}" -- "$cur"
                elif [[ $cmd == scale && $npos == 1 ]]; then
                        _pmgen_reply -W "+1 -1" -- "$cur"
                fi
                ;;
        deploy-export)
                # FILE, then ENV (a key of its deploy section: nothing to offer without reading JavaScript)
                ((npos == 0)) && _pmgen_files '@(js|cjs|mjs|json)'
                ;;
        import)
                ((npos == 0)) && _pmgen_files ''
                ;;
        generator)
                ((npos < 3)) && _pmgen_dirs
                ;;
        help)
                ((npos == 0)) && _pmgen_reply -W "$commands" -- "$cur"
                ;;
        esac
        return 0
}
complete -F _pmgen pmgen
