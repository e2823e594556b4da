//go:build (darwin && cgo) || linux || windows

package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"fyne.io/systray"

	"github.com/clawbridge/clawbridge/assets"
)

// started makes a second Run fail: systray runs once per process.
var started atomic.Bool

// Run shows the tray and blocks until ctx is done or the user picks Quit
// (after Actions.Quit returns); it then runs Options.OnExit and returns
// nil. On macOS it may not return at all: AppKit ends the process right
// after OnExit when the app is terminated (Quit, logout). It must be called on
// the main goroutine: macOS draws menus only from the main thread, which
// fyne.io/systray pins to it at init. It runs once per process.
//
// Where no tray can be shown (a build without one, a Linux session without
// a session bus) it returns at once an error wrapping ErrUnavailable that
// says why, for the caller to log before running headless.
func Run(ctx context.Context, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	note, err := hostReady()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if note != "" {
		log.Info("tray: " + note)
	}
	if !started.CompareAndSwap(false, true) {
		return errors.New("tray: Run called twice; the system tray runs once per process")
	}
	m := newMenu(o, log)
	if ctx.Err() != nil {
		if o.OnExit != nil {
			o.OnExit()
		}
		return nil
	}
	// ctx ending quits the tray even before onReady ran (a Ctrl-C while
	// AppKit is still starting): the event loop is not there yet to do it.
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		select {
		case <-ctx.Done():
			// On macOS a quit sent before systray.Run has set up its app
			// delegate is lost; Run does that at once, on this goroutine's
			// heels, so a moment's wait is enough.
			time.Sleep(quitSettle)
			systray.Quit()
		case <-returned:
		}
	}()
	systray.Run(func() { m.onReady(ctx) }, o.OnExit)
	return nil
}

// quitSettle is how long a quit on ctx waits for systray.Run to have
// registered with AppKit.
const quitSettle = 100 * time.Millisecond

// Menu is the live tray menu. One event loop owns its state: it takes the
// daemon's states, the clicks, and the results of finished actions, and
// copies buildMenu's items into the system menu, in place when only
// titles and checks changed, from scratch when the shape changed.
type Menu struct {
	actions Actions
	log     *slog.Logger
	home    string
	states  <-chan State

	// Owned by the event loop (and by onReady, before the loop starts).
	state   State
	items   []item
	entries []*systray.MenuItem // one per flatten(items) entry; nil for separators
	shape   string
	icon    IconState
	tooltip string
	drawn   bool               // the icon and tooltip were set at least once
	stop    context.CancelFunc // ends the click watchers of the current build

	result Result // the last answer to a click, shown on every state

	clicks  chan item              // clicked items, from the click watchers
	changes chan func(State) State // state edits of actions that succeeded
	results chan Result            // answers to clicks, from the actions
	done    chan struct{}          // closed when the event loop has ended
}

func newMenu(o Options, log *slog.Logger) *Menu {
	home, _ := os.UserHomeDir() // only shortens paths; "" shows them whole
	return &Menu{
		actions: o.Actions,
		log:     log,
		home:    home,
		states:  o.States,
		state:   stamped(o.Initial),
		clicks:  make(chan item),
		changes: make(chan func(State) State),
		results: make(chan Result),
		done:    make(chan struct{}),
	}
}

// onReady draws the first menu and starts the event loop. It returns at
// once: on Linux fyne answers the panel's first GetLayout only after it.
func (m *Menu) onReady(ctx context.Context) {
	if runtime.GOOS == "linux" {
		systray.SetTitle("clawbridge") // names the item for panels; macOS would show it in the menu bar
	}
	m.show(ctx, m.state)
	go m.loop(ctx)
}

func (m *Menu) loop(ctx context.Context) {
	defer close(m.done)
	defer func() { m.stop() }()
	// A state holds until the next one, so each minute without one the
	// shown state moves to the present: "14:02" becomes "Mar 9 14:02" after
	// midnight, and a guard restore stops asking for attention in time.
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			systray.Quit()
			return
		case now := <-tick.C:
			s := m.state
			s.At = now
			m.show(ctx, s)
		case s, ok := <-m.states:
			if !ok {
				m.states = nil // the daemon stopped sending; keep the last state
				continue
			}
			m.show(ctx, stamped(s))
		case change := <-m.changes:
			m.show(ctx, change(m.state))
		case r := <-m.results:
			m.result = r
			m.show(ctx, m.state)
		case it := <-m.clicks:
			if it.kind == kindCommand && it.command == cmdQuit {
				m.log.Info("tray: quit from the menu")
				if m.actions.Quit != nil {
					m.actions.Quit()
				}
				systray.Quit()
				return
			}
			m.handle(ctx, it)
		}
	}
}

