package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/upstream"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
)

// Pulls runs pulls of models into Ollama servers, one per model and
// server at a time, and keeps each one's progress until the same model
// is pulled again.
type Pulls struct {
	hc  *http.Client
	log *slog.Logger
	// onChange is called after every progress line; onDone once a pull
	// has ended, with its final state.
	onChange func()
	onDone   func(status.PullState)

	running sync.WaitGroup // the pulls' goroutines

	mu      sync.Mutex
	pulls   []status.PullState
	cancels map[pullKey]context.CancelFunc
}

type pullKey struct{ base, model string }

// progressEvery is how often progress within one step of a pull is
// passed on.
const progressEvery = 250 * time.Millisecond

// NewPulls returns Pulls that talk through hc.
func NewPulls(hc *http.Client, log *slog.Logger, onChange func(), onDone func(status.PullState)) *Pulls {
	return &Pulls{hc: hc, log: log, onChange: onChange, onDone: onDone, cancels: map[pullKey]context.CancelFunc{}}
}

// List returns every pull, running or ended, oldest first.
func (p *Pulls) List() []status.PullState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pulls)
}

// Start begins pulling model into the Ollama server at base, in the
// background until it ends or ctx does. Insecure allows a registry over
// plain HTTP (a local mirror). It fails when the same pull is running.
func (p *Pulls) Start(ctx context.Context, base, model string, insecure bool) (status.PullState, error) {
	c, err := ollama.New(base, p.hc)
	if err != nil {
		return status.PullState{}, err
	}
	if strings.TrimSpace(model) == "" {
		return status.PullState{}, errors.New("pull: no model named")
	}
	k := pullKey{c.BaseURL(), model}
	p.mu.Lock()
	if _, running := p.cancels[k]; running {
		p.mu.Unlock()
		return status.PullState{}, fmt.Errorf("%s is being pulled already", model)
	}
	pctx, cancel := context.WithCancel(ctx)
	p.cancels[k] = cancel
	st := status.PullState{Model: model, Backend: k.base, Status: "starting", Started: time.Now()}
	p.pulls = slices.DeleteFunc(p.pulls, func(s status.PullState) bool { return s.Backend == k.base && s.Model == model })
	p.pulls = append(p.pulls, st)
	p.mu.Unlock()
	p.log.Info("pull started", "model", model, "ollama", k.base)
	p.onChange()
	p.running.Go(func() { p.run(pctx, c, k, insecure) })
	return st, nil
}

// Wait waits until every pull has ended: after their context is done,
// they end at once.
func (p *Pulls) Wait() { p.running.Wait() }

// Cancel stops the pull of model on base ("" for any server); it reports
// whether one was running.
func (p *Pulls) Cancel(base, model string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	found := false
	for k, cancel := range p.cancels {
		if k.model == model && (base == "" || strings.TrimRight(base, "/") == k.base) {
			cancel()
			found = true
		}
	}
	return found
}

// run pulls and records progress until the pull ends.
func (p *Pulls) run(ctx context.Context, c *ollama.Client, k pullKey, insecure bool) {
	layers := map[string][2]int64{} // digest -> completed, total
	var told time.Time
	lastStatus := ""
	err := c.Pull(ctx, ollama.PullRequest{Model: k.model, Insecure: insecure}, func(pr ollama.PullProgress) error {
		if pr.Digest != "" && pr.Total > 0 {
			layers[pr.Digest] = [2]int64{pr.Completed, pr.Total}
		}
		var done, total int64
		for _, l := range layers {
			done, total = done+l[0], total+l[1]
		}
		p.update(k, func(s *status.PullState) { s.Status, s.Completed, s.Total = pr.Status, done, total })
		// Ollama reports many times a second: pass on a new step at once,
		// progress within one a few times a second.
		if pr.Status != lastStatus || time.Since(told) >= progressEvery {
			lastStatus, told = pr.Status, time.Now()
			p.onChange()
		}
		return nil
	})
	cancelled := ctx.Err() != nil
	p.mu.Lock()
	p.cancels[k]()
	delete(p.cancels, k)
	p.mu.Unlock()
	var final status.PullState
	p.update(k, func(s *status.PullState) {
		s.Done = true
		switch {
		case cancelled:
			s.Cancelled, s.Status = true, "cancelled"
		case err != nil:
			s.Err = Explain(k.model, err)
		default:
			s.Status, s.Completed = "success", s.Total
		}
		final = *s
	})
	p.log.Info("pull ended", "model", k.model, "ollama", k.base, "cancelled", cancelled, "error", final.Err)
	p.onChange()
	p.onDone(final)
}

func (p *Pulls) update(k pullKey, f func(*status.PullState)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.pulls {
		if p.pulls[i].Backend == k.base && p.pulls[i].Model == k.model {
			f(&p.pulls[i])
			return
		}
	}
}

// Explain says in words why pulling model failed: the registry has no
// such model, the disk is full, the network or Ollama cannot be reached,
// or else Ollama's own message.
func Explain(model string, err error) string {
	var ue *upstream.UnreachableError
	if errors.As(err, &ue) {
		return fmt.Sprintf("Ollama is not running at %s: start it and pull again", ue.Addr)
	}
	msg := err.Error()
	var se *upstream.StreamError
	var ste *upstream.StatusError
	switch {
	case errors.As(err, &se):
		msg = se.Message
	case errors.As(err, &ste):
		msg = ste.Message
	}
	low := strings.ToLower(msg)
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(low, w) })
	}
	switch {
	case has("no space left", "not enough space", "disk full"):
		return fmt.Sprintf("no space left on the disk for %s: remove models you do not use (ollama rm) and pull again (%s)", model, msg)
	case has("file does not exist", "manifest unknown", "not found", "invalid model name"):
		return fmt.Sprintf("no such model: the registry has no %q; check the name and tag (%s)", model, msg)
	case has("dial tcp", "no such host", "i/o timeout", "connection refused", "connection reset", "tls", "network is unreachable",
		"unexpected eof", "timeout", "eof"):
		return fmt.Sprintf("network: the model registry could not be reached or the download broke off; check the connection and pull again (%s)", msg)
	}
	return msg
}
