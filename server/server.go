// Package server is Trellis's HTTP face: the JSON API the browser designer and
// applications use, authentication and authorization, and the lifecycle of
// the process (first run, graceful shutdown). echo is used here and nowhere else.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

// Config is what an operator can set (flags and TRELLIS_* environment variables).
type Config struct {
	Addr    string // listen address, default 127.0.0.1:8080
	DataDir string // store directory, default ./data
	TLSCert string // certificate and key files; both or neither
	TLSKey  string
	// BaseURL is the public URL when behind a proxy (used for links and the host allow-list).
	BaseURL string
	// MaxBodyBytes bounds JSON request bodies; MaxUploadBytes bounds dataset uploads.
	MaxBodyBytes   int64
	MaxUploadBytes int64
	// SessionIdle and SessionMax are the idle and absolute session lifetimes.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// ShutdownGrace bounds how long SIGTERM waits for requests and runs.
	ShutdownGrace time.Duration
	// MaxRuns bounds the workflow runs executing at once; more wait queued.
	MaxRuns int
}

// Defaults fills unset fields.
func (c *Config) Defaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = 2 << 30
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = 12 * time.Hour
	}
	if c.SessionMax == 0 {
		c.SessionMax = 7 * 24 * time.Hour
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = 25 * time.Second
	}
	if c.MaxRuns <= 0 {
		c.MaxRuns = 4
	}
}

// TLS reports whether the server terminates TLS itself.
func (c *Config) TLS() bool { return c.TLSCert != "" }

// Server holds the dependencies of every handler.
type Server struct {
	cfg      Config
	store    *storage.Store
	registry *modules.Registry
	engine   *workflow.Engine
	log      *slog.Logger
	metrics  *metrics
	echo     *echo.Echo
	limits   *loginLimits
	runs     *runManager
	tables   *tableCache // parsed datasets, by content hash
	draining atomic.Bool
	// secureCookies is true when browsers accept Secure cookies from us:
	// over TLS, or on localhost, which browsers treat as a secure context.
	secureCookies bool
	allowedHosts  map[string]bool
}

// New builds a server over an open store.
func New(cfg Config, store *storage.Store, reg *modules.Registry, engine *workflow.Engine, log *slog.Logger) (*Server, error) {
	cfg.Defaults()
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("give both a TLS certificate and a key, or neither")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, store: store, registry: reg, engine: engine, log: log, limits: newLoginLimits()}
	hosts, loopback, err := allowedHosts(cfg)
	if err != nil {
		return nil, err
	}
	s.allowedHosts = hosts
	s.secureCookies = cfg.TLS() || loopback
	s.metrics = newMetrics()
	s.runs = newRunManager(s)
	s.tables = newTableCache(512<<20, 16)
	engine.OnNodeDone = s.metrics.nodeDone
	s.echo = echo.New()
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s, nil
}

// Handler returns the HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.echo }

// allowedHosts returns the host names (without port) accepted in the Host
// header when the server is bound to loopback — a defence against DNS
// rebinding, where an attacker's name resolves to 127.0.0.1 — or nil to
// accept any.
func allowedHosts(cfg Config) (map[string]bool, bool, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, false, fmt.Errorf("listen address %q: %w", cfg.Addr, err)
	}
	ip := net.ParseIP(host)
	loopback := host == "localhost" || (ip != nil && ip.IsLoopback())
	if !loopback {
		return nil, false, nil
	}
	hosts := map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || u.Host == "" {
			return nil, false, fmt.Errorf("base URL %q is not an absolute URL", cfg.BaseURL)
		}
		hosts[strings.ToLower(u.Hostname())] = true
	}
	return hosts, true, nil
}

// Serve listens and serves until ctx is canceled, then drains: new requests
// get 503, in-flight requests get ShutdownGrace to finish, runs are canceled
// and recorded, and the caller closes the store.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLS() {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	janitorDone := make(chan struct{})
	go s.janitor(ctx, janitorDone)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.ShutdownGrace)
	s.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	s.shutdownRuns(sctx)
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-janitorDone
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

// janitor removes expired sessions every hour, so the session bucket does
// not grow with every login that was never logged out.
func (s *Server) janitor(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := s.store.ExpireSessions(time.Now(), s.cfg.SessionIdle); err != nil {
			s.log.Warn("expire sessions", "error", err)
		} else if n > 0 {
			s.log.Info("expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
