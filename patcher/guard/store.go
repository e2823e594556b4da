package guard

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tailscale/hujson"
)

// Names from Clawdbot's auth store (src/agents/auth-profiles/constants.ts).
const (
	// FileName is the auth store inside an agent directory.
	FileName = "auth-profiles.json"
	// DefaultProfile is the profile the guard pins: Clawdbot's name for the
	// API key a user configures for Anthropic.
	DefaultProfile = "anthropic:default"
	// ClaudeCLIProfile is the profile Clawdbot's Claude-CLI credential sync
	// adds on every store load; as an OAuth profile it outranks API keys.
	ClaudeCLIProfile = "anthropic:claude-cli"
	// DefaultKey is pinned when no translator master key is configured. The
	// translator accepts any key then, so the value only has to be non-empty
	// and recognisably local.
	DefaultKey = "sk-clawbridge-local"
	// SavedProfile is where the guard keeps a credential it found in
	// anthropic:default before putting the local key there (with -2, -3, …
	// when taken), so that pinning never destroys a user's own key.
	SavedProfile = "anthropic:pre-clawbridge"
)

// syncedProfiles are the profiles Clawdbot creates by itself from other
// tools' credentials: the only ones in a store it rebuilt from nothing.
var syncedProfiles = map[string]bool{
	ClaudeCLIProfile:         true,
	"openai-codex:codex-cli": true,
	"qwen-portal:qwen-cli":   true,
}

// sections are the top-level members whose entries the guard merges one by
// one when it restores lost data.
var sections = map[string]bool{"profiles": true, "order": true, "lastGood": true, "usageStats": true}

// change is one thing the guard found wrong and what it does about it. The
// texts name profiles and fields, never credentials.
type change struct {
	problem string
	action  string
}

func (c change) String() string { return c.problem + "; " + c.action }

// outcome is what the guard should do with one auth-profiles.json.
type outcome struct {
	write   []byte // new content, nil when the file is fine as it is
	kind    Kind   // Restored or Recovered when write is set, else OK
	changes []change
	broken  bool // the file did not parse: keep a copy before replacing it
}

// decide works out the content auth-profiles.json should have. data and
// exists describe the file as read; last is the guard's last good version
// of it (nil when none is known). It never returns a write for a file that
// already satisfies the invariant, which is what keeps the guard from
// fighting Clawdbot's own per-turn writes.
func decide(data []byte, exists bool, last []byte, key string, now time.Time) outcome {
	var lastTop object
	haveLast := false
	if last != nil {
		if t, err := parseStore(last); err == nil {
			lastTop, haveLast = t, true
		}
	}
	if !exists {
		top := freshStore()
		cs := []change{{FileName + " is missing", "created it"}}
		cs = append(cs, pin(top, key, now)...)
		return outcome{write: render(top), kind: Restored, changes: cs}
	}
	top, err := parseStore(data)
	if err != nil {
		base := freshStore()
		from := "an empty store"
		if haveLast {
			base = lastTop.clone()
			from = "the last good copy"
		}
		salvaged, partial := salvage(data)
		n := overlay(base, salvaged, partial)
		cs := []change{{
			fmt.Sprintf("%s does not parse (%v)", FileName, err),
			fmt.Sprintf("rebuilt it from %s and the %d complete entries of the broken file", from, n),
		}}
		cs = append(cs, pin(base, key, now)...)
		return outcome{write: render(base), kind: Recovered, changes: cs, broken: true}
	}
	var cs []change
	kind := Restored
	if haveLast {
		if rs := recoverLost(top, lastTop); len(rs) > 0 {
			cs = append(cs, rs...)
			kind = Recovered
		}
	}
	cs = append(cs, pin(top, key, now)...)
	if len(cs) == 0 {
		return outcome{kind: OK}
	}
	return outcome{write: render(top), kind: kind, changes: cs}
}

