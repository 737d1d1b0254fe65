package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trellis-studio/trellis/server"
	"github.com/trellis-studio/trellis/storage"
)

// The process tests run the real command in a child process: the test binary
// re-executes itself with TRELLIS_TEST_MAIN set to the arguments.
func TestMain(m *testing.M) {
	if args := os.Getenv("TRELLIS_TEST_MAIN"); args != "" {
		var a []string
		if err := json.Unmarshal([]byte(args), &a); err != nil {
			panic(err)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, a, os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

type serverProc struct {
	cmd  *exec.Cmd
	url  string
	done chan error
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `trellis serve` on a free loopback port over dir and waits
// until it listens.
func startServer(t *testing.T, dir string) *serverProc {
	t.Helper()
	args, _ := json.Marshal([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRELLIS_TEST_MAIN="+string(args), "TRELLIS_ADMIN_PASSWORD=first admin password")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, done: make(chan error, 1), logs: &syncBuffer{}}
	cmd.Stderr = p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if _, rest, ok := strings.Cut(line, "listening on "); ok {
				urlc <- strings.Fields(rest)[0]
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.url = <-urlc:
	case err := <-p.done:
		t.Fatalf("server exited at start: %v\n%s", err, p.logs)
	case <-time.After(30 * time.Second):
		p.kill()
		t.Fatalf("server did not start in 30 s:\n%s", p.logs)
	}
	t.Cleanup(p.kill)
	return p
}

// kill stops the server by its process id, if it still runs.
func (p *serverProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
}

// adminToken prepares a store in dir with an admin and returns an API token.
func adminToken(t *testing.T, dir string) string {
	t.Helper()
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := server.CreateUser(st, "admin", "first admin password", storage.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := st.CreateToken(u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func apiRequest(client *http.Client, method, url, token string, body io.Reader, headers ...string) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return client.Do(req)
}

// TestCrashLosesNoAcknowledgedSave kills a server with SIGKILL at a random
// moment under 200 concurrent saves, 20 times over the same store: after
// every kill each save the server acknowledged is there and the store passes
// its consistency check.
func TestCrashLosesNoAcknowledgedSave(t *testing.T) {
	if testing.Short() {
		t.Skip("process test; run without -short")
	}
	dir := t.TempDir()
	token := adminToken(t, dir)
	rng := rand.New(rand.NewPCG(1, 2))
	acked := map[string]int{} // workflow id → highest acknowledged revision
	const rounds, writers = 20, 200
	for round := 0; round < rounds; round++ {
		p := startServer(t, dir)
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					doc := fmt.Sprintf(`{"format":1,"name":"r%d-w%d-%d","nodes":[],"edges":[]}`, round, w, i)
					res, err := apiRequest(client, http.MethodPost, p.url+"/api/v1/workflows", token, strings.NewReader(doc))
					if err != nil {
						return
					}
					var created struct {
						ID       string `json:"id"`
						Revision int    `json:"revision"`
					}
					err = json.NewDecoder(res.Body).Decode(&created)
					res.Body.Close()
					if res.StatusCode != http.StatusCreated || err != nil {
						continue
					}
					mu.Lock()
					acked[created.ID] = created.Revision
					mu.Unlock()
					res, err = apiRequest(client, http.MethodPut, p.url+"/api/v1/workflows/"+created.ID, token,
						strings.NewReader(strings.Replace(doc, `"name":"`, `"name":"saved `, 1)), "If-Match", fmt.Sprintf(`"%d"`, created.Revision))
					if err != nil {
						return
					}
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						mu.Lock()
						acked[created.ID] = created.Revision + 1
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.done
		close(stop)
		wg.Wait()
		client.CloseIdleConnections()

		st, err := storage.Open(dir, storage.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("round %d: consistency check: %v", round, err)
		}
		for id, rev := range acked {
			w, err := st.Workflow(id)
			if err != nil {
				t.Fatalf("round %d: acknowledged workflow %s lost: %v", round, id, err)
			}
			if w.Revision < rev {
				t.Fatalf("round %d: workflow %s at revision %d, but revision %d was acknowledged", round, id, w.Revision, rev)
			}
		}
		st.Close()
	}
	if len(acked) == 0 {
		t.Fatal("no save was ever acknowledged: the test proved nothing")
	}
	t.Logf("%d workflows acknowledged over %d kills", len(acked), rounds)
}

// TestGracefulShutdown sends SIGTERM while uploads are in flight: each
// completes or is answered 503, the process exits by itself within 30 s,
// and the store opens cleanly afterwards.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("process test; run without -short")
	}
	dir := t.TempDir()
	token := adminToken(t, dir)
	p := startServer(t, dir)
	client := &http.Client{Timeout: 60 * time.Second}
	const uploads = 8
	type result struct {
		status int
		err    error
	}
	results := make(chan result, uploads)
	started := make(chan struct{}, uploads)
	for i := 0; i < uploads; i++ {
		go func() {
			pr, pw := io.Pipe()
			go func() {
				// Stream a small CSV slowly, so it is in flight at SIGTERM.
				fmt.Fprintln(pw, "a,b")
				started <- struct{}{}
				for r := 0; r < 20; r++ {
					fmt.Fprintf(pw, "%d,%d\n", r, r*r)
					time.Sleep(50 * time.Millisecond)
				}
				pw.Close()
			}()
			res, err := apiRequest(client, http.MethodPost, fmt.Sprintf("%s/api/v1/datasets?name=slow%d&format=csv", p.url, i), token, pr, "Content-Type", "text/csv")
			if err != nil {
				results <- result{err: err}
				return
			}
			res.Body.Close()
			results <- result{status: res.StatusCode}
		}()
	}
	for i := 0; i < uploads; i++ {
		<-started
	}
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < uploads; i++ {
		r := <-results
		if r.err != nil || (r.status != http.StatusCreated && r.status != http.StatusServiceUnavailable) {
			t.Errorf("in-flight upload: status %d, error %v; want 201 or 503", r.status, r.err)
		}
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("server exited with %v\n%s", err, p.logs)
		}
	case <-time.After(30*time.Second - time.Since(sent)):
		t.Fatalf("server still running 30 s after SIGTERM\n%s", p.logs)
	}
	st, err := storage.Open(dir, storage.Options{})
	if err != nil {
		t.Fatalf("store after graceful shutdown: %v", err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
}
