// Command trellis is the Trellis workflow studio: a server for the browser
// designer and published endpoints, and a headless runner for schedulers.
//
//	trellis serve                 start the server
//	trellis run FLOW.json ...     run a workflow headless
//	trellis validate FLOW.json    check a workflow without running it
//	trellis modules               list the module library
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Trellis — a visual workflow studio for data science.

Usage:
  trellis run FLOW.json [flags]       run a workflow headless (trellis run -h for flags)
  trellis validate FLOW.json [flags]  check a workflow without running it
  trellis modules [-json]             list the module library
  trellis serve [flags]               start the server (trellis serve -h for flags)
  trellis user add|passwd|list|role   manage users without a browser
  trellis backup FILE                 write a consistent backup archive of the data directory
  trellis restore FILE DIR            restore a backup archive into an empty directory
  trellis version                     print the version
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitUsage is the exit status for a command line that could not be understood.
const exitUsage = 2

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "validate":
		err = cmdValidate(ctx, args[1:], stdout, stderr)
	case "modules":
		err = cmdModules(args[1:], stdout)
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "user":
		err = cmdUser(args[1:], stdin, stdout, stderr)
	case "backup":
		err = cmdBackup(args[1:], stdout, stderr)
	case "restore":
		err = cmdRestore(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "trellis", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "trellis: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "trellis %s: %v\n", args[0], err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "trellis %s: %v\n", args[0], err)
	return 1
}

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }
