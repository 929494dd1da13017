package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/berth-dev/berth/inventory"
)

func init() {
	register(&command{
		name:    "completion",
		summary: "shell completion for bash and zsh",
		subs: []*command{
			{
				name:    "bash",
				summary: "print the bash completion script",
				about:   "Load it with: source <(berth completion bash), or save it in /etc/bash_completion.d/berth.",
				setup: func(*flag.FlagSet) action {
					return func(e *env, _ invocation) int { writeBashCompletion(e.stdout, false); return exitOK }
				},
			},
			{
				name:    "zsh",
				summary: "print the zsh completion script",
				about:   "Load it with: source <(berth completion zsh) in ~/.zshrc (it uses zsh's bashcompinit).",
				setup: func(*flag.FlagSet) action {
					return func(e *env, _ invocation) int { writeBashCompletion(e.stdout, true); return exitOK }
				},
			},
			{
				name:    "names",
				summary: "print the host and group names of an inventory, for the completion scripts",
				args:    []param{optional("DIR")},
				about:   "Reads DIR (default .) offline; prints nothing, and exits 0, when it cannot.",
				setup: func(*flag.FlagSet) action {
					return func(e *env, in invocation) int { writeNames(e, dirArg(in.args)); return exitOK }
				},
			},
		},
	})
}

// writeNames prints the hosts and groups of dir, one per line, sorted. It runs on every
// TAB press: any problem prints nothing rather than noise in the middle of a command line.
func writeNames(e *env, dir string) {
	inv, _ := inventory.Load(dir, inventory.Options{Getenv: e.getenv})
	if inv == nil {
		return
	}
	var names []string
	for _, h := range inv.Hosts {
		names = append(names, h.Name)
	}
	for _, g := range inv.Groups {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(e.stdout, n)
	}
}

// writeBashCompletion prints a bash completion function for berth. Commands, subcommands,
// flags and which flags take a value are read from the command registry when the script
// is generated, so the script matches the berth that printed it; host and group names are
// asked of 'berth completion names DIR' at each completion. For zsh the same function runs
// under bashcompinit.
func writeBashCompletion(w io.Writer, zsh bool) {
	fmt.Fprintf(w, "# %s completion for berth %s, printed by 'berth completion %s'.\n", map[bool]string{false: "bash", true: "zsh"}[zsh], versionString(), map[bool]string{false: "bash", true: "zsh"}[zsh])
	if zsh {
		fmt.Fprint(w, "autoload -U +X compinit && compinit\nautoload -U +X bashcompinit && bashcompinit\n")
	}
	fmt.Fprintf(w, "\n_berth_commands=%s\n\n", shellQuote(strings.Join(commandNames(), " ")))
	fmt.Fprint(w, "# _berth_spec PATH: subcommands, flags, flags taking a value, positional kinds\n_berth_spec() {\n  case $1 in\n")
	for _, c := range allCommands() {
		subs, flags, valued, params := completionSpec(c)
		fmt.Fprintf(w, "    %s) _berth_subs=%s _berth_flags=%s _berth_valued=%s _berth_params=%s ;;\n",
			shellQuote(c.path()), shellQuote(subs), shellQuote(flags), shellQuote(valued), shellQuote(params))
	}
	fmt.Fprint(w, "    *) _berth_subs='' _berth_flags='' _berth_valued='' _berth_params='' ;;\n  esac\n}\n")
	fmt.Fprint(w, bashCompletionFunc)
}

// completionSpec describes a command for the script: its subcommands, its flags (dashed),
// the flags that take a value (" -l --limit " with spaces around each), and the kind of
// each positional argument: host, dir, command or file; "many" repeats the last.
func completionSpec(c *command) (subs, flags, valued, params string) {
	subs = strings.Join(c.subNames(), " ")
	if len(c.subs) > 0 {
		return subs, "", "", ""
	}
	fs, _ := c.flagSet()
	var fl, vl []string
	fs.VisitAll(func(f *flag.Flag) {
		fl = append(fl, dashed(f.Name))
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			vl = append(vl, dashed(f.Name))
		}
	})
	var pl []string
	for _, p := range c.args {
		kind := "file"
		switch p.name {
		case "HOST":
			kind = "host"
		case "DIR":
			kind = "dir"
		case "COMMAND":
			kind = "command"
		}
		pl = append(pl, kind)
		if p.many {
			pl = append(pl, "many")
		}
	}
	valued = ""
	if len(vl) > 0 {
		valued = " " + strings.Join(vl, " ") + " "
	}
	return subs, strings.Join(fl, " "), valued, strings.Join(pl, " ")
}

// shellQuote quotes s for sh in single quotes.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// bashCompletionFunc completes a berth command line: the command, the subcommand, then
// flags, the values of -l/--limit (hosts and groups), files for other valued flags, and
// positional arguments by kind. The inventory is the DIR argument typed so far, else ".".
const bashCompletionFunc = `
_berth() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local _berth_subs _berth_flags _berth_valued _berth_params
  COMPREPLY=()
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W "$_berth_commands" -- "$cur"))
    return
  fi
  local path=${COMP_WORDS[1]} first=2
  _berth_spec "$path"
  if [[ -n $_berth_subs ]]; then
    if (( COMP_CWORD == 2 )); then
      COMPREPLY=($(compgen -W "$_berth_subs" -- "$cur"))
      return
    fi
    path="$path ${COMP_WORDS[2]}"
    first=3
    _berth_spec "$path"
  fi
  # Positional arguments before the cursor, skipping flags and their values; "--" ends
  # berth's own arguments (what follows is a remote command).
  local -a pos=()
  local i w dir=.
  for (( i=first; i<COMP_CWORD; i++ )); do
    w=${COMP_WORDS[i]}
    case $w in
      --) return ;;
      -*) [[ $_berth_valued == *" $w "* ]] && (( i++ )) ;;
      *) pos+=("$w") ;;
    esac
  done
  local -a kinds=($_berth_params)
  for (( i=0; i<${#pos[@]} && i<${#kinds[@]}; i++ )); do
    [[ ${kinds[i]} == dir ]] && dir=${pos[i]}
  done
  if [[ $_berth_valued == *" $prev "* ]]; then
    case $prev in
      -l|--limit) COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" completion names "$dir" 2>/dev/null)" -- "$cur")) ;;
      *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$_berth_flags" -- "$cur"))
    return
  fi
  local n=${#pos[@]} kind=
  if (( n < ${#kinds[@]} )); then
    kind=${kinds[n]}
  elif [[ ${kinds[${#kinds[@]}-1]} == many ]]; then
    kind=${kinds[${#kinds[@]}-2]}
  fi
  [[ $kind == many ]] && kind=${kinds[n-1]}
  case $kind in
    host) COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" completion names "$dir" 2>/dev/null)" -- "$cur")) ;;
    dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
    command) COMPREPLY=($(compgen -W "$_berth_commands" -- "$cur")) ;;
    file) COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _berth berth
`
