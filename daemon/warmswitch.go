package daemon

import (
	"context"
	"fmt"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/daemon/models"
)

// The "Keep models warm" switch: clawbridge.models.warmup, written to the
// config like the other switches, plus what must happen at once when it
// flips (the models loaded now, or handed back to their keep_alive).

// warmupSwitch is the switch's name, the tray's ToggleWarmup.
const warmupSwitch = "warmup"

// warmupKey is where the switch lives under the config's clawbridge section.
var warmupKey = []string{"models", "warmup"}

// setWarmup writes the warm-up switch and applies it. On, every alias's
// model is loaded at once, even one warmed and pushed out a moment ago.
// Off, the models stay loaded but are given the keep_alive requests now
// carry (the alias's, or Ollama's default of 5m), so Ollama unloads them
// in time instead of keeping them for as long as it runs.
func (d *Daemon) setWarmup(on bool) error {
	if err := config.SetSetting(d.opts.ConfigPath, warmupKey, on); err != nil {
		return fmt.Errorf("save %s: %w", warmupSwitch, err)
	}
	if on {
		for _, b := range d.State().Backends {
			d.models.warmer.Forget(b.URL)
		}
	}
	if err := d.Reload(); err != nil {
		return err
	}
	if !on {
		d.releaseWarm()
	}
	d.refreshModels()
	d.poller.soon()
	return nil
}

// defaultKeepAlive is Ollama's documented default keep_alive. A model
// loaded to stay forever must be given it explicitly: Ollama keeps a
// loaded model's keep_alive when a request carries none.
const defaultKeepAlive = "5m"

// releaseWarm gives each alias's loaded model the keep_alive its requests
// carry now that warm-up is off, or Ollama's default for an alias without
// one. The load is made with the num_ctx the translator sends, so Ollama
// only renews the expiry and does not reload.
func (d *Daemon) releaseWarm() {
	if d.ctx == nil {
		return
	}
	cfg := d.file.current()
	st := d.State()
	for _, dep := range settings.WarmTargets(cfg) {
		b := backendOf(st.Backends, dep.APIBase)
		if b == nil || !b.Reachable || !isLoaded(b.Loaded, dep.Model) {
			continue
		}
		d.wg.Go(func() { d.renewKeepAlive(dep) })
	}
}

// renewKeepAlive renews one loaded model's keep_alive.
func (d *Daemon) renewKeepAlive(dep config.Deployment) {
	ctx, cancel := context.WithTimeout(d.ctx, warmTimeout)
	defer cancel()
	t := models.Target{Base: dep.APIBase, Model: dep.Model, KeepAlive: dep.KeepAlive}
	if t.KeepAlive == "" {
		t.KeepAlive = defaultKeepAlive
	}
	err := d.models.warmer.Renew(ctx, t, d.parts.api.WarmContext(ctx, dep))
	if err != nil {
		if d.ctx.Err() == nil {
			d.log.Warn("could not hand the model back to its keep_alive", "model", dep.Model, "ollama", dep.APIBase, "err", err)
		}
		return
	}
	d.log.Info("warm-up off: model follows its keep_alive", "model", dep.Model, "ollama", dep.APIBase, "keep_alive", t.KeepAlive)
}
