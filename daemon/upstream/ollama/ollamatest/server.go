package ollamatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/peers"
)

// EnvBin names the environment variable holding the ollama binary
// (.ci/provision-ollama.sh builds it; `make provision` records it).
const EnvBin = "CLAWBRIDGE_OLLAMA_BIN"

// ErrNoBinary is StartServer's error when neither Options.Bin nor
// $CLAWBRIDGE_OLLAMA_BIN names an ollama binary.
var ErrNoBinary = errors.New("ollamatest: no ollama binary: set " + EnvBin + " (make provision builds one)")

// Options configure StartServer. The zero value is fine.
type Options struct {
	// Bin is the ollama binary; empty means $CLAWBRIDGE_OLLAMA_BIN.
	Bin string
	// Dir holds the server's models, HOME and log. Empty means a new
	// temporary directory, removed by Close.
	Dir string
	// Env adds to (and overrides) the environment of ollama serve, as
	// "KEY=value" entries, e.g. "OLLAMA_NUM_PARALLEL=2".
	Env []string
}

// Server is a running `ollama serve` with the tiny models created.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Dir holds models/, home/ and the server log.
	Dir string
	// LogPath is the file collecting the server's (and its runners')
	// output, across restarts.
	LogPath string

	bin    string
	env    []string
	addr   string
	ownDir bool

	mu   sync.Mutex
	proc *process // nil while stopped
}

// Start starts an Ollama server with the tiny models for the test and
// stops it when the test ends. Without $CLAWBRIDGE_OLLAMA_BIN the test is
// skipped, or fails when $CLAWBRIDGE_REQUIRE_PEERS is set (as in `make
// test`). When the test fails, the end of the server log is logged.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options, for example Env:
// []string{"OLLAMA_NUM_PARALLEL=2"} for concurrent requests to one model
// (Ollama's default is one at a time). An empty opts.Dir means a
// directory of the test's own.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Bin == "" {
		opts.Bin = os.Getenv(EnvBin)
	}
	if opts.Bin == "" {
		msg := "ollamatest: " + EnvBin + " is not set (run `make provision` and source its peers.env)"
		peers.Missing(t, msg)
	}
	// A hang guard only: starting takes well under a second.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := StartServer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ollamatest: end of %s:\n%s", s.LogPath, s.LogTail(60))
		}
		if err := s.Close(); err != nil {
			t.Errorf("ollamatest: %v", err)
		}
	})
	return s
}

// StartServer starts `ollama serve` on a free 127.0.0.1 port with its own
// models directory and HOME, waits until it answers, and creates the
// models in Models from ModelGGUF. Close it when done.
func StartServer(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Bin
	if bin == "" {
		bin = os.Getenv(EnvBin)
	}
	if bin == "" {
		return nil, ErrNoBinary
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("ollamatest: ollama binary: %w", err)
	}
	s := &Server{bin: bin, Dir: opts.Dir}
	if s.Dir == "" {
		dir, err := os.MkdirTemp("", "ollamatest-")
		if err != nil {
			return nil, fmt.Errorf("ollamatest: %w", err)
		}
		s.Dir, s.ownDir = dir, true
	}
	s.LogPath = filepath.Join(s.Dir, "ollama.log")
	for _, d := range []string{"models", "home"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			s.Close()
			return nil, fmt.Errorf("ollamatest: %w", err)
		}
	}

	// Another process can take the port between our probe and the
	// server's bind; try a few.
	var err error
	for range 3 {
		s.addr, err = freeAddr()
		if err != nil {
			break
		}
		s.URL = "http://" + s.addr
		s.env = serverEnv(s.Dir, s.addr, opts.Env)
		err = s.start(ctx)
		if err == nil || !strings.Contains(s.LogTail(20), "address already in use") {
			break
		}
	}
	if err == nil {
		err = s.createModels(ctx)
	}
	if err != nil {
		tail := s.LogTail(30)
		s.Close()
		return nil, fmt.Errorf("ollamatest: %w\n--- end of ollama log ---\n%s", err, tail)
	}
	return s, nil
}