// stamped gives a state without a time the time it arrived.
func stamped(s State) State {
	if s.At.IsZero() {
		s.At = time.Now()
	}
	return s
}

// show makes the menu and the icon match s.
func (m *Menu) show(ctx context.Context, s State) {
	s.Result = m.result
	m.state = s
	items := buildMenu(s, m.actions, m.home)
	if sh := shape(items); sh != m.shape || m.entries == nil {
		m.rebuild(ctx, items)
		m.shape = sh
	} else {
		m.update(items)
	}
	m.items = items

	icon, tooltip := IconFor(s), items[0].title
	if !m.drawn || icon != m.icon {
		setIcon(icon)
	}
	if !m.drawn || tooltip != m.tooltip {
		systray.SetTooltip(tooltip)
	}
	m.icon, m.tooltip, m.drawn = icon, tooltip, true
}

// rebuild replaces the whole system menu with items.
func (m *Menu) rebuild(ctx context.Context, items []item) {
	if m.stop != nil {
		m.stop()
	}
	var watch context.Context
	watch, m.stop = context.WithCancel(ctx)
	systray.ResetMenu()
	m.entries = m.entries[:0]
	for _, it := range items {
		m.add(watch, nil, it)
	}
}

// add appends it (and its children) under parent, nil meaning the top.
func (m *Menu) add(watch context.Context, parent *systray.MenuItem, it item) {
	if it.kind == kindSeparator {
		if parent == nil {
			systray.AddSeparator()
		} else {
			parent.AddSeparator()
		}
		m.entries = append(m.entries, nil)
		return
	}
	checkable := it.kind == kindToggle || it.kind == kindChoice
	var mi *systray.MenuItem
	switch {
	case parent == nil && checkable:
		mi = systray.AddMenuItemCheckbox(menuLabel(it.title), it.tooltip, it.checked)
	case parent == nil:
		mi = systray.AddMenuItem(menuLabel(it.title), it.tooltip)
	case checkable:
		mi = parent.AddSubMenuItemCheckbox(menuLabel(it.title), it.tooltip, it.checked)
	default:
		mi = parent.AddSubMenuItem(menuLabel(it.title), it.tooltip)
	}
	if !it.enabled {
		mi.Disable()
	}
	if it.hidden {
		mi.Hide()
	}
	m.entries = append(m.entries, mi)
	if it.kind == kindToggle || it.kind == kindChoice || it.kind == kindCommand {
		m.onClick(watch, mi, it)
	}
	for _, c := range it.children {
		m.add(watch, mi, c)
	}
}

// update changes, in place, what differs between the shown items and
// items, which have the same shape.
func (m *Menu) update(items []item) {
	old, cur := flatten(m.items), flatten(items)
	for i, it := range cur {
		mi, was := m.entries[i], old[i]
		if mi == nil {
			continue
		}
		if it.title != was.title {
			mi.SetTitle(menuLabel(it.title))
		}
		if it.tooltip != was.tooltip {
			mi.SetTooltip(it.tooltip)
		}
		if it.checked != was.checked {
			if it.checked {
				mi.Check()
			} else {
				mi.Uncheck()
			}
		}
		if it.hidden != was.hidden {
			if it.hidden {
				mi.Hide()
			} else {
				mi.Show()
			}
		}
		if it.enabled != was.enabled {
			if it.enabled {
				mi.Enable()
			} else {
				mi.Disable()
			}
		}
	}
}

// flatten lists items depth first, parents before children, in the order
// add creates them.
func flatten(items []item) []item {
	var out []item
	for _, it := range items {
		out = append(out, it)
		out = append(out, flatten(it.children)...)
	}
	return out
}

// onClick forwards mi's clicks to the event loop until watch ends (the
// next rebuild) or fyne removes the item. fyne drops a click nobody waits
// for, so the watcher waits on the item all the time and hands over fast.
func (m *Menu) onClick(watch context.Context, mi *systray.MenuItem, it item) {
	go func() {
		for {
			select {
			case <-watch.Done():
				return
			case _, ok := <-mi.ClickedCh:
				if !ok {
					return
				}
				select {
				case m.clicks <- it:
				case <-watch.Done():
					return
				}
			}
		}
	}()
}

