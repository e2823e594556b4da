package translator

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
)

// listModels answers GET /v1/models with the configured model names. With
// a limit (or after_id / before_id) it pages the way Anthropic's API does;
// without, it returns them all, which is what OpenAI clients expect.
func (s *Server) listModels(x *exchange) {
	names := x.cfg.ModelNames()
	q := x.r.URL.Query()
	lo, hi := 0, len(names)
	if id := q.Get("after_id"); id != "" {
		lo = indexOf(names, id) + 1
		if lo == 0 {
			x.fail(anthropic.InvalidRequest("after_id: no model %q", id))
			return
		}
	}
	if id := q.Get("before_id"); id != "" {
		hi = indexOf(names, id)
		if hi < 0 {
			x.fail(anthropic.InvalidRequest("before_id: no model %q", id))
			return
		}
	}
	hi = max(hi, lo)
	if l := q.Get("limit"); l != "" {
		var n int
		if _, err := fmt.Sscan(l, &n); err != nil || n < 1 || n > 1000 {
			x.fail(anthropic.InvalidRequest("limit: expected an integer from 1 to 1000, got %q", l))
			return
		}
		if q.Get("before_id") != "" {
			lo = max(lo, hi-n)
		} else {
			hi = min(hi, lo+n)
		}
	}
	list := anthropic.ModelList{Data: []anthropic.ModelInfo{}, Object: "list", HasMore: lo > 0 && q.Get("before_id") != "" || hi < len(names) && q.Get("before_id") == ""}
	for _, n := range names[lo:hi] {
		list.Data = append(list.Data, modelInfo(s.started, n))
	}
	if len(list.Data) > 0 {
		list.FirstID, list.LastID = &list.Data[0].ID, &list.Data[len(list.Data)-1].ID
	}
	x.reply(http.StatusOK, list)
}

// getModel answers GET /v1/models/{id}.
func (s *Server) getModel(x *exchange, id string) {
	names := x.cfg.ModelNames()
	if indexOf(names, id) < 0 {
		x.fail(anthropic.NotFound("model %q is not configured in clawbridge; configured models: %s", id, knownList(names)))
		return
	}
	x.reply(http.StatusOK, modelInfo(s.started, id))
}

// modelInfo is a model list entry; started stands in for its creation
// time.
func modelInfo(started time.Time, name string) anthropic.ModelInfo {
	return anthropic.ModelInfo{Type: "model", ID: name, DisplayName: name, CreatedAt: started.Format(time.RFC3339),
		Object: "model", Created: started.Unix(), OwnedBy: "clawbridge"}
}

func knownList(names []string) string {
	if len(names) == 0 {
		return "none (model_list in the config is empty)"
	}
	return strings.Join(names, ", ")
}

func indexOf(names []string, id string) int {
	for i, n := range names {
		if n == id {
			return i
		}
	}
	return -1
}

// Health is the answer of GET /health.
type Health struct {
	// OK is true when every backend server of the config answered.
	OK       bool            `json:"ok"`
	Version  string          `json:"version,omitempty"`
	Backends []BackendHealth `json:"backends"`
}

// BackendHealth is one backend server of the config.
type BackendHealth struct {
	APIBase string `json:"api_base"`
	// Provider is "ollama" or "openai" (an OpenAI-compatible server).
	Provider  string `json:"provider"`
	Reachable bool   `json:"reachable"`
	// Version is Ollama's version; OpenAI-compatible servers do not say.
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
	// InFlight is the number of requests it is answering now.
	InFlight int `json:"in_flight"`
}

// healthTimeout bounds each backend check of /health.
const healthTimeout = 3 * time.Second

// health reports whether the translator is up (it answers at all) and
// whether each backend server in the config is reachable, asking each one
// now. It needs no key, so a tray or a service manager can poll it; what
// it learns also counts for the balancing (see backends.go).
func (s *Server) health(x *exchange) {
	h := Health{OK: true, Version: s.opts.Version, Backends: []BackendHealth{}}
	if cfg := s.config(); cfg != nil {
		deps := configServers(cfg)
		h.Backends = make([]BackendHealth, len(deps))
		var wg sync.WaitGroup
		for i, d := range deps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(x.r.Context(), healthTimeout)
				defer cancel()
				k := keyOf(d)
				bh := BackendHealth{APIBase: k.base, Provider: k.provider}
				v, err := s.be.checkServer(ctx, d)
				if err != nil {
					bh.Error = err.Error()
				} else {
					bh.Reachable, bh.Version = true, v
				}
				bh.InFlight = s.be.pool.snapshot([]serverKey{k})[0].InFlight
				h.Backends[i] = bh
			}()
		}
		wg.Wait()
		for _, b := range h.Backends {
			h.OK = h.OK && b.Reachable
		}
	}
	x.reply(http.StatusOK, h)
}