// parseStore parses an auth store the way Clawdbot accepts one: a JSON
// object whose "profiles", when present, is an object.
func parseStore(data []byte) (object, error) {
	top, err := parseObject(data)
	if err != nil {
		return object{}, err
	}
	if v, ok := top.get("profiles"); ok {
		if _, isObj := asObject(v); !isObj {
			return object{}, fmt.Errorf(`"profiles" is not a JSON object`)
		}
	}
	return top, nil
}

// render is the file content for top: JSON.stringify(store, null, 2) + "\n",
// the layout of Clawdbot's saveJsonFile. It lays top's members out.
func render(top object) []byte {
	top.lay(0)
	return append(top.value().Pack(), '\n')
}

func freshStore() object {
	top := newObject()
	top.set("version", hujson.Value{Value: hujson.Literal("1")})
	top.set("profiles", newObject().value())
	return top
}

// section returns the named top-level member as an object, which edits
// top's own: an empty one, not yet in top, when absent; ok is false when it
// is present but not an object.
func section(top object, name string) (o object, ok bool) {
	v, present := top.get(name)
	if !present {
		return newObject(), true
	}
	return asObject(v)
}

// putSection lays sec out as a top-level member and stores it in top as
// name, placed as setAfter places a new member.
func putSection(top object, name string, sec object, first bool, after ...string) {
	sec.lay(1)
	top.setAfter(name, sec.value(), first, after...)
}

// pinnedOrder is ["anthropic:default"] laid out as an order entry.
func pinnedOrder() hujson.Value {
	return hujson.Value{Value: &hujson.Array{
		Elements:   []hujson.Value{{BeforeExtra: newline(3), Value: hujson.String(DefaultProfile)}},
		AfterExtra: newline(2),
	}}
}

// localProfile is the API key profile holding key, laid out as a profile.
func localProfile(key string) hujson.Value {
	p := newObject()
	p.set("type", jsonString("api_key"))
	p.set("provider", jsonString("anthropic"))
	p.set("key", jsonString(key))
	p.lay(2)
	return p.value()
}

// pin makes top satisfy the invariant and says what it changed:
// profiles["anthropic:default"] is the local API key, order.anthropic is
// ["anthropic:default"] and lastGood.anthropic is "anthropic:default".
// Everything else keeps its bytes.
func pin(top object, key string, now time.Time) []change {
	var cs []change
	note := usingNote(preferred(top, now))

	profiles, _ := section(top, "profiles") // parseStore checked the type
	if c, changed := pinProfile(profiles, key); changed {
		cs = append(cs, c...)
		putSection(top, "profiles", profiles, true, "version")
	}
	cs = append(cs, pinOrder(top, note)...)
	return append(cs, pinLastGood(top)...)
}

// pinOrder pins every entry of order that names anthropic (Clawdbot
// matches them case-insensitively, so each one counts) to
// ["anthropic:default"]. note says which profile Clawdbot would use
// otherwise.
func pinOrder(top object, note string) []change {
	order, cs := sectionToPin(top, "order", "anthropic")
	changed := len(cs) > 0
	found := false
	for i := range order.Members {
		m := &order.Members[i]
		name := memberName(m)
		if normalizeProvider(name) != "anthropic" {
			continue
		}
		found = true
		var list []string
		if json.Unmarshal(bytesOf(m.Value), &list) == nil && len(list) == 1 && list[0] == DefaultProfile {
			continue
		}
		cs = append(cs, change{
			fmt.Sprintf("order.%s is %s%s", name, describeList(bytesOf(m.Value)), note),
			"pinned it to [anthropic:default]",
		})
		m.Value = pinnedOrder()
		changed = true
	}
	if !found {
		cs = append(cs, change{"order.anthropic is not set" + note, "pinned it to [anthropic:default]"})
		order.set("anthropic", pinnedOrder())
		changed = true
	}
	if changed {
		putSection(top, "order", order, false, "profiles", "version")
	}
	return cs
}

