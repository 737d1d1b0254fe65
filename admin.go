package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/trellis-studio/trellis/server"
	"github.com/trellis-studio/trellis/storage"
)

const userUsage = `Usage:
  trellis user add NAME [-role admin|author|viewer]   create a user (password read from standard input)
  trellis user passwd NAME                            set a user's password (ends their sessions)
  trellis user role NAME admin|author|viewer          change a user's role
  trellis user list                                   list users
Flags: -data DIR (env TRELLIS_DATA). The server must be stopped: it holds the store.
`

// openStoreForAdmin opens the store for a command-line change, explaining
// the usual reason it cannot: a running server holds it.
func openStoreForAdmin(dir string) (*storage.Store, error) {
	st, err := storage.Open(dir, storage.Options{Timeout: 2 * time.Second})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w\n(a running Trellis server holds %s: stop it, or use the web interface or the API)", err, dir)
	}
	return st, err
}

func cmdUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trellis user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, userUsage) }
	dir := fs.String("data", env("TRELLIS_DATA", "./data"), "data directory")
	role := fs.String("role", "author", "role of a new user")
	if len(args) == 0 {
		fs.Usage()
		return usagef("say what to do: add, passwd, role or list")
	}
	sub, rest := args[0], args[1:]
	// Flags may come before or after the user name.
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return usageError{err}
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	want := map[string]int{"add": 1, "passwd": 1, "role": 2, "list": 0}
	n, ok := want[sub]
	if !ok {
		fs.Usage()
		return usagef("unknown subcommand %q", sub)
	}
	if len(pos) != n {
		fs.Usage()
		return usagef("%s takes %d argument(s), got %d", sub, n, len(pos))
	}
	st, err := openStoreForAdmin(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "list":
		users, err := st.Users()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tROLE\tCREATED\tSTATUS")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Role, u.Created.Format(time.DateOnly), status)
		}
		return tw.Flush()
	case "add":
		r := storage.Role(*role)
		if !r.Valid() {
			return usagef("role %q is not one of admin, author, viewer", *role)
		}
		pw, err := readPassword(stdin, stderr, "Password for "+pos[0]+": ")
		if err != nil {
			return err
		}
		u, err := server.CreateUser(st, pos[0], pw, r)
		if err != nil {
			return err
		}
		_, _ = st.AppendAudit(storage.AuditEntry{Actor: "cli", Action: "user.create", Target: u.Username, Detail: "role " + string(r)})
		fmt.Fprintf(stdout, "created %s (%s)\n", u.Username, u.Role)
	case "passwd":
		u, err := st.UserByName(pos[0])
		if err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr, "New password for "+u.Username+": ")
		if err != nil {
			return err
		}
		hash, err := server.HashPassword(pw)
		if err != nil {
			return err
		}
		if _, err := st.UpdateUser(u.ID, func(u *storage.User) error { u.PasswordHash = hash; return nil }); err != nil {
			return err
		}
		if _, err := st.DeleteUserSessions(u.ID); err != nil {
			return err
		}
		_, _ = st.AppendAudit(storage.AuditEntry{Actor: "cli", Action: "user.password_reset", Target: u.Username})
		fmt.Fprintf(stdout, "password of %s changed; their sessions are ended\n", u.Username)
	case "role":
		r := storage.Role(pos[1])
		if !r.Valid() {
			return usagef("role %q is not one of admin, author, viewer", pos[1])
		}
		u, err := st.UserByName(pos[0])
		if err != nil {
			return err
		}
		old := u.Role
		if _, err := st.UpdateUser(u.ID, func(u *storage.User) error { u.Role = r; return nil }); err != nil {
			return err
		}
		_, _ = st.AppendAudit(storage.AuditEntry{Actor: "cli", Action: "user.role", Target: u.Username, Detail: string(old) + " → " + string(r)})
		fmt.Fprintf(stdout, "%s is now %s (was %s)\n", u.Username, r, old)
	}
	return nil
}

// readPassword reads a password without echo from a terminal, or one line
// from a pipe (for scripts).
func readPassword(stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

const backupUsage = `Usage: trellis backup [-data DIR | -url URL] FILE
Writes a consistent archive (the store and every dataset file) to FILE.
With the server stopped it reads DIR directly; with the server running,
give its -url and an admin API token in TRELLIS_TOKEN, and the server
streams a backup taken in one read transaction while it keeps serving.
`

func cmdBackup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trellis backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, backupUsage) }
	dir := fs.String("data", env("TRELLIS_DATA", "./data"), "data directory")
	url := fs.String("url", env("TRELLIS_URL", ""), "URL of a running server")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usagef("give the archive file to write")
	}
	out := fs.Arg(0)
	if *url != "" {
		return backupFromServer(*url, os.Getenv("TRELLIS_TOKEN"), out, stdout)
	}
	st, err := openStoreForAdmin(*dir)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.BackupArchiveFile(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s\n", out)
	return nil
}

func backupFromServer(url, token, out string, stdout io.Writer) (err error) {
	if token == "" {
		return usagef("set TRELLIS_TOKEN to an admin's API token to back up a running server")
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(url, "/")+"/api/v1/admin/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		return fmt.Errorf("server answered %s: %s", res.Status, strings.TrimSpace(string(body)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, res.Body); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s\n", out)
	return nil
}

func cmdRestore(args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 {
		fmt.Fprint(stderr, "Usage: trellis restore ARCHIVE DIR\nRestores a backup archive into DIR, which must be empty or absent; then start the server with -data DIR.\n")
		return usagef("give the archive and the directory to restore into")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if err := storage.RestoreArchive(f, args[1]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s; start it with: trellis serve -data %s\n", args[0], args[1], args[1])
	return nil
}
