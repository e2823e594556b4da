package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// switchingDaemon is a stub daemon whose switches and aliases change.
type switchingDaemon struct {
	stubDaemon
	st status.State
}

func (d *switchingDaemon) State() status.State { return d.st }

func (d *switchingDaemon) SetToggle(name string, on bool) error {
	if name != "warmup" {
		return fmt.Errorf("unknown switch %q", name)
	}
	d.st.Warmup = on
	return nil
}

func (d *switchingDaemon) SetAliasModel(alias, model string) error {
	for i := range d.st.Aliases {
		if d.st.Aliases[i].Name == alias {
			d.st.Aliases[i].Model = model
			return nil
		}
	}
	return errors.New("no alias " + alias)
}

// TestSettingsThroughTheClient: the client flips a switch and an alias's
// model and gets the state that follows; the daemon's refusal comes back
// in its own words.
func TestSettingsThroughTheClient(t *testing.T) {
	d := &switchingDaemon{st: status.State{Aliases: []status.AliasState{{Name: "claude-sonnet-4-5", Model: "qwen3:8b"}}}}
	token := NewToken()
	srv := httptest.NewServer(Handler(d, token, func() string { return "" }))
	defer srv.Close()
	dir := t.TempDir()
	if err := WriteRuntime(dir, &Runtime{PID: 42, Admin: strings.TrimPrefix(srv.URL, "http://"), Token: token, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := Connect(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if st, err := c.SetSwitch(ctx, "warmup", true); err != nil || !st.Warmup {
		t.Errorf("SetSwitch(warmup, on) = %+v, %v", st, err)
	}
	if _, err := c.SetSwitch(ctx, "nope", true); err == nil || err.Error() != `unknown switch "nope"` {
		t.Errorf("SetSwitch(nope) = %v, want the daemon's refusal", err)
	}
	if st, err := c.SetAliasModel(ctx, "claude-sonnet-4-5", "llama3.1:8b"); err != nil || st.Aliases[0].Model != "llama3.1:8b" {
		t.Errorf("SetAliasModel = %+v, %v", st, err)
	}
	if _, err := c.SetAliasModel(ctx, "claude-nope", "llama3.1:8b"); err == nil || err.Error() != "no alias claude-nope" {
		t.Errorf("SetAliasModel(claude-nope) = %v, want the daemon's refusal", err)
	}
	if err := c.send(ctx, "PUT", "/switches/warmup", []byte(`{}`), nil); err == nil || !strings.Contains(err.Error(), `want {"on"`) {
		t.Errorf("PUT without on = %v, want a 400 saying what to send", err)
	}
}
