package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeCreatesConfigAndShutsDown starts serve on a free port with no
// config file: it must write the default config, print its address,
// answer, and return cleanly when its context ends.
func TestServeCreatesConfigAndShutsDown(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "sub", "config.yaml")
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveOptions{
			configPath: cfgPath,
			listen:     "127.0.0.1:0",
			logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			stdout:     pw,
		})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no address printed: %v (serve returned %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("printed %q, want listening on http://127.0.0.1:PORT", line)
	}
	if info, err := os.Stat(cfgPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("default config not written 0600: %v %v", info, err)
	}

	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(list.Data) == 0 || resp.Header.Get("request-id") == "" {
		t.Errorf("/v1/models: %d %v %+v", resp.StatusCode, err, list)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
	case <-time.After(30 * time.Second): // hang guard
		t.Fatal("serve did not return after its context ended")
	}
}

func TestServeReportsBadConfig(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("model_list:\n  - model_name: x\n    litellm_params:\n      model: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := dispatch([]string{"serve", "-config", cfgPath, "-listen", "127.0.0.1:0"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "clawbridge serve: "+cfgPath+":4") {
		t.Errorf("exit %d, stderr %q: want a failure naming the file and line", code, stderr.String())
	}
}

func TestServeRefusesOpenListenWithoutKey(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("model_list:\n  - model_name: x\n    litellm_params:\n      model: ollama/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := dispatch([]string{"serve", "-config", cfgPath, "-listen", "0.0.0.0:0"}, &stdout, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "without a master key") {
		t.Errorf("exit %d, stderr %q: want a refusal that names the master key", code, stderr.String())
	}
}
