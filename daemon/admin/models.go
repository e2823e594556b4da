package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// Puller is the part of a daemon that pulls models: the tray's and
// `clawbridge pull`'s way to get a model an alias names.
type Puller interface {
	// StartPull starts pulling name (an alias or an Ollama model) into
	// backend ("" for the alias's server or the first Ollama); insecure
	// allows a registry over plain HTTP.
	StartPull(name, backend string, insecure bool) (status.PullState, error)
	// CancelPull stops a running pull of name.
	CancelPull(name, backend string) error
	// Pulls lists the pulls, running and ended.
	Pulls() []status.PullState
}

// MetricsServer is a daemon that serves Prometheus metrics.
type MetricsServer interface {
	// MetricsHandler serves /metrics in Prometheus's text format.
	MetricsHandler() http.Handler
}

// PullRequest is the body of POST /pulls.
type PullRequest struct {
	Name     string `json:"name"`
	Backend  string `json:"backend,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
}

// handlePulls adds the pull routes to mux when d can pull.
func handlePulls(mux *http.ServeMux, d Daemon) {
	p, ok := d.(Puller)
	if !ok {
		return
	}
	mux.HandleFunc("GET /pulls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, p.Pulls())
	})
	mux.HandleFunc("POST /pulls", func(w http.ResponseWriter, r *http.Request) {
		var req PullRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"name\": \"<alias or model>\"}: " + err.Error()})
			return
		}
		st, err := p.StartPull(req.Name, req.Backend, req.Insecure)
		if err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusAccepted, st)
	})
	mux.HandleFunc("DELETE /pulls/{name...}", func(w http.ResponseWriter, r *http.Request) {
		if err := p.CancelPull(r.PathValue("name"), r.URL.Query().Get("backend")); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "cancelled"})
	})
}

// StartPull asks the daemon to pull name (an alias or a model).
func (a *Client) StartPull(ctx context.Context, req PullRequest) (*status.PullState, error) {
	body, _ := json.Marshal(req)
	var st status.PullState
	if err := a.send(ctx, "POST", "/pulls", body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// CancelPull asks the daemon to stop pulling name.
func (a *Client) CancelPull(ctx context.Context, name string) error {
	return a.send(ctx, "DELETE", "/pulls/"+url.PathEscape(name), nil, nil)
}

// Pulls lists the daemon's pulls.
func (a *Client) Pulls(ctx context.Context) ([]status.PullState, error) {
	var out []status.PullState
	err := a.send(ctx, "GET", "/pulls", nil, &out)
	return out, err
}