// serverEnv is the environment of ollama serve: the caller's, minus any
// OLLAMA_* setting that could point it elsewhere, plus its own directories
// and settings, then extra.
func serverEnv(dir, addr string, extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OLLAMA_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"HOME="+filepath.Join(dir, "home"),
		"OLLAMA_MODELS="+filepath.Join(dir, "models"),
		"OLLAMA_HOST="+addr,
		// Keep runners loaded for the whole test run.
		"OLLAMA_KEEP_ALIVE=24h",
		// On a CPU, llama.cpp's flash attention doubles the time of long
		// prompts (17k tokens: 6.5s instead of 3.1s on 2 cores).
		"OLLAMA_FLASH_ATTENTION=0",
		// Tests never reach ollama.com.
		"OLLAMA_NO_CLOUD=1",
	)
	return append(env, extra...)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs ollama serve and waits until /api/version answers.
func (s *Server) start(ctx context.Context) error {
	log, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	fmt.Fprintf(log, "--- ollamatest: starting %s serve on %s ---\n", s.bin, s.addr)

	cmd := exec.Command(s.bin, "serve")
	cmd.Env = s.env
	cmd.Dir = s.Dir
	cmd.Stdout = log
	cmd.Stderr = log
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("start %s serve: %w", s.bin, err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.get(ctx, "/api/version"); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("ollama serve on %s did not answer: %w", s.addr, ctx.Err())
		case <-p.done:
			s.Stop()
			return fmt.Errorf("ollama serve on %s exited before answering: %v", s.addr, p.err)
		case <-tick.C:
		}
	}
}

// Stop stops the server (its whole process group, runners included) and
// waits for it to exit; the models stay for Restart. Stopping a stopped
// server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(10 * time.Second)
}

// Restart stops the server if it runs and starts it again on the same
// port with the same models, as after a crash or an upgrade.
func (s *Server) Restart(ctx context.Context) error {
	// A server that died by itself is what some callers restart after.
	_ = s.Stop()
	if err := s.start(ctx); err != nil {
		return fmt.Errorf("ollamatest: restart: %w\n--- end of ollama log ---\n%s", err, s.LogTail(30))
	}
	return nil
}

// Close stops the server and removes its directory if StartServer made it.
func (s *Server) Close() error {
	err := s.Stop()
	if s.ownDir {
		if rerr := os.RemoveAll(s.Dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// LogTail returns the last n lines of the server log.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// createModels uploads the GGUF once and creates every model in Models
// from it, each with its own template.
func (s *Server) createModels(ctx context.Context) error {
	blob, err := ModelGGUF()
	if err != nil {
		return fmt.Errorf("build model: %w", err)
	}
	sum := sha256.Sum256(blob)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if err := s.post(ctx, "/api/blobs/"+digest, "application/octet-stream", blob, nil); err != nil {
		return fmt.Errorf("upload model blob: %w", err)
	}
	for _, name := range Models {
		tmpl, err := Template(name)
		if err != nil {
			return err
		}
		req, err := json.Marshal(map[string]any{
			"model":      name,
			"files":      map[string]string{"tiny.gguf": digest},
			"template":   tmpl,
			"parameters": parameters(),
			"stream":     false,
		})
		if err != nil {
			return err
		}
		var res struct {
			Status string `json:"status"`
		}
		if err := s.post(ctx, "/api/create", "application/json", req, &res); err != nil {
			return fmt.Errorf("create model %s: %w", name, err)
		}
		if res.Status != "success" {
			return fmt.Errorf("create model %s: status %q", name, res.Status)
		}
	}
	return nil
}

func (s *Server) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	return s.do(req, nil)
}

func (s *Server) post(ctx context.Context, path, contentType string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	return s.do(req, out)
}

func (s *Server) do(req *http.Request, out any) error {
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, res.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}
