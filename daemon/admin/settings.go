package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/clawbridge/clawbridge/daemon/status"
)

// Switcher is the part of a daemon that flips the menu's switches and
// points an alias at another model: how `clawbridge switch` and `clawbridge
// use` change a running daemon, which applies the change at once (warming
// a model, installing the login agent) as it does for the tray.
type Switcher interface {
	// SetToggle switches the named switch on or off.
	SetToggle(name string, on bool) error
	// SetAliasModel makes alias answer from model.
	SetAliasModel(alias, model string) error
}

// handleSettings adds the settings routes to mux when d can change them.
func handleSettings(mux *http.ServeMux, d Daemon) {
	s, ok := d.(Switcher)
	if !ok {
		return
	}
	mux.HandleFunc("PUT /switches/{name}", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			On *bool `json:"on"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.On == nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"on": true|false}`})
			return
		}
		if err := s.SetToggle(r.PathValue("name"), *req.On); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, d.State())
	})
	mux.HandleFunc("PUT /aliases/{alias}", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model string `json:"model"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || req.Model == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"model": "<model>"}`})
			return
		}
		if err := s.SetAliasModel(r.PathValue("alias"), req.Model); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, d.State())
	})
}

// SetSwitch asks the daemon to switch name on or off and returns the
// state that follows.
func (a *Client) SetSwitch(ctx context.Context, name string, on bool) (*status.State, error) {
	body, _ := json.Marshal(map[string]bool{"on": on})
	var st status.State
	if err := a.send(ctx, http.MethodPut, "/switches/"+url.PathEscape(name), body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// SetAliasModel asks the daemon to make alias answer from model and
// returns the state that follows.
func (a *Client) SetAliasModel(ctx context.Context, alias, model string) (*status.State, error) {
	body, _ := json.Marshal(map[string]string{"model": model})
	var st status.State
	if err := a.send(ctx, http.MethodPut, "/aliases/"+url.PathEscape(alias), body, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
