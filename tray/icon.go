package tray

import (
	"fmt"
	"time"
)

// IconState is the look of the menu-bar icon: the one-glance summary.
type IconState int

// The icon's states.
const (
	// IconGood: the translator serves and nothing needs the user.
	IconGood IconState = iota
	// IconAttention: something needs a look (a backend down, an install
	// not routed, a patch failed, the guard had to restore the key).
	IconAttention
	// IconOff: the translator is switched off.
	IconOff
)

// String is the state's word ("good", "attention", "off") for logs and
// test failures; unknown values print as IconState(n) rather than an
// empty string.
func (s IconState) String() string {
	switch s {
	case IconGood:
		return "good"
	case IconAttention:
		return "attention"
	case IconOff:
		return "off"
	}
	return fmt.Sprintf("IconState(%d)", int(s))
}

// restoreAttention is how long after a guard restore the icon asks for
// attention: long enough to be noticed, short enough that one restore does
// not leave the icon alarmed for the rest of the day.
const restoreAttention = 10 * time.Minute

// IconFor picks the icon for a state. A switched-off translator wins over
// problems elsewhere, because the user chose it and nothing is served.
func IconFor(s State) IconState {
	switch {
	case s.Stopped != "":
		return IconAttention
	case !s.Translator.Enabled:
		return IconOff
	case len(problems(s)) > 0:
		return IconAttention
	}
	return IconGood
}

// problems lists, in menu order and in a few words each, what makes the
// icon ask for attention; the menu's first line shows them.
func problems(s State) []string {
	var p []string
	if s.Translator.Enabled && s.Translator.Err != "" {
		p = append(p, "translator failed")
	}
	for _, b := range s.Backends {
		if b.Err != "" {
			p = append(p, "Ollama "+host(b.URL)+" unreachable")
		}
	}
	for _, in := range s.Installs {
		if !in.Routed {
			p = append(p, in.Name+" not routed")
		}
	}
	for _, pt := range s.Patches {
		switch {
		case pt.Err != "":
			p = append(p, "pi-ai patch failed")
		case pt.Patched < pt.Total:
			p = append(p, "pi-ai patch incomplete")
		}
	}
	if s.Guard.Enabled {
		switch {
		case s.Guard.Err != "":
			p = append(p, "guard failed")
		case recentRestore(s):
			p = append(p, "guard restored the key")
		}
	}
	if s.Gateway.Enabled && s.Gateway.Err != "" {
		p = append(p, "gateway failed")
	}
	return p
}

// recentRestore: the guard put the key back shortly before the snapshot.
func recentRestore(s State) bool {
	r := s.Guard.LastRestore
	return !r.IsZero() && !s.At.IsZero() && s.At.Sub(r) < restoreAttention
}
