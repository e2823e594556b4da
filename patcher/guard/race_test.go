package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// raceStore is the store the race starts from: the pinned local profile,
// the Claude CLI profile that sync keeps adding, and the user's other
// providers with their usage statistics.
func raceStore() map[string]any {
	return map[string]any{
		"version": 1,
		"profiles": map[string]any{
			DefaultProfile:    map[string]any{"type": "api_key", "provider": "anthropic", "key": testKey},
			ClaudeCLIProfile:  claudeProfile("sk-ant-oat01-0"),
			"openai:default":  map[string]any{"type": "api_key", "provider": "openai", "key": "sk-proj-1"},
			"openai:work":     map[string]any{"type": "api_key", "provider": "openai", "key": "sk-proj-2"},
			"mistral:default": map[string]any{"type": "api_key", "provider": "mistral", "key": "m-3"},
			"google:default":  map[string]any{"type": "token", "provider": "google", "token": "g-4"},
		},
		"order":    map[string]any{"anthropic": []any{DefaultProfile}, "openai": []any{"openai:work", "openai:default"}},
		"lastGood": map[string]any{"anthropic": DefaultProfile, "openai": "openai:work"},
		"usageStats": map[string]any{
			DefaultProfile:    map[string]any{"lastUsed": 1, "errorCount": 0},
			"openai:default":  map[string]any{"lastUsed": 2},
			"openai:work":     map[string]any{"lastUsed": 3, "errorCount": 1},
			"mistral:default": map[string]any{"lastUsed": 4},
		},
	}
}

func claudeProfile(access string) map[string]any {
	return map[string]any{"type": "oauth", "provider": "anthropic", "access": access, "refresh": "sk-ant-ort01-r", "expires": 4102444800000}
}

// clawdbotWriter stands in for Clawdbot processes rewriting the store on
// every turn: with or without the store lock, in place (truncate, then
// write in two steps, as writeFileSync does) or by atomic rename, and
// replacing the store with a Claude-CLI-only one whenever it reads a file
// that does not parse — the data-loss path.
//
// In-place writes of different writers do not overlap (inPlace serialises
// them): two overlapping truncate-and-write sequences interleave their
// bytes into a file that may even parse, a corruption of Clawdbot's own
// that no reader can undo. Everything else races freely.
type clawdbotWriter struct {
	path     string
	rng      *rand.Rand
	rebuilds *atomic.Int64
	inPlace  *sync.Mutex
}

func (w *clawdbotWriter) round(t *testing.T, round int) {
	if w.rng.IntN(2) == 0 {
		unlock := w.lock(t)
		defer unlock()
	}
	var store map[string]any
	data, err := os.ReadFile(w.path)
	if err == nil {
		err = json.Unmarshal(data, &store)
	}
	// Now and then behave as if the read had caught another writer
	// mid-write, so the data-loss path is exercised on every run.
	if err != nil || store["profiles"] == nil || w.rng.IntN(25) == 0 {
		w.rebuilds.Add(1)
		store = map[string]any{"version": 1, "profiles": map[string]any{ClaudeCLIProfile: claudeProfile(fmt.Sprintf("sk-ant-oat01-rebuilt-%d", round))}}
	} else {
		w.mutate(store, round)
	}
	out, _ := json.MarshalIndent(store, "", "  ")
	out = append(out, '\n')
	if w.rng.IntN(2) == 0 {
		w.writeInPlace(t, out)
	} else {
		w.writeAtomic(t, out)
	}
}

// mutate makes one of the changes Clawdbot makes to a store it loaded.
func (w *clawdbotWriter) mutate(store map[string]any, round int) {
	section := func(name string) map[string]any {
		m, _ := store[name].(map[string]any)
		if m == nil {
			m = map[string]any{}
			store[name] = m
		}
		return m
	}
	profiles := section("profiles")
	switch w.rng.IntN(5) {
	case 0: // a turn: usage statistics for some profile
		ids := make([]string, 0, len(profiles))
		for id := range profiles {
			ids = append(ids, id)
		}
		id := ids[w.rng.IntN(len(ids))]
		stats := section("usageStats")
		entry, _ := stats[id].(map[string]any)
		if entry == nil {
			entry = map[string]any{}
		}
		entry["lastUsed"] = round
		entry["errorCount"] = w.rng.IntN(3)
		stats[id] = entry
	case 1: // a turn that went out over OAuth, before the guard pinned
		section("lastGood")["anthropic"] = ClaudeCLIProfile
	case 2: // `clawdbot models auth order clear`
		delete(section("order"), "anthropic")
	case 3: // Claude CLI refreshed its token and sync copied it
		profiles[ClaudeCLIProfile] = claudeProfile(fmt.Sprintf("sk-ant-oat01-%d", round))
	case 4: // sync on a load with nothing new
	}
}