// pinLastGood sets lastGood.anthropic to "anthropic:default".
func pinLastGood(top object) []change {
	lastGood, cs := sectionToPin(top, "lastGood", "anthropic")
	var lg string
	v, present := lastGood.get("anthropic")
	if !present || json.Unmarshal(bytesOf(v), &lg) != nil || lg != DefaultProfile {
		what := "not set"
		if present {
			what = describeValue(bytesOf(v))
		}
		cs = append(cs, change{"lastGood.anthropic is " + what, "set it to anthropic:default"})
		lastGood.set("anthropic", jsonString(DefaultProfile))
	}
	if len(cs) > 0 {
		putSection(top, "lastGood", lastGood, false, "order", "profiles", "version")
	}
	return cs
}

// sectionToPin returns top's section name for pinning its entry: an empty
// object in place of one that is not an object, with the change that
// says so.
func sectionToPin(top object, name, entry string) (object, []change) {
	if sec, ok := section(top, name); ok {
		return sec, nil
	}
	return newObject(), []change{{
		fmt.Sprintf("%q is not an object", name),
		fmt.Sprintf("replaced it with one holding only %s.%s", name, entry),
	}}
}

// pinProfile puts the local key into profiles["anthropic:default"]. A
// different credential found there is first kept under SavedProfile, except
// for the placeholder DefaultKey, which is nobody's credential.
func pinProfile(profiles object, key string) ([]change, bool) {
	v, ok := profiles.get(DefaultProfile)
	if !ok {
		profiles.set(DefaultProfile, localProfile(key))
		return []change{{"anthropic:default is missing", "added it with the local key"}}, true
	}
	// p edits the store's own profile: keep what it held before.
	old := v.Clone()
	p, isObj := asObject(v)
	if !isObj {
		saved := saveDisplaced(profiles, old)
		profiles.set(DefaultProfile, localProfile(key))
		return []change{{"anthropic:default is not a profile object", "replaced it with the local key" + saved}}, true
	}
	typ, provider, oldKey := stringMember(p, "type"), stringMember(p, "provider"), stringMember(p, "key")
	if typ != "api_key" || normalizeProvider(provider) != "anthropic" {
		saved := saveDisplaced(profiles, old)
		profiles.set(DefaultProfile, localProfile(key))
		return []change{{
			fmt.Sprintf("anthropic:default holds a credential of type %q for provider %q", typ, provider),
			"replaced it with the local key" + saved,
		}}, true
	}
	var cs []change
	if provider != "anthropic" {
		p.set("provider", jsonString("anthropic"))
		cs = append(cs, change{fmt.Sprintf("anthropic:default has provider %q", provider), `set it to "anthropic"`})
	}
	if oldKey != key {
		saved := ""
		if oldKey != DefaultKey && strings.TrimSpace(oldKey) != "" {
			saved = saveDisplaced(profiles, old)
		}
		p.set("key", jsonString(key))
		cs = append(cs, change{"anthropic:default holds a different key", "set the local key" + saved})
	}
	if len(cs) == 0 {
		return nil, false
	}
	p.lay(2)
	return cs, true
}

// saveDisplaced keeps a credential the guard is about to overwrite under
// the first free SavedProfile name, unless an identical profile is already
// in the store. It returns the text to add to the change.
func saveDisplaced(profiles object, old hujson.Value) string {
	compact := compactOf(old)
	for name, v := range profiles.members() {
		if name != DefaultProfile && compactOf(v) == compact {
			return " (the old credential is also stored as " + name + ")"
		}
	}
	name := SavedProfile
	for n := 2; profiles.has(name); n++ {
		name = fmt.Sprintf("%s-%d", SavedProfile, n)
	}
	profiles.set(name, old)
	return " (kept the old credential as " + name + ")"
}

