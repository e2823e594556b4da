package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/metrics"
	"github.com/clawbridge/clawbridge/daemon/models"
	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/daemon/translator"
)

// The aliases' models: warm-up after each poll of the backends, pulls the
// user asks for, and the numbers of the requests, all shown on the state.

// rewarmAfter is how long after a warm-up a model found unloaded again is
// reloaded: long enough that two models that do not fit in memory
// together do not push each other out in a loop.
const rewarmAfter = 5 * time.Minute

// warmTimeout bounds one warm-up: a large model from a slow disk.
const warmTimeout = 10 * time.Minute

// modelParts are the daemon's model upkeep and its numbers.
type modelParts struct {
	warmer  *models.Warmer
	pulls   *models.Pulls
	metrics *metrics.Recorder
}

// initModels prepares the model upkeep; New calls it before the
// translator, which reports to it.
func (d *Daemon) initModels() {
	hc := &http.Client{} // loads and pulls are bounded by their context
	d.models = modelParts{
		warmer:  models.NewWarmer(hc, d.log, rewarmAfter, d.refreshModels),
		metrics: metrics.New(),
	}
	d.models.pulls = models.NewPulls(hc, d.log, func() {
		d.update(func(st *status.State) { st.Pulls = d.models.pulls.List() })
	}, d.pullDone)
	d.poller.onPoll = d.afterPoll
}

// unroutedAlias is what a request is counted under when its model name
// routes nowhere: clients choose those names, and each would otherwise
// become a series of its own.
const unroutedAlias = "(unrouted)"

// observe records a request's numbers (translator.Options.OnRequest).
func (d *Daemon) observe(r translator.RequestStats) {
	// Counted under the model_name that answered it (a dated or newer
	// Claude name routes to its family's entry), as the menu lists them.
	if route, err := d.file.current().Route(r.Alias); err != nil {
		r.Alias = unroutedAlias
	} else {
		r.Alias = route.Alias
	}
	d.models.metrics.Observe(metrics.Request{Alias: r.Alias, Model: r.Model, Backend: r.Backend, Status: r.Status,
		Failed: r.Failed, Duration: r.Duration, TTFT: r.TTFT, GenTime: r.GenTime,
		InputTokens: r.InputTokens, OutputTokens: r.OutputTokens})
	d.refreshModels()
}

// MetricsHandler serves /metrics on the admin listener.
func (d *Daemon) MetricsHandler() http.Handler { return d.models.metrics.Handler() }

// afterPoll follows a poll of the backends: a server that came back has
// lost its models, the state shows what is loaded, and with warm-up on
// the models that are not loaded are loaded.
func (d *Daemon) afterPoll(before, after []status.BackendState) {
	_, up := backendChanges(before, after)
	for _, b := range up {
		d.models.warmer.Forget(b.URL)
	}
	d.models.metrics.SetLoaded(after)
	d.refreshModels()
	cfg := d.file.current()
	if !cfg.WarmupOn() || d.ctx == nil {
		return
	}
	now := time.Now()
	for _, dep := range settings.WarmTargets(cfg) {
		b := backendOf(after, dep.APIBase)
		if b == nil || !b.Reachable || !hasModel(b.Models, dep.Model) {
			continue // down, or not pulled: nothing to load
		}
		t := models.Target{Base: dep.APIBase, Model: dep.Model, KeepAlive: dep.KeepAlive}
		if d.models.warmer.Due(t, isLoaded(b.Loaded, dep.Model), now) {
			d.wg.Go(func() { d.warm(t, dep) })
		}
	}
}

// warm loads one alias's model with the num_ctx the translator will send.
func (d *Daemon) warm(t models.Target, dep config.Deployment) {
	ctx, cancel := context.WithTimeout(d.ctx, warmTimeout)
	defer cancel()
	err := d.models.warmer.Warm(ctx, t, func(ctx context.Context) int { return d.parts.api.WarmContext(ctx, dep) })
	switch {
	case err == nil:
		d.solved("warmup")
		d.poller.soon()
	case d.ctx.Err() == nil:
		d.problem("warmup", "Could not warm up "+t.Model, err.Error())
	}
}

