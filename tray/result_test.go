package tray

import (
	"strings"
	"testing"
	"time"
)

// TestResultShownInMenu: the answer to a click (here a doctor run) is in
// the menu itself, title and text, not only in a notification that macOS
// may drop.
func TestResultShownInMenu(t *testing.T) {
	s := healthy()
	s.Result = Result{Title: "clawbridge doctor: problems found", At: at.Add(-time.Minute),
		Message: "ok    translator listens on 127.0.0.1:4000\nFAIL  ollama http://127.0.0.1:11434: connection refused"}
	items := buildMenu(s, allActions, "/home/ada")
	var titles []string
	for _, it := range items {
		if !it.hidden {
			titles = append(titles, it.title)
		}
	}
	got := strings.Join(titles, "\n")
	for _, want := range []string{
		"clawbridge doctor: problems found · 15:29",
		"    ok translator listens on 127.0.0.1:4000",
		"    FAIL ollama http://127.0.0.1:11434: connection refused",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("menu top:\n%s\nwant a line %q", got, want)
		}
	}
	if shape(items) != shape(buildMenu(healthy(), allActions, "/home/ada")) {
		t.Error("a result changed the menu's shape: the menu would be rebuilt under the user's pointer")
	}
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		text  string
		width int
		max   int
		want  []string
	}{
		{"", 10, 3, nil},
		{"one two three four", 9, 5, []string{"one two", "three", "four"}},
		{"a\r\nb\n\nc", 10, 5, []string{"a", "b", "c"}},
		{"tab\there\x07bell\x1b[31m", 40, 5, []string{"tab herebell[31m"}},
		{"abcdefghijkl", 5, 5, []string{"abcde", "fghij", "kl"}},
		{"l1\nl2\nl3\nl4", 10, 2, []string{"l1", "l2…"}},
	} {
		got := wrap(c.text, c.width, c.max)
		if strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", c.text, c.width, c.max, got, c.want)
		}
	}
}

// TestStoppedMenu: a daemon that cannot start shows why in full, that it
// recovers by itself, and only the items that still work.
func TestStoppedMenu(t *testing.T) {
	why := "127.0.0.1:4000 is already in use by litellm (pid 4242); stop it (an old LiteLLM proxy? kill 4242) or set clawbridge.listen to another address"
	s := State{Stopped: why, ConfigPath: "/u/config.yaml", LogPath: "/u/logs", At: at}
	if got := IconFor(s); got != IconAttention {
		t.Errorf("icon %v, want attention", got)
	}
	got := outline(buildMenu(s, allActions, "/home/ada"))
	for _, want := range []string{"· clawbridge: not running", "litellm (pid 4242)", "clawbridge.listen", "Starts by itself", "> Open config", "> Open logs", "> Quit clawbridge"} {
		if !strings.Contains(got, want) {
			t.Errorf("menu:\n%s\nwant %q", got, want)
		}
	}
	for _, gone := range []string{"Translator", "Run doctor", "Re-patch now"} {
		if strings.Contains(got, gone) {
			t.Errorf("menu:\n%s\nshows %q, which cannot work while not running", got, gone)
		}
	}
}
