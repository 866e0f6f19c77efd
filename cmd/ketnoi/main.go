// Command ketnoi is the one binary of ketnoi: it serves the web UI and the API, imports records into the
// corpus, searches, matches needs with results, and rebuilds the index. This package holds flags and wiring
// only; the work is in corpus, indexer, matcher and server.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"ketnoi/indexer/extract"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis
	help    string // longer Vietnamese help
	run     func(env *env, args []string) error
}

var commands []*command

func register(c *command) { commands = append(commands, c) }

// env is what every command gets: where to write, and the global options.
type env struct {
	stdin          io.Reader // nil: nothing to read (commands that read it say so)
	stdout, stderr io.Writer
	data           string
}

// exitError carries an exit code out of a command after its message was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	if os.Getenv(extract.WorkerEnv) != "" {
		os.Exit(serveWorker())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// serveWorker is the process an extraction Pool starts: this binary again, answering on stdin/stdout.
func serveWorker() int {
	if err := extract.ServeWorker(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ketnoi worker:", err)
		return 1
	}
	return 0
}

func run(args []string, stdout, stderr io.Writer) int {
	return runWith(os.Stdin, args, stdout, stderr)
}

// runWith is run with standard input given (a terminal, a pipe, or a test's reader).
func runWith(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, data: defaultDataDir()}
	// Global flags may come before the subcommand: ketnoi --data D index FILE.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case a == "-h" || a == "--help" || a == "-help":
			usage(stdout)
			return 0
		case a == "--data" || a == "-data":
			if len(args) < 2 {
				fmt.Fprintln(stderr, "ketnoi: --data cần một thư mục")
				return 2
			}
			e.data, args = args[1], args[2:]
			continue
		case strings.HasPrefix(a, "--data=") || strings.HasPrefix(a, "-data="):
			e.data = a[strings.IndexByte(a, '=')+1:]
			args = args[1:]
			continue
		}
		fmt.Fprintf(stderr, "ketnoi: cờ không xác định %s trước lệnh con; xem ketnoi --help\n", a)
		return 2
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "help" {
		if len(args) > 1 {
			if c := find(args[1]); c != nil {
				commandUsage(stdout, c, nil)
				return 0
			}
		}
		usage(stdout)
		return 0
	}
	c := find(name)
	if c == nil {
		fmt.Fprintf(stderr, "ketnoi: không có lệnh %q; xem ketnoi --help\n", name)
		return 2
	}
	err := c.run(e, args[1:])
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintf(stderr, "ketnoi %s: %v\n", name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func defaultDataDir() string {
	if d := os.Getenv("KETNOI_DATA"); d != "" {
		return d
	}
	return "./data"
}

func find(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `ketnoi – tìm kiếm kết quả nghiên cứu và kết nối cung – cầu công nghệ.

Cách dùng:
  ketnoi [--data THƯ_MỤC] LỆNH [cờ] [đối số]

Các lệnh:
`)
	cs := append([]*command(nil), commands...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Cờ chung:
  --data THƯ_MỤC   thư mục dữ liệu (mặc định ./data, hoặc biến môi trường KETNOI_DATA);
                   có thể đặt trước hoặc sau tên lệnh

Xem hướng dẫn của một lệnh: ketnoi LỆNH --help
`)
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Cách dùng: ketnoi %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.help))
	if fs != nil {
		fmt.Fprintln(w, "\nCờ:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// usageError is a mistake in how a command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlags makes a command's flag set with the global --data flag.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.data, "data", e.data, "thư mục dữ liệu")
	fs.Usage = func() {}
	return fs
}

// parse parses flags that may be mixed with positional arguments (ketnoi index FILE --data D), and
// prints the command's help for --help.
func parse(e *env, c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				commandUsage(e.stdout, c, fs)
				return nil, flag.ErrHelp
			}
			return nil, usageError{translateFlagError(err)}
		}
		rest := fs.Args()
		// The flag package drops the "--" that ends the flags: what follows it is all positional, even
		// what looks like a flag ("ketnoi search -- máy sấy -điện").
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" && !isFlagValue(fs, args, used-1) {
			return append(pos, rest...), nil
		}
		args = rest
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// isFlagValue reports whether args[i] is the value of the flag before it ("--key --"), not a flag.
func isFlagValue(fs *flag.FlagSet, args []string, i int) bool {
	if i == 0 {
		return false
	}
	name, ok := flagName(args[i-1])
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

// flagName is the name in a flag argument ("-x", "--name", "--name=value" with its "=value"), or false
// for an argument that is not a flag.
func flagName(arg string) (string, bool) {
	if len(arg) < 2 || arg[0] != '-' || arg == "--" {
		return "", false
	}
	name := strings.TrimPrefix(arg[1:], "-")
	return name, name != "" && name[0] != '-' && name[0] != '='
}

func translateFlagError(err error) string {
	s := err.Error()
	switch {
	case strings.HasPrefix(s, "flag provided but not defined: "):
		return "cờ không xác định: " + strings.TrimPrefix(s, "flag provided but not defined: ")
	case strings.HasPrefix(s, "flag needs an argument: "):
		return "cờ cần giá trị: " + strings.TrimPrefix(s, "flag needs an argument: ")
	case strings.HasPrefix(s, "invalid value "):
		return "giá trị không hợp lệ: " + strings.TrimPrefix(s, "invalid value ")
	}
	return s
}