// handle starts what a click asks for. Anything that may take time runs
// in the background (see background) so the menu stays live.
func (m *Menu) handle(ctx context.Context, it item) {
	a, s := m.actions, m.state
	switch it.kind {
	case kindToggle:
		if a.SetToggle == nil {
			return
		}
		on := !toggleOn(s, it.toggle)
		m.background(ctx, fmt.Sprintf("turn %s %s", it.title, onOff(on)), func(ctx context.Context) (func(State) State, error) {
			if err := a.SetToggle(ctx, it.toggle, on); err != nil {
				return nil, err
			}
			return func(s State) State { return withToggle(s, it.toggle, on) }, nil
		})
	case kindChoice:
		if a.SetAliasModel == nil || !it.enabled {
			return
		}
		m.background(ctx, fmt.Sprintf("switch %s to %s", it.alias, it.model), func(ctx context.Context) (func(State) State, error) {
			if err := a.SetAliasModel(ctx, it.alias, it.model); err != nil {
				return nil, err
			}
			return func(s State) State { return withAliasModel(s, it.alias, it.model) }, nil
		})
	case kindCommand:
		if it.command == cmdPull || it.command == cmdCancelPull {
			m.pullCommand(ctx, it)
			return
		}
		m.command(ctx, it.command, s)
	}
}

func (m *Menu) command(ctx context.Context, c command, s State) {
	a := m.actions
	switch c {
	case cmdRepatch:
		if a.Repatch == nil {
			return
		}
		// Repatch answers for the look it ran: nil only when every install
		// found is routed, and an error saying what is not (the patcher
		// off, no install found, how many failed) otherwise, which
		// background shows as "Could not re-route the installs".
		m.background(ctx, "re-route the installs", func(ctx context.Context) (func(State) State, error) {
			if err := a.Repatch(ctx); err != nil {
				return nil, err
			}
			m.notify("Installs re-routed", "Every install found is routed to clawbridge.")
			return nil, nil
		})
	case cmdDoctor:
		if a.Doctor == nil {
			return
		}
		m.background(ctx, "run the doctor", func(ctx context.Context) (func(State) State, error) {
			summary, ok := a.Doctor(ctx)
			title := "clawbridge doctor: all good"
			if !ok {
				title = "clawbridge doctor: problems found"
			}
			m.notify(title, summary)
			return nil, nil
		})
	case cmdOpenConfig, cmdOpenLogs:
		path, what := s.ConfigPath, "open the config"
		if c == cmdOpenLogs {
			path, what = s.LogPath, "open the logs"
		}
		if path == "" {
			return
		}
		m.background(ctx, what, func(ctx context.Context) (func(State) State, error) {
			return nil, openPath(ctx, path)
		})
	case cmdCopyTUI:
		text := s.TUICommand
		if text == "" {
			return
		}
		m.background(ctx, "copy the TUI command", func(ctx context.Context) (func(State) State, error) {
			copied, err := copyText(ctx, text)
			switch {
			case err != nil:
				m.log.Warn("tray: clipboard failed; showing the command instead", "err", err)
				m.notify("TUI command", text)
			case copied:
				m.notify("TUI command copied", text)
			default:
				m.notify("TUI command (no clipboard tool found)", text)
			}
			return nil, nil
		})
	}
}

// background runs action off the event loop. A failure is logged and
// shown to the user as "Could not <what>"; on success the state edit it
// returns, if any, is shown at once, ahead of the daemon's next state.
func (m *Menu) background(ctx context.Context, what string, action func(context.Context) (func(State) State, error)) {
	go func() {
		change, err := action(ctx)
		if err != nil {
			m.log.Warn("tray: action failed", "action", what, "err", err)
			m.notify("Could not "+what, err.Error())
			return
		}
		if change == nil {
			return
		}
		select {
		case m.changes <- change:
		case <-m.done:
		}
	}()
}

// notify tells the user the result of an action: in the menu itself (a
// notification may never be seen: macOS drops osascript's until Script
// Editor may notify), through Actions.Notify, and in the log.
func (m *Menu) notify(title, message string) {
	m.log.Info("tray: "+title, "message", message)
	select {
	case m.results <- Result{Title: title, Message: message, At: time.Now()}:
	case <-m.done:
	}
	if m.actions.Notify != nil {
		m.actions.Notify(title, message)
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// setIcon shows the icon for s in the form each platform takes: macOS a
// template it recolours, Windows an ICO, Linux panels a PNG (the 2x one,
// which panels scale to their height).
func setIcon(s IconState) {
	icon := assets.TrayGood
	switch s {
	case IconAttention:
		icon = assets.TrayAttention
	case IconOff:
		icon = assets.TrayOff
	}
	switch runtime.GOOS {
	case "darwin":
		systray.SetTemplateIcon(icon.Template2x, icon.PNG2x)
	case "windows":
		systray.SetIcon(icon.ICO)
	default:
		systray.SetIcon(icon.PNG2x)
	}
}
