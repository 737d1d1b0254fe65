package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/trellis-studio/trellis/examples"
	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/server"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// env returns the environment variable or the default.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envInt64(name string, def int64) int64 {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return def
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg server.Config
	fs := flag.NewFlagSet("trellis serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", env("TRELLIS_ADDR", "127.0.0.1:8080"), "listen `address` (env TRELLIS_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", env("TRELLIS_DATA", "./data"), "data `directory` holding the store (env TRELLIS_DATA)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", env("TRELLIS_TLS_CERT", ""), "TLS certificate `file` (env TRELLIS_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", env("TRELLIS_TLS_KEY", ""), "TLS key `file` (env TRELLIS_TLS_KEY)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("TRELLIS_BASE_URL", ""), "public `URL` when behind a proxy (env TRELLIS_BASE_URL)")
	fs.Int64Var(&cfg.MaxUploadBytes, "max-upload", envInt64("TRELLIS_MAX_UPLOAD", 2<<30), "largest dataset upload in `bytes` (env TRELLIS_MAX_UPLOAD)")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body", envInt64("TRELLIS_MAX_BODY", 8<<20), "largest JSON request body in `bytes` (env TRELLIS_MAX_BODY)")
	fs.IntVar(&cfg.MaxRuns, "max-runs", int(envInt64("TRELLIS_MAX_RUNS", 4)), "workflow runs executing at once; more wait queued (env TRELLIS_MAX_RUNS)")
	cacheMiB := fs.Int64("cache", envInt64("TRELLIS_CACHE_MIB", 1024), "node result cache size in `MiB` (env TRELLIS_CACHE_MIB)")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, err := storage.Open(cfg.DataDir, storage.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := builtin.Registry()
	if err != nil {
		return err
	}
	eng := &workflow.Engine{Registry: reg, Cache: workflow.NewMemoryCache(*cacheMiB << 20), Logger: log}
	srv, err := server.New(cfg, st, reg, eng, log)
	if err != nil {
		return err
	}
	eng.Resources = srv.Resources()
	first, err := server.Bootstrap(st, server.Sample{DatasetName: "loans.csv", CSV: examples.LoansCSV, Workflows: [][]byte{examples.PrepareWorkflow, examples.TrainWorkflow}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := cfg.BaseURL
	if url == "" {
		url = fmt.Sprintf("%s://%s", scheme, displayAddr(ln.Addr()))
	}
	fmt.Fprintf(stdout, "Trellis %s is listening on %s (data in %s)\n", version, url, cfg.DataDir)
	if first != nil {
		if first.Password != "" {
			fmt.Fprintf(stdout, "First run: log in as %q with password %s\n(also in %s, readable only by you: change the password, then delete that file)\n", first.AdminName, first.Password, first.PasswordFile)
		} else {
			fmt.Fprintf(stdout, "First run: log in as %q with the password from TRELLIS_ADMIN_PASSWORD\n", first.AdminName)
		}
		fmt.Fprintln(stdout, `A sample dataset ("loans.csv") and workflows ("Prepare loan applications", "Predict loan default") are loaded.`)
	}
	start := time.Now()
	err = srv.Serve(ctx, ln)
	log.Info("stopped", "uptime", time.Since(start).Round(time.Second))
	return err
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	return tcp.String()
}