// recoverLost restores what a rebuilt store dropped. When top lacks
// profiles that last had, and top looks like a store Clawdbot rebuilt from
// nothing, every lost profile comes back, and so does every missing entry
// of usageStats, order and lastGood and every missing top-level member;
// entries present in top win. A store counts as rebuilt when
// anthropic:claude-cli appeared in it while the other profiles vanished, or
// when it holds only profiles Clawdbot makes by itself (synced CLI
// credentials and <provider>:default OAuth profiles from oauth.json).
// Otherwise the removal may be the user's and only anthropic:default, the
// guard's own profile, is restored.
func recoverLost(top, last object) []change {
	profiles, ok := section(top, "profiles")
	lastProfiles, lastOK := section(last, "profiles")
	if !ok || !lastOK {
		return nil
	}
	var lost []string
	for name := range lastProfiles.members() {
		if !profiles.has(name) && !contains(lost, name) {
			lost = append(lost, name)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	appeared := profiles.has(ClaudeCLIProfile) && !lastProfiles.has(ClaudeCLIProfile)
	if !appeared && !onlySynced(profiles) {
		if !contains(lost, DefaultProfile) {
			return nil
		}
		v, _ := lastProfiles.get(DefaultProfile)
		profiles.set(DefaultProfile, v.Clone())
		putSection(top, "profiles", profiles, true, "version")
		return []change{{"anthropic:default vanished", "restored it from the last good copy"}}
	}

	var cs []change
	for _, name := range lost {
		v, _ := lastProfiles.get(name)
		profiles.set(name, v.Clone())
	}
	putSection(top, "profiles", profiles, true, "version")
	cs = append(cs, change{
		fmt.Sprintf("%s was replaced by a store missing %d profile(s) (%s)", FileName, len(lost), strings.Join(lost, ", ")),
		"restored them from the last good copy",
	})
	for _, name := range []string{"usageStats", "order", "lastGood"} {
		if n := fillSection(top, last, name); n > 0 {
			cs = append(cs, change{fmt.Sprintf("%s lost %d entries", name, n), "restored them"})
		}
	}
	var others []string
	for name, v := range last.members() {
		if !top.has(name) && !sections[name] {
			top.set(name, v.Clone())
			others = append(others, name)
		}
	}
	if len(others) > 0 {
		cs = append(cs, change{"top-level fields vanished: " + strings.Join(others, ", "), "restored them"})
	}
	return cs
}

// fillSection adds to top's section name every entry that last has and top
// lacks, and reports how many it added.
func fillSection(top, last object, name string) int {
	from, ok := section(last, name)
	if !ok || len(from.Members) == 0 {
		return 0
	}
	to, ok := section(top, name)
	if !ok {
		return 0
	}
	n := 0
	for entry, v := range from.members() {
		if !to.has(entry) {
			to.set(entry, v.Clone())
			n++
		}
	}
	if n > 0 {
		putSection(top, name, to, false, canonicalBefore(name)...)
	}
	return n
}

// canonicalBefore lists the members Clawdbot writes before name, nearest
// first, so that added sections keep Clawdbot's order.
func canonicalBefore(name string) []string {
	order := []string{"version", "profiles", "order", "lastGood", "usageStats"}
	for i, n := range order {
		if n == name {
			return order[:i]
		}
	}
	return order
}

// overlay lays what was salvaged from a broken file over base: salvaged
// entries win (they are newer), entries only base has stay. It returns the
// number of entries taken from the salvage.
func overlay(base, salvaged object, partial map[string]object) int {
	n := 0
	merge := func(name string, src object) {
		dst, ok := section(base, name)
		if !ok {
			dst = newObject()
		}
		for entry, v := range src.members() {
			dst.set(entry, v)
			n++
		}
		putSection(base, name, dst, false, canonicalBefore(name)...)
	}
	for name, v := range salvaged.members() {
		if sections[name] {
			if src, ok := asObject(v); ok {
				merge(name, src)
			}
			continue
		}
		if name == "version" {
			continue
		}
		base.set(name, v)
		n++
	}
	names := make([]string, 0, len(partial))
	for name := range partial {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if sections[name] {
			merge(name, partial[name])
		}
	}
	return n
}

// onlySynced reports whether every profile is one Clawdbot creates by
// itself, which is all a store it rebuilt from nothing can hold.
func onlySynced(profiles object) bool {
	for name, v := range profiles.members() {
		if syncedProfiles[name] {
			continue
		}
		if p, ok := asObject(v); ok && strings.HasSuffix(name, ":default") && stringMember(p, "type") == "oauth" {
			continue
		}
		return false
	}
	return true
}

// preferred says which Anthropic profile Clawdbot would try first with
// this store, following resolveAuthProfileOrder: the stored order when one
// is set, else OAuth before token before API key, least recently used
// first. Cooldowns and the Clawdbot config are left out; this only words
// the guard's messages.
func preferred(top object, now time.Time) (id, typ string) {
	profiles, ok := section(top, "profiles")
	if !ok {
		return "", ""
	}
	usable := map[string]string{}
	var candidates []string
	for name, v := range profiles.members() {
		p, ok := asObject(v)
		if !ok || normalizeProvider(stringMember(p, "provider")) != "anthropic" {
			continue
		}
		t := stringMember(p, "type")
		switch t {
		case "api_key":
			if strings.TrimSpace(stringMember(p, "key")) == "" {
				continue
			}
		case "token":
			if strings.TrimSpace(stringMember(p, "token")) == "" {
				continue
			}
			var exp float64
			if v, ok := p.get("expires"); ok && json.Unmarshal(bytesOf(v), &exp) == nil && exp > 0 && float64(now.UnixMilli()) >= exp {
				continue
			}
		case "oauth":
			if strings.TrimSpace(stringMember(p, "access")) == "" && strings.TrimSpace(stringMember(p, "refresh")) == "" {
				continue
			}
		default:
			continue
		}
		if _, dup := usable[name]; !dup {
			candidates = append(candidates, name)
		}
		usable[name] = t
	}
	if order, ok := section(top, "order"); ok {
		for name, v := range order.members() {
			if normalizeProvider(name) != "anthropic" {
				continue
			}
			var list []string
			if json.Unmarshal(bytesOf(v), &list) != nil || len(list) == 0 {
				continue
			}
			for _, id := range list {
				if t, ok := usable[strings.TrimSpace(id)]; ok {
					return strings.TrimSpace(id), t
				}
			}
			return "", ""
		}
	}
	if len(candidates) == 0 {
		return "", ""
	}
	stats, _ := section(top, "usageStats")
	lastUsed := func(id string) float64 {
		v, ok := stats.get(id)
		if !ok {
			return 0
		}
		var s struct {
			LastUsed float64 `json:"lastUsed"`
		}
		json.Unmarshal(bytesOf(v), &s)
		return s.LastUsed
	}
	score := map[string]int{"oauth": 0, "token": 1, "api_key": 2}
	sort.SliceStable(candidates, func(i, j int) bool {
		a, b := candidates[i], candidates[j]
		if score[usable[a]] != score[usable[b]] {
			return score[usable[a]] < score[usable[b]]
		}
		return lastUsed(a) < lastUsed(b)
	})
	return candidates[0], usable[candidates[0]]
}

// usingNote words which profile Clawdbot would use instead of the pinned one.
func usingNote(id, typ string) string {
	if id == "" || id == DefaultProfile {
		return ""
	}
	kind := map[string]string{"oauth": "OAuth", "token": "token", "api_key": "API key"}[typ]
	return fmt.Sprintf(", so Clawdbot prefers %s profile %s", kind, id)
}

// normalizeProvider is Clawdbot's normalizeProviderId for the names that
// matter here: trimmed and lower-cased.
func normalizeProvider(p string) string { return strings.ToLower(strings.TrimSpace(p)) }

// stringMember returns o[name] when it is a JSON string, else "".
func stringMember(o object, name string) string {
	v, ok := o.get(name)
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(bytesOf(v), &s) != nil {
		return ""
	}
	return s
}

// describeList words an order list without credentials (it holds only
// profile names).
func describeList(raw []byte) string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		return "not a list of profile names"
	}
	return "[" + strings.Join(list, ", ") + "]"
}

// describeValue words a lastGood entry, which holds a profile name.
func describeValue(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "not a profile name"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