// refreshModels puts each alias's load state and numbers on the state.
// It computes them from a copy, so that nothing is called while the
// state's lock is held.
func (d *Daemon) refreshModels() {
	st := d.State()
	type aliasLive struct {
		model   string
		load    status.ModelLoad
		memory  int64
		missing bool
		stats   status.AliasStats
	}
	live := map[string]aliasLive{}
	for _, a := range st.Aliases {
		l := aliasLive{model: a.Model, stats: d.models.metrics.Alias(a.Name)}
		if b := backendOf(st.Backends, a.Backend); a.Ollama && b != nil && b.Reachable {
			l.missing = !hasModel(b.Models, a.Model)
			switch m := loadedModel(b.Loaded, a.Model); {
			case d.models.warmer.Loading(a.Backend, a.Model):
				l.load = status.LoadLoading
			case m != nil:
				l.load, l.memory = status.LoadWarm, m.Size
			case !l.missing:
				l.load = status.LoadCold
			}
		}
		live[a.Name] = l
	}
	warmup := d.file.current().WarmupOn()
	d.update(func(st *status.State) {
		st.Warmup = warmup
		for i, a := range st.Aliases {
			if l, ok := live[a.Name]; ok && l.model == a.Model {
				st.Aliases[i].Load, st.Aliases[i].Memory, st.Aliases[i].Missing, st.Aliases[i].Stats = l.load, l.memory, l.missing, l.stats
			}
		}
	})
}

// withLive keeps what the models part knows of each alias (load state,
// numbers) across an apply that lists the aliases again, until the next
// refresh.
func withLive(next, prev []status.AliasState) []status.AliasState {
	for i, a := range next {
		j := slices.IndexFunc(prev, func(p status.AliasState) bool { return p.Name == a.Name })
		if j < 0 {
			continue
		}
		next[i].Stats = prev[j].Stats
		if prev[j].Model == a.Model && prev[j].Backend == a.Backend {
			next[i].Load, next[i].Memory, next[i].Missing = prev[j].Load, prev[j].Memory, prev[j].Missing
		}
	}
	return next
}

// StartPull starts pulling name (an alias of the config, or an Ollama
// model) into backend ("" for the alias's server or the first Ollama);
// insecure allows a registry over plain HTTP. Progress shows on the
// state's Pulls.
func (d *Daemon) StartPull(name, backend string, insecure bool) (status.PullState, error) {
	base, model, err := settings.PullTarget(d.file.current(), name, backend)
	if err != nil {
		return status.PullState{}, err
	}
	if d.ctx == nil {
		return status.PullState{}, errors.New("the daemon is not running")
	}
	return d.models.pulls.Start(d.ctx, base, model, insecure)
}

// CancelPull stops the pull of name (an alias or a model).
func (d *Daemon) CancelPull(name, backend string) error {
	base, model, err := settings.PullTarget(d.file.current(), name, backend)
	if err != nil {
		return err
	}
	if backend == "" {
		base = "" // any server pulling that model
	}
	if !d.models.pulls.Cancel(base, model) {
		return fmt.Errorf("%s is not being pulled", model)
	}
	return nil
}

// Pulls lists the pulls started through the daemon.
func (d *Daemon) Pulls() []status.PullState { return d.models.pulls.List() }

// pullDone tells the user how a pull ended and looks at the backends
// again, so the model is listed (and warmed) at once.
func (d *Daemon) pullDone(p status.PullState) {
	switch {
	case p.Cancelled:
		d.NotifyResult("Pull cancelled", p.Model+": the download stopped; pulling again resumes it.")
	case p.Err != "":
		d.NotifyResult("Could not pull "+p.Model, p.Err)
	default:
		d.notifier.Notify(notify.Message{Title: "Model pulled", Body: p.Model + " is ready in Ollama.", Requested: true})
	}
	d.poller.soon()
}

func backendOf(bs []status.BackendState, url string) *status.BackendState {
	for i := range bs {
		if bs[i].URL == url {
			return &bs[i]
		}
	}
	return nil
}

func hasModel(ms []status.ModelState, model string) bool {
	return slices.ContainsFunc(ms, func(m status.ModelState) bool { return models.SameModel(m.Name, model) })
}

func loadedModel(ms []status.LoadedModel, model string) *status.LoadedModel {
	for i := range ms {
		if models.SameModel(ms[i].Name, model) {
			return &ms[i]
		}
	}
	return nil
}

func isLoaded(ms []status.LoadedModel, model string) bool { return loadedModel(ms, model) != nil }