func (w *clawdbotWriter) lock(t *testing.T) func() {
	deadline := time.Now().Add(hangGuard)
	for {
		err := os.Mkdir(w.path+".lock", 0o755)
		if err == nil {
			return func() { os.Remove(w.path + ".lock") }
		}
		if !errors.Is(err, fs.ErrExist) || time.Now().After(deadline) {
			t.Errorf("writer lock: %v", err)
			return func() {}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func (w *clawdbotWriter) writeInPlace(t *testing.T, data []byte) {
	w.inPlace.Lock()
	defer w.inPlace.Unlock()
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Errorf("writer: %v", err)
		return
	}
	half := w.rng.IntN(len(data))
	f.Write(data[:half])
	time.Sleep(time.Duration(w.rng.IntN(200)) * time.Microsecond)
	f.Write(data[half:])
	f.Close()
	os.Chmod(w.path, 0o600)
}

func (w *clawdbotWriter) writeAtomic(t *testing.T, data []byte) {
	tmp := fmt.Sprintf("%s.writer-%d", w.path, w.rng.Int64())
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Errorf("writer: %v", err)
		return
	}
	if err := os.Rename(tmp, w.path); err != nil {
		t.Errorf("writer: %v", err)
	}
}

// TestRaceWithClawdbotWriters runs 1,000 randomized writer rounds against a
// guard that checks the directory as fast as it can, then checks that the
// invariant holds and that no profile, usage entry, order or lastGood entry
// of the starting store was lost, however often the store was rebuilt.
func TestRaceWithClawdbotWriters(t *testing.T) {
	const writers, rounds = 2, 500
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)

	start, _ := json.MarshalIndent(raceStore(), "", "  ")
	dir := agentDir(t, append(start, '\n'))
	path := filepath.Join(dir, FileName)
	g := newGuard(t, nil, dir)
	g.opts.RetryDelay = 200 * time.Microsecond
	var restored, recovered, failed atomic.Int64
	g.opts.OnEvent = func(e Event) {
		switch e.Kind {
		case Restored:
			restored.Add(1)
		case Recovered:
			recovered.Add(1)
		case Failed:
			failed.Add(1)
			t.Errorf("guard failed: %v", e.Err)
		}
	}
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Fatalf("starting store: %v %q", ev.Kind, ev.Changes)
	}

	ctx, cancel := context.WithCancel(context.Background())
	guardDone := make(chan struct{})
	go func() {
		defer close(guardDone)
		rng := rand.New(rand.NewPCG(seed, 99))
		for ctx.Err() == nil {
			g.check(ctx, dir)
			time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond)
		}
	}()
	var rebuilds atomic.Int64
	var inPlace sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := &clawdbotWriter{path: path, rng: rand.New(rand.NewPCG(seed, uint64(i))), rebuilds: &rebuilds, inPlace: &inPlace}
			for r := 0; r < rounds; r++ {
				w.round(t, r)
				time.Sleep(time.Duration(w.rng.IntN(500)) * time.Microsecond)
			}
		}(i)
	}
	wg.Wait()
	cancel()
	<-guardDone

	// The writers are gone; one round repairs what the last of them did,
	// and the next must find nothing to do.
	fixOne(t, g)
	if ev := fixOne(t, g); ev.Kind != OK {
		t.Errorf("guard still changing the file after the race: %v %q", ev.Kind, ev.Changes)
	}
	t.Logf("%d writer rounds, %d rebuilt stores; guard: %d restored, %d recovered, %d failed",
		writers*rounds, rebuilds.Load(), restored.Load(), recovered.Load(), failed.Load())
	if rebuilds.Load() == 0 || restored.Load()+recovered.Load() == 0 {
		t.Error("the race never exercised the guard")
	}

	final := readFile(t, path)
	assertInvariant(t, final, testKey)
	got := decodeStore(t, final)
	want := raceStore()
	for id := range want["profiles"].(map[string]any) {
		if _, ok := got.Profiles[id]; !ok {
			t.Errorf("profile %s lost", id)
		}
	}
	for id := range want["usageStats"].(map[string]any) {
		if _, ok := got.UsageStats[id]; !ok {
			t.Errorf("usageStats %s lost", id)
		}
	}
	if o := got.Order["openai"]; len(o) != 2 {
		t.Errorf("order.openai = %q", o)
	}
	if got.LastGood["openai"] != "openai:work" {
		t.Errorf("lastGood.openai = %q", got.LastGood["openai"])
	}
	var key string
	json.Unmarshal(got.Profiles["openai:work"]["key"], &key)
	if key != "sk-proj-2" {
		t.Error("openai:work's key changed")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("final file mode: %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(path + ".lock"); !os.IsNotExist(err) {
		t.Error("a lock was left behind")
	}
}
