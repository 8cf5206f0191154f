package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module's build info is used.
var version = ""

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every subcommand receives instead of reaching for globals.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "run the platform (web UI and API)", serveCmd},
		{"migrate", "apply database migrations and print the schema version", migrateCmd},
		{"audit", "audit trail tools: 'audit verify' checks the hash chain, 'audit keygen' and 'audit checkpoint' sign its head", auditCmd},
		{"ledger", "ledger tools: 'ledger verify' recomputes every balance from the transfers", ledgerCmd},
		{"bench", "benchmarks: 'bench ledger', 'bench settlement', 'bench clearing', 'bench customs', 'bench dispatch' (see docs/PERFORMANCE.md)", benchCmd},
		{"dispatch", "logistics dispatch of a CSV network of departures and shipments, with a lower bound", dispatchCmd},
		{"clear", "obligation clearing (MTCS) of a CSV network, with an optimality certificate", clearCmd},
		{"deal", "agreement signatures offline: 'deal keygen' makes an Ed25519 key pair, 'deal sign' signs a document, 'deal verify' checks a document against its bundle", dealCmd},
		{"import", "import reference tables: 'import tariff --csv FILE' validates a customs tariff", importCmd},
		{"version", "print the version", versionCmd},
	}
}

// usageError makes the binary exit with status 2, as flag parsing does.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// run is the whole program; main only supplies the process's environment,
// so tests can run any command in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		printUsage(stdout)
		if len(args) < 2 {
			return usageError{"no command given"}
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[1] {
			err := c.run(ctx, e, args[2:])
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	printUsage(stderr)
	return usageError{fmt.Sprintf("unknown command %q", args[1])}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "bricstown — the digital platform of the Kazakhstan BRICS Town\n\nUsage: bricstown <command> [flags]\n\nCommands:\n")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'bricstown <command> --help' for a command's flags. Every flag can also be set\nwith an environment variable, shown in each command's help.\n")
}

// flags is a FlagSet whose defaults come from environment variables, so
// that every flag has an environment equivalent named in its help text.
type flags struct {
	*flag.FlagSet
	getenv func(string) string
}

func newFlags(e *env, name, usage string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: bricstown %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs, getenv: e.getenv}
}

func (f *flags) string(name, envName, def, usage string) *string {
	if v := f.getenv(envName); v != "" {
		def = v
	}
	return f.String(name, def, usage+" (env "+envName+")")
}

func (f *flags) bool(name, envName string, def bool, usage string) *bool {
	if v := f.getenv(envName); v != "" {
		def = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
	}
	return f.Bool(name, def, usage+" (env "+envName+")")
}

func (f *flags) int(name, envName string, def int, usage string) *int {
	if v := f.getenv(envName); v != "" {
		fmt.Sscan(v, &def)
	}
	return f.Int(name, def, usage+" (env "+envName+")")
}

func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", f.Name(), f.Arg(0))}
	}
	return nil
}

func dbFlag(f *flags) *string {
	return f.string("db", "BRICSTOWN_DB", "./bricstown-data/bricstown.db", "database: a SQLite file path, or a postgres:// URL")
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("bad log level %q (debug, info, warn, error)", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("bad log format %q (text, json)", format)}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
	}
	return "dev"
}

func versionCmd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "version", "version")
	if err := f.parse(args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "bricstown %s\n", versionString())
	return nil
}
