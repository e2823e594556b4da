// Package admin is the daemon's admin endpoint: a second, loopback-only
// HTTP server through which `clawbridge status`, `doctor` and `patch` read
// the live state and ask for a re-patch or a reload, and the client they
// use to reach it through the runtime file the daemon publishes. It is
// separate from the translator so that it answers while the translator is
// switched off or listens beyond loopback. Every request needs the token
// from the 0600 runtime file (only the same user can read it) or the
// master key. It links no tray: the CLI's status path stays small.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// Daemon is what the endpoint serves: the running daemon's state and the
// two things the CLI may ask of it.
type Daemon interface {
	// State returns a copy of the live state.
	State() status.State
	// RepatchNow patches every pi-ai catalog now; the error says why some
	// install does not point at clawbridge.
	RepatchNow(ctx context.Context) error
	// Reload reads the config again; the error says why it was rejected.
	Reload() error
}

// NewToken returns a fresh random bearer token for the endpoint.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Handler serves d to the bearer of token, or of the master key that
// masterKey returns at the time of the request ("" when none is set).
func Handler(d Daemon, token string, masterKey func() string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.State())
	})
	mux.HandleFunc("POST /repatch", func(w http.ResponseWriter, r *http.Request) {
		if err := d.RepatchNow(r.Context()); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "every pi-ai install found points at clawbridge"})
	})
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		if err := d.Reload(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
	})
	handlePulls(mux, d)
	handleSettings(mux, d)
	var metrics http.Handler
	if m, ok := d.(MetricsServer); ok {
		metrics = m.MetricsHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// /metrics holds counts and times only, and Prometheus cannot
		// know the token of a daemon's run: it needs none (the listener
		// is loopback-only).
		if metrics != nil && r.URL.Path == "/metrics" && r.Method == http.MethodGet {
			metrics.ServeHTTP(w, r)
			return
		}
		if !authorized(r, token, masterKey()) {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong token"})
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func authorized(r *http.Request, token, key string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || got == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
		return true
	}
	return key != "" && subtle.ConstantTimeCompare([]byte(got), []byte(key)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
