package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"ketnoi/corpus"
)

// keys and users are commands with subcommands that share the flags --name, --role and --json.

// roleCommand is such a command, parsed.
type roleCommand struct {
	fs              *flag.FlagSet
	name, role      *string
	asJSON          *bool
	cmd, sub        string
	rest            []string // the subcommand's arguments
	subcommandsHelp string
}

// parseRoleCommand parses the flags of command cmd and takes its subcommand; subs lists the
// subcommands for the error when there is none.
func parseRoleCommand(e *env, cmd, nameHelp, subs string, args []string) (*roleCommand, error) {
	c := find(cmd)
	fs := newFlags(e, c)
	r := &roleCommand{fs: fs, cmd: cmd,
		name:   fs.String("name", "", nameHelp),
		role:   fs.String("role", "", "vai trò: staff, broker hoặc admin"),
		asJSON: fs.Bool("json", false, "in danh sách dạng JSON (cho list)")}
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, usageError{fmt.Sprintf("%s cần lệnh con: %s; xem ketnoi %s --help", cmd, subs, cmd)}
	}
	r.sub, r.rest = pos[0], pos[1:]
	return r, nil
}

// createOrList runs the two subcommands keys and users share: create (named create or add), which takes
// --name and --role and no argument (hint says where the argument belongs), and list, which takes --json.
// ok is false for any other subcommand.
func (r *roleCommand) createOrList(create, hint string, doCreate func(name, role string) error, doList func(asJSON bool) error) (ok bool, err error) {
	switch r.sub {
	case create:
		if err := errors.Join(r.only("name", "role"), noArgs(r.cmd+" "+create, r.rest, hint)); err != nil {
			return true, err
		}
		return true, doCreate(*r.name, *r.role)
	case "list":
		if err := errors.Join(r.only("json"), noArgs(r.cmd+" list", r.rest, "")); err != nil {
			return true, err
		}
		return true, doList(*r.asJSON)
	}
	return false, nil
}

// listTime is how lists and messages show a time: the province's clock, with its offset, whatever the
// machine's zone (the server shows the same clock).
func listTime(t time.Time) string { return corpus.VietnamTime(t, "2006-01-02 15:04") }

// printList prints a list as JSON (items) or as a table (header and rows, tab-separated, then footer),
// or the message empty when there are no rows.
func printList(e *env, asJSON bool, items any, empty, header string, rows []string, footer string) error {
	if asJSON {
		b, err := json.MarshalIndent(items, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, string(b))
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, empty)
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, header)
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s\n", footer)
	return nil
}

// only refuses the flags set that the subcommand does not take (--data is always allowed).
func (r *roleCommand) only(allowed ...string) error {
	return onlyFlags(r.fs, r.cmd+" "+r.sub, allowed...)
}

// onlyFlags refuses the flags set on the command line that cmd (a command and its subcommand) does not
// take; --data is always allowed.
func onlyFlags(fs *flag.FlagSet, cmd string, allowed ...string) error {
	ok := map[string]bool{"data": true}
	for _, a := range allowed {
		ok[a] = true
	}
	var bad error
	fs.Visit(func(f *flag.Flag) {
		if !ok[f.Name] && bad == nil {
			bad = usageError{fmt.Sprintf("%s không nhận cờ --%s", cmd, f.Name)}
		}
	})
	return bad
}

// noArgs refuses arguments to cmd, saying what was probably meant instead (hint, may be empty).
func noArgs(cmd string, rest []string, hint string) error {
	if len(rest) == 0 {
		return nil
	}
	if hint != "" {
		hint = " (" + hint + ")"
	}
	return usageError{cmd + " không nhận đối số: " + rest[0] + hint}
}

// nameAndRole checks the --name and --role of a command that creates a key or a user.
func nameAndRole(cmd, name, roleName, nameHint string) (corpus.Role, error) {
	if name == "" {
		return "", usageError{cmd + " cần --name TÊN (" + nameHint + ")"}
	}
	if roleName == "" {
		return "", usageError{cmd + " cần --role staff, broker hoặc admin"}
	}
	role, err := corpus.ParseRole(roleName)
	if err != nil {
		return "", usageError{err.Error()}
	}
	return role, nil
}
