package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// envPrefix starts the variable of every serve flag: --client-secret is
// also PDEMU_CLIENT_SECRET, and --control-token PDEMU_CONTROL_TOKEN.
const envPrefix = "PDEMU_"

// envName is the variable that sets flag name: PDEMU_ and the name in upper
// case with dashes as underscores.
func envName(prefix, name string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// helpHint is the line under a usage error of subcommand sub ("" for
// pdemu itself).
func helpHint(sub string) string {
	if sub == "" {
		return "run 'pdemu help' for usage"
	}
	return "run 'pdemu help " + sub + "' for usage"
}

// repeatable marks a flag that may be given more than once; its variable
// holds the values comma-separated.
type repeatable interface{ repeatable() }

// flagOrigins names where each flag's value came from: the variable, for
// those the environment set; the flag, for the others.
type flagOrigins map[string]string

// of is how a message names flag name's value: --name, or the variable
// that set it.
func (o flagOrigins) of(name string) string {
	if v, ok := o[name]; ok {
		return v
	}
	return "--" + name
}

// parseFlags parses a subcommand's (sub's) command line into fs, then sets
// each flag the command line left unset from its variable (envName(prefix,
// name)), when that is set and prefix is not "". It returns flag.ErrHelp
// for -h, -help or --help (and prints nothing: the caller prints the help
// to stdout). Every other error is a one-line *usageError, spelling flags
// as --name, whose hint points to sub's help.
func parseFlags(fs *flag.FlagSet, sub string, args []string, prefix string, getenv func(string) string) (flagOrigins, error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var failed setFailure
	fs.VisitAll(func(f *flag.Flag) {
		f.Value = &checkedValue{Value: f.Value, name: f.Name, failed: &failed}
	})
	usage := func(format string, args ...any) error {
		return &usageError{err: fmt.Errorf(format, args...), hint: helpHint(sub)}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		msg := err.Error()
		if failed.err != nil {
			return nil, usage("invalid --%s %q: %s", failed.name, failed.value, failed.reason())
		}
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			return nil, usage("unknown flag --%s", name)
		}
		if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
			return nil, usage("flag --%s needs a value", name)
		}
		if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
			return nil, usage("bad flag syntax %q: want --name or --name=value", arg)
		}
		return nil, usage("%s", msg)
	}
	if fs.NArg() > 0 {
		return nil, usage("%s takes flags only, got %q", sub, strings.Join(fs.Args(), " "))
	}
	origins := flagOrigins{}
	if prefix == "" {
		return origins, nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if envErr != nil || given[f.Name] {
			return
		}
		name := envName(prefix, f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		values := []string{v}
		if _, ok := f.Value.(*checkedValue).Value.(repeatable); ok {
			values = strings.Split(v, ",")
		}
		for _, v := range values {
			if err := fs.Set(f.Name, strings.TrimSpace(v)); err != nil {
				envErr = usage("invalid %s %q: %s", name, failed.value, failed.reason())
				return
			}
		}
		origins[f.Name] = name
	})
	return origins, envErr
}

// setFailure is the first value a flag refused.
type setFailure struct {
	name, value string
	value0      flag.Value
	err         error
}

// reason says what the flag wants, in place of the flag package's "parse
// error" for its own types.
func (f *setFailure) reason() string {
	if g, ok := f.value0.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return "want true or false"
		case int, int64, uint, uint64:
			if f.err.Error() == "value out of range" {
				return "out of range"
			}
			return "want a whole number"
		case float64:
			return "want a number"
		case time.Duration:
			return "want a duration, such as 30s or 2m"
		}
	}
	return f.err.Error()
}

// checkedValue records the first value its flag refuses, so that the
// error can name the flag as --name and say what it wants.
type checkedValue struct {
	flag.Value
	name   string
	failed *setFailure
}

func (v *checkedValue) Set(s string) error {
	err := v.Value.Set(s)
	if err != nil && v.failed.err == nil {
		*v.failed = setFailure{name: v.name, value: s, value0: v.Value, err: err}
	}
	return err
}

// IsBoolFlag keeps a boolean flag one that needs no value.
func (v *checkedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// secretFrom settles a secret that may be given as a value (--name) or a
// file (--name-file): the command line wins over the environment, and
// both at the same level are an error. A file's content, with its
// trailing newline trimmed, replaces *value; it is never printed.
func secretFrom(o flagOrigins, name string, value *string, file string, hint string) error {
	fileFlag := name + "-file"
	if file == "" {
		return nil
	}
	_, valueFromEnv := o[name]
	_, fileFromEnv := o[fileFlag]
	if *value != "" && valueFromEnv == fileFromEnv {
		return &usageError{err: fmt.Errorf("%s and %s both give the %s; give one", o.of(name), o.of(fileFlag), strings.ReplaceAll(name, "-", " ")), hint: hint}
	}
	if *value != "" && fileFromEnv {
		return nil // the command line's value wins
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if pe, ok := errors.AsType[*os.PathError](err); ok {
			err = pe.Err
		}
		return &usageError{err: fmt.Errorf("cannot read %s %s: %v", o.of(fileFlag), file, err), hint: hint}
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if s == "" {
		return &usageError{err: fmt.Errorf("%s %s is empty", o.of(fileFlag), file), hint: hint}
	}
	*value = s
	// A bad value is now the file's: say so.
	o[name] = o.of(fileFlag) + " " + file
	return nil
}
